/*
 * flash_bench: the flash targets as ratios measured in one interleaved run.
 *   1. flash_avx2 vs naive and vs the FMA peak (measured here) at S = 1024,
 *      Dh 64 and 128, H = 8, 1 thread, non-causal
 *   2. causal vs non-causal at S = 2048
 *   3. 2 threads vs 1 at S = 1024 and 2048
 *   4. workspace at S = 16384 vs S = 1024
 *   5. decode (Sq = 1, Skv = 32768, H = 32, Hkv = 8, Dh = 128, 2 threads and
 *      1 thread): K and V bytes read per second vs a plain read loop
 * 1-thread runs and the FMA peak are timed in thread CPU time, 2-thread
 * runs in wall time (so their ratio needs a quiet machine; the load
 * average is printed).
 * Every measurement is repeated REPS times in round-robin order and the
 * best (minimum) time is kept: the machine is shared and noisy.
 * Usage: flash_bench [reps] [impl] [sweep]   (defaults 5, flash_avx2)
 *   sweep: only the 1-thread flash runs of item 1 (for MHA_FLASH_BQ / _BK sweeps)
 * FLOPs of attention: 4 * B * H * Sq * Skv * Dh, halved for causal.
 */
#include "mha.h"
#include "fma_peak.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wall time. */
static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of the calling thread: a 1-thread run (OpenMP runs a team of
 * one on the caller) is not charged for the time other processes hold the
 * core, which on this shared 2-core machine matters more than anything. */
