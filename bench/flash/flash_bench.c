/*
 * flash_bench: the flash targets as ratios measured in one interleaved run.
 *   1. flash_avx2 vs naive and vs the FMA peak (measured here) at S = 1024,
 *      Dh 64 and 128, H = 8, 1 thread, non-causal
 *   2. causal vs non-causal at S = 2048
 *   3. 2 threads vs 1 at S = 1024 and 2048, Dh 64 and 128
 *   4. workspace at S = 16384 vs S = 1024
 *   5. decode (Sq = 1, Skv = 32768, H = 32, Hkv = 8, Dh = 128, 2 threads and
 *      1 thread): K and V bytes read per second vs a plain read loop with
 *      the same number of threads (2-thread decode vs 2-thread loop,
 *      1-thread decode vs 1-thread loop)
 * Everything is timed in wall time. Every measurement is repeated REPS
 * times in round-robin order (the 1- and 2-thread runs of a shape one
 * after the other) and the best (minimum) time is kept: on a shared, noisy
 * machine the minimum is the best estimate of the unloaded time. The load
 * average is printed; a 2-thread run still needs both cores free at once.
 * Usage: flash_bench [reps] [impl] [mode]   (defaults 5, flash_avx2, all)
 *   sweep:   only the 1-thread flash runs of item 1 (for MHA_FLASH_BQ / _BK sweeps)
 *   threads: only item 3
 *   decode:  only item 5
 * FLOPs of attention: 4 * B * H * Sq * Skv * Dh, halved for causal.
 */
#include "mha.h"
#include "read_sum.h"
#include "timed_call.h"
#include "../probe_loops.h"
#include "../bench_args.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct run {
    const char *label;
    const mha_impl *impl;
    int64_t h, hkv, sq, skv, dh;
    int causal, threads;
    mha_args a;
    double best, flops, bytes;
    double best_cpu; /* process CPU time of the fastest run */
    int group;       /* the item it belongs to (1, 3 or 5) */
} run;

static void setup(run *r)
{
    mha_rng rng;
    mha_rng_seed(&rng, 7);
    size_t nq = (size_t)(r->sq * r->h * r->dh), nk = (size_t)(r->skv * r->hkv * r->dh);
    float *q = malloc(nq * 4), *o = malloc(nq * 4), *k = malloc(nk * 4), *v = malloc(nk * 4);
    mha_rng_fill(&rng, q, nq, 1.0f);
    mha_rng_fill(&rng, k, nk, 1.0f);
    mha_rng_fill(&rng, v, nk, 1.0f);
    r->a = dense_args(r->h, r->hkv, r->sq, r->skv, r->dh, q, k, v, o);
    r->a.causal = r->causal;
    r->a.threads = r->threads;
    attach_workspace(r->impl, &r->a, r->label);
    r->best = INFINITY;
    r->best_cpu = INFINITY;
    r->flops = 4.0 * (double)r->h * (double)r->sq * (double)r->skv * (double)r->dh * (r->causal ? 0.5 : 1.0);
    r->bytes = 2.0 * (double)nk * 4.0;
}

static void time_once(run *r)
{
    const call_time t = time_call(r->impl, &r->a, r->label);
    if (t.wall < r->best) {
        r->best = t.wall;
        r->best_cpu = t.cpu;
    }
}

static double peak_best = 0.0;
static void time_peak(void)
{
    const int64_t iters = 20 * 1000 * 1000;
    double t0 = wall_s();
    volatile float sink = probe_loop_avx2(iters);
    (void)sink;
    double gf = (double)iters * (PROBE_CHAINS * 8 * 2) / (wall_s() - t0) / 1e9;
    if (gf > peak_best)
        peak_best = gf;
}

/* Read bandwidth: sum a 256 MiB buffer with `threads` threads (1 or 2), wall time. */
static double bw_best[3];
static float *bw_buf;
static const size_t bw_n = (size_t)64 << 20;
static void time_bw(int threads)
{
    double gbs = read_loop_gbs(bw_buf, bw_n, threads);
    if (gbs > bw_best[threads])
        bw_best[threads] = gbs;
}

