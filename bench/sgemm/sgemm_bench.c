/*
 * sgemm_bench: the project's SGEMM (impl/gemm/sgemm.h) against OpenBLAS's
 * cblas_sgemm on C = A B, n x n x n, in one run. The contenders are
 * interleaved (one call of each per round) so that the noise of a shared
 * machine hits them alike; the best round of each is reported, with the
 * ratio to OpenBLAS. Two clocks: wall time, and the process's CPU time,
 * which leaves out the time the process waits for a core on a loaded
 * machine (with one thread it is the better measure; with several, CPU
 * time adds the threads up and only wall time shows the speedup).
 *
 *   sgemm_bench [n] [rounds] [threads]      defaults: 1024 7 1
 */
#include "mha.h"
#include "sgemm.h"
#include "../bench_args.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct contender {
    const char *name;
    const mha_sgemm_ops *ops; /* NULL: OpenBLAS */
    double best, best_cpu;
    float *c;
} contender;

int main(int argc, char **argv)
{
    static const char usage[] =
        "usage: sgemm_bench [n] [rounds] [threads]     defaults: 1024 7 1\n"
        "  the own SGEMM vs OpenBLAS on n x n x n, interleaved, best round of each\n";
    bench_help(argc, argv, usage);
    const int n = bench_int_arg(argc, argv, 1, 1024, 1, "n", usage);
    const int rounds = bench_int_arg(argc, argv, 2, 7, 1, "rounds", usage);
    const int threads = bench_int_arg(argc, argv, 3, 1, 1, "threads", usage);
    const size_t nn = (size_t)n * (size_t)n;
    float *a = malloc(nn * sizeof(float)), *b = malloc(nn * sizeof(float));
    mha_rng rng;
    mha_rng_seed(&rng, 1);
    mha_rng_fill(&rng, a, nn, 1.0f);
    mha_rng_fill(&rng, b, nn, 1.0f);

    contender cs[3] = {{"openblas", NULL, INFINITY, INFINITY, NULL},
                      {"own sgemm (c, baseline flags)", &mha_sgemm_ops_c, INFINITY, INFINITY, NULL}};
    int count = 2;
#ifdef HAVE_SGEMM_AVX2
    if ((mha_cpu_features() & (MHA_CPU_AVX2 | MHA_CPU_FMA)) == (MHA_CPU_AVX2 | MHA_CPU_FMA))
        cs[count++] = (contender){"own sgemm (same C, -mavx2 -mfma)", &mha_sgemm_ops_avx2, INFINITY, INFINITY, NULL};
#endif
    openblas_set_num_threads(threads);
    for (int i = 0; i < count; i++)
        cs[i].c = malloc(nn * sizeof(float));
    size_t work_floats = mha_sgemm_ops_c.gemm_work_floats(n, n, n, threads);
#ifdef HAVE_SGEMM_AVX2
    if (mha_sgemm_ops_avx2.gemm_work_floats(n, n, n, threads) > work_floats)
        work_floats = mha_sgemm_ops_avx2.gemm_work_floats(n, n, n, threads);
#endif
    float *work = malloc(work_floats * sizeof(float));

    for (int r = 0; r < rounds + 1; r++) /* round 0 warms up */
        for (int i = 0; i < count; i++) {
            double t = clock_s(CLOCK_MONOTONIC), tc = clock_s(CLOCK_PROCESS_CPUTIME_ID);
            if (cs[i].ops)
                cs[i].ops->gemm(MHA_NO_TRANS, MHA_NO_TRANS, n, n, n, 1.0f, a, n, b, n, 0.0f, cs[i].c, n, threads, work);
            else
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, cs[i].c, n);
            t = clock_s(CLOCK_MONOTONIC) - t;
            tc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - tc;
            if (r > 0 && t < cs[i].best)
                cs[i].best = t;
            if (r > 0 && tc < cs[i].best_cpu)
                cs[i].best_cpu = tc;
        }

    const double flops = 2.0 * n * (double)n * n;
    printf("C = A B, m = n = k = %d, %d thread(s), best of %d interleaved rounds\n", n, threads, rounds);
    printf("%-34s %8s %8s %8s %11s %11s\n", "", "wall ms", "GFLOP/s", "cpu ms", "vs openblas", "(cpu time)");
    for (int i = 0; i < count; i++) {
        double maxdiff = 0.0;
        for (size_t e = 0; e < nn; e++)
            maxdiff = fmax(maxdiff, fabs((double)cs[i].c[e] - cs[0].c[e]));
        printf("%-34s %8.2f %8.1f %8.2f %10.0f%% %10.0f%%   max |C - C_openblas| %.2g\n", cs[i].name,
               1e3 * cs[i].best, flops / cs[i].best * 1e-9, 1e3 * cs[i].best_cpu, 100.0 * cs[0].best / cs[i].best,
               100.0 * cs[0].best_cpu / cs[i].best_cpu, maxdiff);
    }
    for (int i = 0; i < count; i++)
        free(cs[i].c);
    free(work);
    free(a);
    free(b);
    return 0;
}
