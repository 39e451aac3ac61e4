/*
 * bench_simd: the two figures of the simd issue, single thread, in one
 * interleaved run (A and B alternate, several repetitions, minimum kept):
 *   1. vectorized exp throughput, G exps/s, per ISA this CPU runs;
 *   2. simd_<isa> vs naive attention at B=1, H=8, S=1024, Dh=64.
 * A benchmark, not a test: it refuses to run under emulation (qemu-user),
 * where timings mean nothing. Usage: bench_simd [repetitions]
 */
#include "mha.h"
#include "vexp_kernels.h"
#include "../bench_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* qemu-user runs the guest on the host kernel: /proc/cpuinfo is the host's. */
static int emulated(void)
{
#if defined(__aarch64__)
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    int x86 = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "vendor_id", 9) == 0 || strstr(line, "GenuineIntel") || strstr(line, "AuthenticAMD"))
            x86 = 1;
    if (f)
        fclose(f);
    return x86;
#else
    return 0;
#endif
}

typedef void vexp_loop(const float *x, float *y, size_t n, long reps);

static void bench_vexp(const char *isa, uint32_t need, vexp_loop *loop, int reps)
{
    if ((mha_cpu_detected() & need) != need) {
        printf("vexp_%-7s skipped: CPU lacks it\n", isa);
        return;
    }
    enum { N = 4096 }; /* 16 KiB in, 16 KiB out: L1 resident */
    static float x[N], y[N];
    for (int i = 0; i < N; i++) /* softmax arguments: s - max in [-20, 0] */
        x[i] = -20.0f * (float)i / N;
    const long inner = 200; /* ~0.5 ms per repetition: short enough to fit between preemptions */
    double best = 1e30;
    for (int r = 0; r < 100 * reps; r++) {
        double t = now();
        loop(x, y, N, inner);
        t = now() - t;
        best = t < best ? t : best;
    }
    printf("vexp_%-7s %.2f G exps/s (1 thread, %ld x %d exps per run, min of %d runs)\n", isa,
           (double)N * inner / best * 1e-9, inner, N, 100 * reps);
}

static void bench_attention(const char *name, int head_major, int reps)
{
    const mha_impl *simd = mha_impl_find(name), *naive = mha_impl_find("naive");
    char why[128];
    if (!simd || !mha_impl_runnable(simd, why, sizeof why)) {
        printf("%s vs naive skipped: %s\n", name, simd ? why : "not compiled in");
        return;
    }
    const int64_t B = 1, H = 8, S = 1024, Dh = 64;
    const size_t n = (size_t)(B * S * H * Dh);
    float *q = malloc(n * sizeof *q), *k = malloc(n * sizeof *k), *v = malloc(n * sizeof *v);
    float *o = malloc(n * sizeof *o);
    mha_rng rng;
    mha_rng_seed(&rng, 1);
    mha_rng_fill(&rng, q, n, 1.0f);
    mha_rng_fill(&rng, k, n, 1.0f);
    mha_rng_fill(&rng, v, n, 1.0f);
    mha_args a;
    memset(&a, 0, sizeof a);
    a.shape = (mha_shape){B, H, H, S, S, Dh};
    a.q = q; a.k = k; a.v = v; a.out = o;
    a.q_strides = a.k_strides = a.v_strides = a.out_strides =
        head_major ? mha_strides_bhsd(S, H, Dh) : mha_strides_bshd(S, H, Dh);
    a.threads = 1;
    double tn = 1e30, ts = 1e30;
    for (int r = 0; r < reps; r++) {
        double t = now();
        mha_attention(naive, &a);
        t = now() - t;
        tn = t < tn ? t : tn;
        t = now();
        mha_attention(simd, &a);
        t = now() - t;
        ts = t < ts ? t : ts;
    }
    const double flops = 4.0 * B * H * S * S * Dh;
    printf("%s vs naive, B=1 H=8 S=1024 Dh=64 %s, 1 thread, min of %d interleaved: "
           "naive %.1f ms (%.2f GFLOP/s), %s %.1f ms (%.2f GFLOP/s): %.1fx\n",
           name, head_major ? "bhsd" : "bshd", reps, tn * 1e3, flops / tn * 1e-9, name, ts * 1e3, flops / ts * 1e-9, tn / ts);
    free(q); free(k); free(v); free(o);
}

int main(int argc, char **argv)
{
    static const char usage[] =
        "usage: bench_simd [reps]     default 5\n"
        "  vectorized exp throughput per ISA and simd_* vs naive (1 thread), min of reps interleaved\n";
    bench_help(argc, argv, usage);
    const int reps = bench_int_arg(argc, argv, 1, 5, 1, "reps", usage);
    if (emulated()) {
        fprintf(stderr, "bench_simd: refusing to run under emulation (qemu-user): timings would be "
                        "meaningless; run it on a real aarch64 machine\n");
        return 1;
    }
#if defined(MHA_BENCH_AVX2)
    bench_vexp("avx2", MHA_CPU_AVX2 | MHA_CPU_FMA, mha_bench_vexp_avx2, reps);
#endif
#if defined(MHA_BENCH_AVX512)
    bench_vexp("avx512", MHA_CPU_AVX512F | MHA_CPU_AVX512BW | MHA_CPU_AVX512DQ | MHA_CPU_AVX512VL |
                             MHA_CPU_AVX2 | MHA_CPU_FMA, mha_bench_vexp_avx512, reps);
#endif
#if defined(MHA_BENCH_NEON)
    bench_vexp("neon", MHA_CPU_NEON, mha_bench_vexp_neon, reps);
#endif
    for (int head_major = 0; head_major < 2; head_major++) {
        bench_attention("simd_avx2", head_major, reps);
        bench_attention("simd_avx512", head_major, reps);
        bench_attention("simd_neon", head_major, reps);
    }
    return 0;
}