/* The run labelled `label` (every label below exists). */
static run *find(run *runs, int n, const char *label)
{
    for (int i = 0; i < n; i++)
        if (strcmp(runs[i].label, label) == 0)
            return &runs[i];
    fprintf(stderr, "no run %s\n", label);
    exit(1);
}

int main(int argc, char **argv)
{
    static const char usage[] =
        "usage: flash_bench [reps] [impl] [mode]     defaults: 5 flash_avx2 all\n"
        "  the flash targets as ratios in one interleaved run (wall time, best of reps)\n"
        "  mode: all | sweep (1-thread runs, for MHA_FLASH_BQ/_BK) | threads | decode\n";
    bench_help(argc, argv, usage);
    const int reps = bench_int_arg(argc, argv, 1, 5, 1, "reps", usage);
    const char *name = argc > 2 ? argv[2] : "flash_avx2";
    const mha_impl *fl = mha_impl_find(name), *nv = mha_impl_find("naive");
    if (!fl || !mha_impl_runnable(fl, NULL, 0)) {
        fprintf(stderr, "%s is not available here\n", name);
        return 1;
    }
    /* groups: 1 = items 1, 2 (1 thread), 3 = thread scaling, 5 = decode */
    run runs[] = {
        {"flash S1024 Dh64 1t", fl, 8, 8, 1024, 1024, 64, 0, 1, .group = 3},
        {"flash S1024 Dh64 2t", fl, 8, 8, 1024, 1024, 64, 0, 2, .group = 3},
        {"naive S1024 Dh64 1t", nv, 8, 8, 1024, 1024, 64, 0, 1, .group = 1},
        {"flash S1024 Dh128 1t", fl, 8, 8, 1024, 1024, 128, 0, 1, .group = 3},
        {"flash S1024 Dh128 2t", fl, 8, 8, 1024, 1024, 128, 0, 2, .group = 3},
        {"naive S1024 Dh128 1t", nv, 8, 8, 1024, 1024, 128, 0, 1, .group = 1},
        {"flash S2048 Dh64 1t", fl, 8, 8, 2048, 2048, 64, 0, 1, .group = 3},
        {"flash S2048 Dh64 2t", fl, 8, 8, 2048, 2048, 64, 0, 2, .group = 3},
        {"flash S2048 Dh64 1t causal", fl, 8, 8, 2048, 2048, 64, 1, 1, .group = 1},
        {"flash S2048 Dh128 1t", fl, 8, 8, 2048, 2048, 128, 0, 1, .group = 3},
        {"flash S2048 Dh128 2t", fl, 8, 8, 2048, 2048, 128, 0, 2, .group = 3},
        {"flash decode Skv32768 H32/8 Dh128 1t", fl, 32, 8, 1, 32768, 128, 0, 1, .group = 5},
        {"flash decode Skv32768 H32/8 Dh128 2t", fl, 32, 8, 1, 32768, 128, 0, 2, .group = 5},
    };
    const int nr = (int)(sizeof runs / sizeof *runs);
    const char *mode = argc > 3 ? argv[3] : "all";
    const int all = strcmp(mode, "all") == 0, sweep = strcmp(mode, "sweep") == 0;
    const int only = strcmp(mode, "threads") == 0 ? 3 : strcmp(mode, "decode") == 0 ? 5 : 0;
    if (!all && !sweep && !only) {
        fprintf(stderr, "flash_bench: mode must be all, sweep, threads or decode, got '%s'\n", mode);
        return 1;
    }
    for (int i = 0; i < nr; i++)
        setup(&runs[i]);
    run *f64 = find(runs, nr, "flash S1024 Dh64 1t"), *f128 = find(runs, nr, "flash S1024 Dh128 1t");

    if (sweep) {
        for (int rep = 0; rep < reps; rep++) {
            time_peak();
            time_once(f64);
            time_once(f128);
        }
        printf("BQ=%s BK=%s  Dh64 %.1f%%  Dh128 %.1f%% of peak %.1f GFLOP/s\n",
               getenv("MHA_FLASH_BQ") ? getenv("MHA_FLASH_BQ") : "rule",
               getenv("MHA_FLASH_BK") ? getenv("MHA_FLASH_BK") : "rule",
               100.0 * f64->flops / f64->best / 1e9 / peak_best,
               100.0 * f128->flops / f128->best / 1e9 / peak_best, peak_best);
        return 0;
    }
    const int want_bw = all || only == 5;
    if (want_bw) {
        bw_buf = malloc(bw_n * 4);
        for (size_t i = 0; i < bw_n; i++)
            bw_buf[i] = 1.0f;
    }
    for (int rep = 0; rep < reps; rep++) {
        if (all)
            time_peak();
        if (want_bw) {
            time_bw(1);
            time_bw(2);
        }
        for (int i = 0; i < nr; i++)
            if (all || runs[i].group == only)
                time_once(&runs[i]);
    }

    const double load = load_average();
    if (load >= 0)
        printf("load average at the end: %.2f (2 cores)\n", load);
    printf("wall time, %d reps, best of each;", reps);
    if (all)
        printf("  FMA peak (1 core, AVX2): %.1f GFLOP/s;", peak_best);
    if (want_bw)
        printf("  read loop: %.1f GB/s (1 thread), %.1f GB/s (2 threads)", bw_best[1], bw_best[2]);
    printf("\n");
    for (int i = 0; i < nr; i++) {
        const run *r = &runs[i];
        if (!all && r->group != only)
            continue;
        printf("  %-40s %9.3f ms  %7.1f GFLOP/s", r->label, r->best * 1e3, r->flops / r->best / 1e9);
        if (all)
            printf("  %5.1f%% of peak", 100.0 * r->flops / r->best / 1e9 / (peak_best * r->threads));
        printf("  workspace %zu B\n", r->a.workspace_bytes);
    }
    printf("ratios:\n");
    if (all) {
        const run *n64 = find(runs, nr, "naive S1024 Dh64 1t"), *n128 = find(runs, nr, "naive S1024 Dh128 1t");
        const run *nc = find(runs, nr, "flash S2048 Dh64 1t"), *ca = find(runs, nr, "flash S2048 Dh64 1t causal");
        printf("  flash/naive speedup S1024 Dh64:  %.2fx\n", n64->best / f64->best);
        printf("  flash/naive speedup S1024 Dh128: %.2fx\n", n128->best / f128->best);
        printf("  flash %% of FMA peak S1024 Dh64:  %.1f%%  (target >= 70%%)\n",
               100.0 * f64->flops / f64->best / 1e9 / peak_best);
        printf("  flash %% of FMA peak S1024 Dh128: %.1f%%  (target >= 70%%)\n",
               100.0 * f128->flops / f128->best / 1e9 / peak_best);
        printf("  causal speedup S2048:            %.2fx  (target >= 1.7x)\n", nc->best / ca->best);
    }
    if (all || only == 3) {
        static const char *const shapes[] = {"S1024 Dh64", "S1024 Dh128", "S2048 Dh64", "S2048 Dh128"};
        for (int x = 0; x < 4; x++) {
            char l1[64], l2[64];
            snprintf(l1, sizeof l1, "flash %s 1t", shapes[x]);
            snprintf(l2, sizeof l2, "flash %s 2t", shapes[x]);
            const run *r1 = find(runs, nr, l1), *r2 = find(runs, nr, l2);
            /* the CPU-time figure: (1-thread time) / (2-thread process CPU time / 2), the
             * speedup if both threads stay busy, whatever holds the cores */
            printf("  2 threads vs 1 %-12s      %.2fx wall  (target >= 1.8x);  %.2fx from CPU time\n", shapes[x],
                   r1->best / r2->best, r1->best_cpu / (r2->best_cpu / 2));
        }
    }
    if (want_bw) {
        const run *d1 = find(runs, nr, "flash decode Skv32768 H32/8 Dh128 1t");
        const run *d2 = find(runs, nr, "flash decode Skv32768 H32/8 Dh128 2t");
        printf("  decode K+V read rate, 2 threads: %.1f GB/s = %.0f%% of the 2-thread read loop (target >= 60%%)\n",
               d2->bytes / d2->best / 1e9, 100.0 * d2->bytes / d2->best / 1e9 / bw_best[2]);
        printf("  decode K+V read rate, 1 thread:  %.1f GB/s = %.0f%% of the 1-thread read loop\n",
               d1->bytes / d1->best / 1e9, 100.0 * d1->bytes / d1->best / 1e9 / bw_best[1]);
    }
    if (!all)
        return 0;

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
