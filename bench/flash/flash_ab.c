/*
 * flash_ab: the decode target of flash_bench for two or more builds of
 * libmha in one interleaved run (before / after a change), next to the
 * 1- and 2-thread read loops. Each library is dlopen'ed on its own
 * (lib_ab.h), so pass copies or different build trees:
 *   build/bench/flash/flash_ab REPS IMPL LIB...   e.g.
 *   build/bench/flash/flash_ab 10 flash_avx2 /tmp/base/build/libmha.so.0 build/libmha.so.0
 * Shape: Sq = 1, Skv = 32768, H = 32, Hkv = 8, Dh = 128, seed layout;
 * --shape=H,Hkv,Sq,Skv,Dh names another. --dtype=LIST (e.g. fp32,bf16)
 * runs each library with Q, K and V of each dtype (output fp32): the
 * issue-17 target, tokens per second of a bf16 or fp16 KV cache against
 * fp32, is then printed as the median of the per-round ratios.
 * --lowp-impl=NAME runs another implementation of the same library on the
 * bf16 and fp16 inputs (a bf16-only one such as flash_avx512bf16 against
 * IMPL on fp32).
 * Wall time, REPS rounds, every library, dtype and thread count in turn
 * (each round starts one library later: lib_ab_turn); medians of the times
 * and of the per-round ratios to the first library.
 */
