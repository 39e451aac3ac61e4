/*
 * flash_lowp_bench: decode with a bf16 or fp16 KV cache against fp32, as
 * ratios of tokens per second measured in one interleaved run (issue 17,
 * item 4: >= 1.8x at Skv = 32768, H = 32, Hkv = 8, Dh = 128).
 * One token: Sq = 1, out fp32. Each round times fp32, bf16 and fp16 once,
 * in that order; every round gives a bf16/fp32 and an fp16/fp32 ratio of
 * the two neighbouring runs, in wall time and in process CPU time (on a
 * loaded machine the wall time mostly measures waiting for a core), and
 * the median and range of the ratios over the rounds are printed with the
 * load average.
 * Usage: flash_lowp_bench [rounds] [impl] [threads]   (defaults 15 flash_avx2 1)
 */
#include "mha.h"
#include "timed_call.h"
#include "../bench_args.h"

#include <stdio.h>
#include <stdlib.h>

enum { H = 32, HKV = 8, SKV = 32768, DH = 128, MAX_ROUNDS = 1000 };

static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static void report(const char *what, double *r, int n)
{
    qsort(r, (size_t)n, sizeof *r, cmp_double);
    printf("  %s tokens/s vs fp32: median %.2fx (min %.2fx, max %.2fx, %d rounds)\n", what, r[n / 2], r[0], r[n - 1],
           n);
}

int main(int argc, char **argv)
{
    static const char usage[] =
        "usage: flash_lowp_bench [rounds] [impl] [threads]     defaults: 15 flash_avx2 1\n"
        "  decode (Sq=1, Skv=32768, H=32, Hkv=8, Dh=128) with a bf16 and an fp16 KV cache vs fp32,\n"
        "  interleaved; prints the tokens/s ratios (median, range)\n";
    bench_help(argc, argv, usage);
    const int rounds = bench_int_arg(argc, argv, 1, 15, 1, "rounds", usage);
    const char *name = argc > 2 ? argv[2] : "flash_avx2";
    const int threads = bench_int_arg(argc, argv, 3, 1, 1, "threads", usage);
    if (rounds > MAX_ROUNDS) {
        fprintf(stderr, "flash_lowp_bench: rounds must be at most %d, got %d\n", MAX_ROUNDS, rounds);
        return 2;
    }
    const mha_impl *impl = mha_impl_find(name);
    if (!impl) {
        fprintf(stderr, "flash_lowp_bench: no implementation named '%s'\n", name);
        return 2;
    }
    const size_t nq = (size_t)H * DH, nk = (size_t)SKV * HKV * DH;
    float *q = malloc(nq * 4), *k = malloc(nk * 4), *v = malloc(nk * 4);
    mha_rng rng;
    mha_rng_seed(&rng, 7);
    mha_rng_fill(&rng, q, nq, 1.0f);
    mha_rng_fill(&rng, k, nk, 1.0f);
    mha_rng_fill(&rng, v, nk, 1.0f);
    mha_args c[3];
    const mha_dtype dts[3] = {MHA_F32, MHA_BF16, MHA_F16};
    char what[3][96];
    for (int i = 0; i < 3; i++) {
        snprintf(what[i], sizeof what[i], "flash_lowp_bench: %s %s", name, mha_dtype_name(dts[i]));
        c[i] = dense_args(H, HKV, 1, SKV, DH, dtype_copy(q, nq, dts[i]), dtype_copy(k, nk, dts[i]),
                          dtype_copy(v, nk, dts[i]), malloc(nq * 4));
        c[i].dtype = dts[i];
        c[i].threads = threads;
        attach_workspace(impl, &c[i], what[i]);
        time_call(impl, &c[i], what[i]); /* warm-up: page in the cache */
    }
    /* ratios fp32 / low of the neighbouring runs: wall time (0, 1) and process CPU time (2, 3) */
    static double ratio[4][MAX_ROUNDS];
    double best[3] = {1e30, 1e30, 1e30};
    for (int r = 0; r < rounds; r++) {
        call_time t[3];
        for (int i = 0; i < 3; i++) {
            t[i] = time_call(impl, &c[i], what[i]);
            best[i] = t[i].wall < best[i] ? t[i].wall : best[i];
        }
        ratio[0][r] = t[0].wall / t[1].wall;
        ratio[1][r] = t[0].wall / t[2].wall;
        ratio[2][r] = t[0].cpu / t[1].cpu;
        ratio[3][r] = t[0].cpu / t[2].cpu;
    }
    printf("%s decode Skv=%d H=%d Hkv=%d Dh=%d, %d thread(s); load average %.2f\n", name, SKV, H, HKV, DH, threads,
           load_average());
    for (int i = 0; i < 3; i++)
        printf("  %s: best %.2f ms = %.1f tokens/s, K+V %.2f GB/s\n", mha_dtype_name(dts[i]), best[i] * 1e3,
               1.0 / best[i], 2.0 * (double)nk * (double)mha_dtype_size(dts[i]) / best[i] / 1e9);
    report("bf16 wall", ratio[0], rounds);
    report("fp16 wall", ratio[1], rounds);
    report("bf16 CPU-time", ratio[2], rounds);
    report("fp16 CPU-time", ratio[3], rounds);
    for (int i = 0; i < 3; i++) {
        free((void *)c[i].q); free((void *)c[i].k); free((void *)c[i].v); free(c[i].out); free(c[i].workspace);
    }
    free(q); free(k); free(v);
    return 0;
}