static double now_cpu(void)
{
    return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

typedef struct run {
    const char *label;
    const mha_impl *impl;
    int64_t h, hkv, sq, skv, dh;
    int causal, threads;
    float *q, *k, *v, *o;
    void *ws;
    size_t ws_bytes;
    double best, flops, bytes;
    double best_cpu; /* multi-thread runs: process CPU time of the best run */
} run;

static void setup(run *r)
{
    mha_rng rng;
    mha_rng_seed(&rng, 7);
    size_t nq = (size_t)(r->sq * r->h * r->dh), nk = (size_t)(r->skv * r->hkv * r->dh);
    r->q = malloc(nq * 4);
    r->o = malloc(nq * 4);
    r->k = malloc(nk * 4);
    r->v = malloc(nk * 4);
    mha_rng_fill(&rng, r->q, nq, 1.0f);
    mha_rng_fill(&rng, r->k, nk, 1.0f);
    mha_rng_fill(&rng, r->v, nk, 1.0f);
    r->best = INFINITY;
    r->best_cpu = INFINITY;
    r->flops = 4.0 * (double)r->h * (double)r->sq * (double)r->skv * (double)r->dh * (r->causal ? 0.5 : 1.0);
    r->bytes = 2.0 * (double)nk * 4.0;
}

static mha_args args_of(const run *r)
{
    mha_args a;
    memset(&a, 0, sizeof a);
    a.shape = (mha_shape){1, r->h, r->hkv, r->sq, r->skv, r->dh};
    a.q = r->q;
    a.k = r->k;
    a.v = r->v;
    a.out = r->o;
    a.q_strides = a.out_strides = mha_strides_bshd(r->sq, r->h, r->dh);
    a.k_strides = a.v_strides = mha_strides_bshd(r->skv, r->hkv, r->dh);
    a.causal = r->causal;
    a.threads = r->threads;
    return a;
}

static void time_once(run *r)
{
    mha_args a = args_of(r);
    if (!r->ws) {
        r->ws_bytes = mha_workspace_size(r->impl, &a);
        r->ws = malloc(r->ws_bytes + 1);
    }
    a.workspace = r->ws;
    a.workspace_bytes = r->ws_bytes;
    double (*clk)(void) = r->threads == 1 ? now_cpu : now;
    double t0 = clk(), p0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    mha_status st = mha_attention(r->impl, &a);
    double t = clk() - t0, pc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - p0;
    if (pc < r->best_cpu)
        r->best_cpu = pc;
    if (st != MHA_OK) {
        fprintf(stderr, "%s: %s\n", r->label, mha_last_error());
        exit(1);
    }
    if (t < r->best)
        r->best = t;
}

static double peak_best = 0.0;
static void time_peak(void)
{
    const int64_t iters = 20 * 1000 * 1000;
    double t0 = now_cpu();
    volatile float sink = fma_peak_avx2(iters);
    (void)sink;
    double gf = (double)iters * FMA_PEAK_FLOPS_PER_ITER / (now_cpu() - t0) / 1e9;
    if (gf > peak_best)
        peak_best = gf;
}

/* Read bandwidth: sum a 256 MiB buffer with `threads` threads. */
static double bw_best = 0.0, bw1_best = 0.0;
static float *bw_buf;
static const size_t bw_n = (size_t)64 << 20;
/* 1 thread, in thread CPU time. */
static void time_bw1(void)
{
    double t0 = now_cpu();
    volatile float sink = read_sum_avx2(bw_buf, bw_n);
    (void)sink;
    double gbs = (double)bw_n * 4.0 / (now_cpu() - t0) / 1e9;
    if (gbs > bw1_best)
        bw1_best = gbs;
}

static void time_bw(int threads)
{
    double t0 = now();
    float total = 0.0f;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : total)
    {
        size_t part = bw_n / (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
        total += read_sum_avx2(bw_buf + t * part, part);
    }
#else
    (void)threads;
    total = read_sum_avx2(bw_buf, bw_n);
#endif
    double t = now() - t0;
    volatile float sink = total;
    (void)sink;
    double gbs = (double)bw_n * 4.0 / t / 1e9;
    if (gbs > bw_best)
        bw_best = gbs;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    const char *name = argc > 2 ? argv[2] : "flash_avx2";
    const mha_impl *fl = mha_impl_find(name), *nv = mha_impl_find("naive");
    if (!fl || !mha_impl_runnable(fl, NULL, 0)) {
        fprintf(stderr, "%s is not available here\n", name);
        return 1;
    }
    run runs[] = {
        {"flash S1024 Dh64 1t", fl, 8, 8, 1024, 1024, 64, 0, 1, .q = NULL},
        {"naive S1024 Dh64 1t", nv, 8, 8, 1024, 1024, 64, 0, 1, .q = NULL},
        {"flash S1024 Dh128 1t", fl, 8, 8, 1024, 1024, 128, 0, 1, .q = NULL},
        {"naive S1024 Dh128 1t", nv, 8, 8, 1024, 1024, 128, 0, 1, .q = NULL},
        {"flash S2048 Dh64 1t", fl, 8, 8, 2048, 2048, 64, 0, 1, .q = NULL},
        {"flash S2048 Dh64 1t causal", fl, 8, 8, 2048, 2048, 64, 1, 1, .q = NULL},
        {"flash S1024 Dh64 2t", fl, 8, 8, 1024, 1024, 64, 0, 2, .q = NULL},
        {"flash S2048 Dh64 2t", fl, 8, 8, 2048, 2048, 64, 0, 2, .q = NULL},
        {"flash decode Skv32768 H32/8 Dh128 2t", fl, 32, 8, 1, 32768, 128, 0, 2, .q = NULL},
        {"flash decode Skv32768 H32/8 Dh128 1t", fl, 32, 8, 1, 32768, 128, 0, 1, .q = NULL},
    };
    const int nr = (int)(sizeof runs / sizeof *runs);
    for (int i = 0; i < nr; i++)
        setup(&runs[i]);
    bw_buf = malloc(bw_n * 4);
    for (size_t i = 0; i < bw_n; i++)
        bw_buf[i] = 1.0f;

    if (argc > 3 && strcmp(argv[3], "sweep") == 0) {
        for (int rep = 0; rep < reps; rep++) {
            time_peak();
            time_once(&runs[0]);
            time_once(&runs[2]);
        }
        printf("BQ=%s BK=%s  Dh64 %.1f%%  Dh128 %.1f%% of peak %.1f GFLOP/s\n",
               getenv("MHA_FLASH_BQ") ? getenv("MHA_FLASH_BQ") : "rule",
               getenv("MHA_FLASH_BK") ? getenv("MHA_FLASH_BK") : "rule",
               100.0 * runs[0].flops / runs[0].best / 1e9 / peak_best,
               100.0 * runs[2].flops / runs[2].best / 1e9 / peak_best, peak_best);
        return 0;
    }
    for (int rep = 0; rep < reps; rep++) {
        time_peak();
        time_bw(2);
        time_bw1();
        for (int i = 0; i < nr; i++)
            time_once(&runs[i]);
    }

    double load[1] = {0};
    if (getloadavg(load, 1) == 1)
        printf("load average at the end: %.2f (2 cores)\n", load[0]);
    printf("FMA peak (1 core, AVX2): %.1f GFLOP/s;  read bandwidth: %.1f GB/s (2 threads), %.1f GB/s (1 thread);  "
           "%d reps, best of each\n", peak_best, bw_best, bw1_best, reps);
    for (int i = 0; i < nr; i++)
        printf("  %-40s %9.3f ms  %7.1f GFLOP/s  %5.1f%% of peak  workspace %zu B\n", runs[i].label,
               runs[i].best * 1e3, runs[i].flops / runs[i].best / 1e9,
               100.0 * runs[i].flops / runs[i].best / 1e9 / (peak_best * (runs[i].threads)), runs[i].ws_bytes);
    printf("ratios:\n");
    printf("  flash/naive speedup S1024 Dh64:  %.2fx\n", runs[1].best / runs[0].best);
    printf("  flash/naive speedup S1024 Dh128: %.2fx\n", runs[3].best / runs[2].best);
    printf("  flash %% of FMA peak S1024 Dh64:  %.1f%%  (target >= 70%%)\n",
           100.0 * runs[0].flops / runs[0].best / 1e9 / peak_best);
    printf("  flash %% of FMA peak S1024 Dh128: %.1f%%  (target >= 70%%)\n",
           100.0 * runs[2].flops / runs[2].best / 1e9 / peak_best);
    printf("  causal speedup S2048:            %.2fx  (target >= 1.7x)\n", runs[4].best / runs[5].best);
    printf("  2 threads vs 1 S1024:            %.2fx  (target >= 1.8x)\n", runs[0].best / runs[6].best);
    printf("  2 threads vs 1 S2048:            %.2fx  (target >= 1.8x)\n", runs[4].best / runs[7].best);
    printf("  2 threads vs 1, from CPU time:   S1024 %.2fx, S2048 %.2fx  (1-thread CPU time / (2-thread process\n"
           "                                   CPU time / 2): the speedup on an idle machine if both threads stay busy)\n",
           runs[0].best / (runs[6].best_cpu / 2), runs[4].best / (runs[7].best_cpu / 2));
    printf("  decode K+V read rate:            %.1f GB/s = %.0f%% of the read loop (target >= 60%%)\n",
           runs[8].bytes / runs[8].best / 1e9, 100.0 * runs[8].bytes / runs[8].best / 1e9 / bw_best);
    printf("  decode K+V read rate, 1 thread:  %.1f GB/s = %.0f%% of the 1-thread read loop (CPU time)\n",
           runs[9].bytes / runs[9].best / 1e9, 100.0 * runs[9].bytes / runs[9].best / 1e9 / bw1_best);

    mha_args a;
    memset(&a, 0, sizeof a);
    a.threads = 2;
    a.shape = (mha_shape){1, 8, 8, 1024, 1024, 128};
    size_t w1 = mha_workspace_size(fl, &a);
    a.shape.q_len = a.shape.kv_len = 16384;
    size_t w2 = mha_workspace_size(fl, &a);
    printf("  workspace S=1024: %zu B, S=16384: %zu B (%s)\n", w1, w2, w2 <= w1 ? "does not grow" : "GROWS");
    return 0;
}
