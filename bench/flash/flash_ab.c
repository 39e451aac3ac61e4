/*
 * flash_ab: the decode target of flash_bench for two or more builds of
 * libmha in one interleaved run (before / after a change), next to the
 * 1- and 2-thread read loops. Each library is dlopen'ed on its own
 * (lib_ab.h), so pass copies or different build trees:
 *   build/bench/flash/flash_ab REPS IMPL LIB...   e.g.
 *   build/bench/flash/flash_ab 10 flash_avx2 /tmp/base/build/libmha.so.0 build/libmha.so.0
 * Shape: Sq = 1, Skv = 32768, H = 32, Hkv = 8, Dh = 128, seed layout.
 * Wall time, best of REPS, every library and thread count in turn.
 */
#include "mha.h"
#include "lib_ab.h"
#include "read_sum.h"
#include "../bench_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define MAX_LIBS 8

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    static const char usage[] =
        "usage: flash_ab REPS IMPL LIB...   (1 to 8 libmha builds, e.g. old/build/libmha.so.0 build/libmha.so.0)\n"
        "  the decode target (Sq=1, Skv=32768, H=32, Hkv=8, Dh=128) for each library, interleaved\n";
    bench_help(argc, argv, usage);
    if (argc < 4 || argc - 3 > MAX_LIBS) {
        fprintf(stderr, "flash_ab: expected REPS, IMPL and 1 to %d libraries, got %d arguments\n%s", MAX_LIBS,
                argc - 1, usage);
        return 2;
    }
    const int reps = bench_int_arg(argc, argv, 1, 0, 1, "REPS", usage), nlib = argc - 3;
    const char *impl = argv[2];
    const int64_t h = 32, hkv = 8, skv = 32768, dh = 128;
    const size_t nq = (size_t)(h * dh), nk = (size_t)(skv * hkv * dh);
    float *q = malloc(nq * 4), *o = malloc(nq * 4), *k = malloc(nk * 4), *v = malloc(nk * 4);
    for (size_t i = 0; i < nq; i++)
        q[i] = (float)(i * 7919 % 1000) / 1000.0f - 0.5f;
    for (size_t i = 0; i < nk; i++) {
        k[i] = (float)(i * 104729 % 1000) / 1000.0f - 0.5f;
        v[i] = (float)(i * 7907 % 997) / 997.0f - 0.5f;
    }
    lib_ab libs[MAX_LIBS];
    for (int l = 0; l < nlib; l++)
        if (lib_ab_open(&libs[l], argv[3 + l], impl) != 0)
            return 1;
    const size_t bn = (size_t)64 << 20;
    float *buf = malloc(bn * 4);
    for (size_t i = 0; i < bn; i++)
        buf[i] = 1.0f;
    double best[MAX_LIBS][3], bw[3] = {0, 0, 0};
    for (int l = 0; l < nlib; l++)
        best[l][1] = best[l][2] = 1e30;
    for (int rep = 0; rep < reps; rep++)
        for (int th = 1; th <= 2; th++) {
            double g = read_loop_gbs(buf, bn, th);
            if (g > bw[th])
                bw[th] = g;
            for (int l = 0; l < nlib; l++) {
                mha_args a;
                memset(&a, 0, sizeof a);
                a.shape = (mha_shape){1, h, hkv, 1, skv, dh};
                a.q = q;
                a.k = k;
                a.v = v;
                a.out = o;
                a.q_strides = a.out_strides = libs[l].strides_bshd(1, h, dh);
                a.k_strides = a.v_strides = libs[l].strides_bshd(skv, hkv, dh);
                a.threads = th;
                double t0 = now();
                if (libs[l].attention(libs[l].impl, &a) != MHA_OK) {
                    fprintf(stderr, "%s failed\n", argv[3 + l]);
                    return 1;
                }
                double t = now() - t0;
                if (t < best[l][th])
                    best[l][th] = t;
            }
        }
    double load[1] = {0};
    if (getloadavg(load, 1) == 1)
        printf("load average at the end: %.2f\n", load[0]);
    printf("read loop: %.1f GB/s (1 thread), %.1f GB/s (2 threads); wall time, best of %d\n", bw[1], bw[2], reps);
    for (int l = 0; l < nlib; l++)
        for (int th = 1; th <= 2; th++) {
            const double gbs = 2.0 * (double)nk * 4.0 / best[l][th] / 1e9;
            printf("  lib %d, %d thread%s: %8.3f ms  K+V %5.1f GB/s = %3.0f%% of the %d-thread read loop"
                   "  (%.2fx lib 0)  %s\n", l, th, th == 1 ? " " : "s", best[l][th] * 1e3, gbs,
                   100.0 * gbs / bw[th], th, best[0][th] / best[l][th], argv[3 + l]);
        }
    return 0;
}