#include "mha.h"
#include "lib_ab.h"
#include "timed_call.h"
#include "read_sum.h"
#include "../bench_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define MAX_LIBS 8

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* median of n sorted values */
static double median_sorted(const double *x, int n)
{
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* Where dtype is in dts[0..n), or -1. */
static int dtype_index(const mha_dtype *dts, int n, mha_dtype dtype)
{
    for (int i = 0; i < n; i++)
        if (dts[i] == dtype)
            return i;
    return -1;
}

/* "fp32,bf16" -> dts, *n; 0, or -1 for an unknown name, a repeated one or an empty list */
static int parse_dtypes(const char *list, mha_dtype *dts, int *n)
{
    char name[16];
    *n = 0;
    for (const char *p = list;;) {
        const size_t len = strcspn(p, ",");
        mha_dtype dt;
        if (len >= sizeof name)
            return -1;
        memcpy(name, p, len);
        name[len] = '\0';
        if (mha_dtype_from_name(name, &dt) != 0 || dtype_index(dts, *n, dt) >= 0)
            return -1;
        dts[(*n)++] = dt;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

int main(int argc, char **argv)
{
    static const char usage[] =
        "usage: flash_ab [--shape=H,Hkv,Sq,Skv,Dh] [--dtype=LIST] [--lowp-impl=NAME] REPS IMPL LIB...\n"
        "  (1 to 8 libmha builds, e.g. old/build/libmha.so.0 build/libmha.so.0)\n"
        "  the decode target (default shape Sq=1, Skv=32768, H=32, Hkv=8, Dh=128) for each library, interleaved\n"
        "  --dtype=LIST   dtypes of Q, K and V, comma separated (fp32, bf16, fp16; default fp32); with fp32 and\n"
        "                 another, prints that dtype's tokens/s against fp32's\n"
        "  --lowp-impl=NAME  the implementation run on bf16 and fp16 inputs (default IMPL), e.g. flash_avx512bf16\n"
        "                 against IMPL's fp32\n";
    bench_help(argc, argv, usage);
    long long h = 32, hkv = 8, sq = 1, skv = 32768, dh = 128;
    mha_dtype dts[MHA_DTYPE_COUNT] = {MHA_F32};
    int ndt = 1;
    const char *lowp_impl = NULL;
    while (argc > 1 && strncmp(argv[1], "--", 2) == 0) {
        if (strncmp(argv[1], "--shape=", 8) == 0) {
            char tail;
            if (sscanf(argv[1] + 8, "%lld,%lld,%lld,%lld,%lld%c", &h, &hkv, &sq, &skv, &dh, &tail) != 5 || h < 1 ||
                hkv < 1 || h % hkv != 0 || sq < 1 || skv < 1 || dh < 1) {
                fprintf(stderr, "flash_ab: --shape expects H,Hkv,Sq,Skv,Dh, positive, H a multiple of Hkv, got '%s'\n%s",
                        argv[1] + 8, usage);
                return 2;
            }
        } else if (strncmp(argv[1], "--dtype=", 8) == 0) {
            if (parse_dtypes(argv[1] + 8, dts, &ndt) != 0) {
                fprintf(stderr, "flash_ab: --dtype expects distinct dtypes among fp32, bf16, fp16, comma separated, "
                                "got '%s'\n%s", argv[1] + 8, usage);
                return 2;
            }
        } else if (strncmp(argv[1], "--lowp-impl=", 12) == 0 && argv[1][12] != '\0') {
            lowp_impl = argv[1] + 12;
        } else {
            fprintf(stderr, "flash_ab: unknown option '%s'\n%s", argv[1], usage);
            return 2;
        }
        argv[1] = argv[0];
        argv++;
        argc--;
    }
    if (argc < 4 || argc - 3 > MAX_LIBS) {
        fprintf(stderr, "flash_ab: expected REPS, IMPL and 1 to %d libraries, got %d arguments\n%s", MAX_LIBS,
                argc - 1, usage);
        return 2;
    }
    const int reps = bench_int_arg(argc, argv, 1, 0, 1, "REPS", usage), nlib = argc - 3;
    const char *impl = argv[2];
    const size_t nq = (size_t)(sq * h * dh), nk = (size_t)(skv * hkv * dh);
    float *q = malloc(nq * 4), *o = malloc(nq * 4), *k = malloc(nk * 4), *v = malloc(nk * 4);
    for (size_t i = 0; i < nq; i++)
        q[i] = (float)(i * 7919 % 1000) / 1000.0f - 0.5f;
    for (size_t i = 0; i < nk; i++) {
        k[i] = (float)(i * 104729 % 1000) / 1000.0f - 0.5f;
        v[i] = (float)(i * 7907 % 997) / 997.0f - 0.5f;
    }
    /* the inputs of each dtype */
    const void *qd[MHA_DTYPE_COUNT], *kd[MHA_DTYPE_COUNT], *vd[MHA_DTYPE_COUNT];
    for (int d = 0; d < ndt; d++) {
        qd[d] = dtype_copy(q, nq, dts[d]);
        kd[d] = dtype_copy(k, nk, dts[d]);
        vd[d] = dtype_copy(v, nk, dts[d]);
    }
    lib_ab libs[MAX_LIBS], lowp_libs[MAX_LIBS];
    for (int l = 0; l < nlib; l++)
        if (lib_ab_open(&libs[l], argv[3 + l], impl) != 0 ||
            lib_ab_open(&lowp_libs[l], argv[3 + l], lowp_impl ? lowp_impl : impl) != 0)
            return 1;
    const size_t bn = (size_t)64 << 20;
    float *buf = malloc(bn * 4);
    for (size_t i = 0; i < bn; i++)
        buf[i] = 1.0f;
    /* t[l][d][th][rep]: seconds per call; a sample repeats the call to last about 5 ms (short shapes) */
    static double *t[MAX_LIBS][MHA_DTYPE_COUNT][3];
    double bw[3] = {0, 0, 0};
    for (int l = 0; l < nlib; l++)
        for (int d = 0; d < ndt; d++)
            for (int th = 1; th <= 2; th++)
                t[l][d][th] = malloc((size_t)reps * sizeof(double));
    int calls = 0;
    for (int rep = 0; rep < reps; rep++)
        for (int th = 1; th <= 2; th++) {
            double g = read_loop_gbs(buf, bn, th);
            if (g > bw[th])
                bw[th] = g;
            for (int turn = 0; turn < nlib; turn++)
                for (int d = 0; d < ndt; d++) {
                    const int l = lib_ab_turn(turn, rep, nlib);
                    const lib_ab *lib = dts[d] == MHA_F32 ? &libs[l] : &lowp_libs[l];
                    mha_args a;
                    memset(&a, 0, sizeof a);
                    a.shape = (mha_shape){1, h, hkv, sq, skv, dh};
                    a.q = qd[d];
                    a.k = kd[d];
                    a.v = vd[d];
                    a.out = o;
                    a.dtype = dts[d];
                    a.q_strides = a.out_strides = lib->strides_bshd(sq, h, dh);
                    a.k_strides = a.v_strides = lib->strides_bshd(skv, hkv, dh);
                    a.threads = th;
                    const int n = calls ? calls : 1;
                    double t0 = wall_s();
                    for (int c = 0; c < n; c++)
                        if (lib->attention(lib->impl, &a) != MHA_OK) {
                            fprintf(stderr, "%s: %s failed (%s)\n", argv[3 + l], lib->impl->name, mha_dtype_name(dts[d]));
                            return 1;
                        }
                    t[l][d][th][rep] = (wall_s() - t0) / n;
                    if (!calls)
                        calls = t[l][d][th][rep] < 5e-3 ? (int)(5e-3 / t[l][d][th][rep]) + 1 : 1;
                }
        }
    const double load = load_average();
    if (load >= 0)
        printf("load average at the end: %.2f\n", load);
    printf("shape H=%lld Hkv=%lld Sq=%lld Skv=%lld Dh=%lld; read loop: %.1f GB/s (1 thread), %.1f GB/s (2 threads);"
           " wall time, %d reps of %d call%s, interleaved\n", h, hkv, sq, skv, dh, bw[1], bw[2], reps, calls,
           calls == 1 ? "" : "s");
    printf("  time: median (min); K+V rate and %% of the read loop from the median; ratio: lib 0 time / this\n"
           "  time (same dtype), median of the per-rep ratios (min - max)\n");
    double *ratio = malloc((size_t)reps * sizeof(double)), *x = malloc((size_t)reps * sizeof(double));
    for (int l = 0; l < nlib; l++)
        for (int d = 0; d < ndt; d++)
            for (int th = 1; th <= 2; th++) {
                for (int r = 0; r < reps; r++) {
                    ratio[r] = t[0][d][th][r] / t[l][d][th][r];
                    x[r] = t[l][d][th][r];
                }
                qsort(ratio, (size_t)reps, sizeof(double), cmp_double);
                qsort(x, (size_t)reps, sizeof(double), cmp_double);
                const double med = median_sorted(x, reps);
                const double gbs = 2.0 * (double)nk * (double)mha_dtype_size(dts[d]) / med / 1e9;
                printf("  lib %d, %s, %d thread%s: %9.3f ms (%9.3f)  K+V %5.1f GB/s = %3.0f%% of the %d-thread read"
                       " loop  %.2fx (%.2f - %.2f)  %s\n", l, mha_dtype_name(dts[d]), th, th == 1 ? " " : "s",
                       med * 1e3, x[0] * 1e3, gbs, 100.0 * gbs / bw[th], th, median_sorted(ratio, reps), ratio[0],
                       ratio[reps - 1], argv[3 + l]);
            }
    /* tokens/s of each other dtype against fp32, same library and thread count, per round */
    const int f32 = dtype_index(dts, ndt, MHA_F32);
    for (int l = 0; f32 >= 0 && l < nlib; l++)
        for (int d = 0; d < ndt; d++)
            for (int th = 1; d != f32 && th <= 2; th++) {
                for (int r = 0; r < reps; r++)
                    ratio[r] = t[l][f32][th][r] / t[l][d][th][r];
                qsort(ratio, (size_t)reps, sizeof(double), cmp_double);
                printf("  lib %d, %d thread%s: %s tokens/s vs fp32 %.2fx (%.2f - %.2f)\n", l, th, th == 1 ? " " : "s",
                       mha_dtype_name(dts[d]), median_sorted(ratio, reps), ratio[0], ratio[reps - 1]);
            }
    free(ratio);
    free(x);
    return 0;
}
