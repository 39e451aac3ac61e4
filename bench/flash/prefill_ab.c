/*
 * prefill_ab: the prefill targets of flash (B = 1, H = 8, Sq = Skv = S)
 * for one or more libmha builds in one interleaved run: every repetition
 * times every point with every library in turn (A B, then B A, ...:
 * lib_ab_turn), and the
 * probe's peak loop of the implementation's ISA once (AVX-512F FMA for an
 * "avx512" implementation, vdpbf16ps for "avx512_bf16", AVX2 FMA for the
 * others), so that load on a shared machine falls on all of them alike.
 *   build/bench/flash/prefill_ab REPS IMPL LIB... [-p S:DH:THREADS:CAUSAL]...
 * Without -p the points are the targets' grid: S 1024 and 4096, Dh 64 and
 * 128, 1 and 2 threads, plus causal and non-causal 1-thread runs at S 2048
 * and 4096. Per point and library: the median wall time and its spread
 * (min .. max), GFLOP/s, and % of the FMA peak (of `threads` cores, the
 * peak being the probe loop's median over the run); GFLOP/s also from
 * process CPU time (CPU; median and best), which other processes on the
 * cores inflate less (they still evict the caches). Ratios: library 0's time over each library's, wall and CPU
 * (the median of the per-repetition ratios), causal over non-causal, 2 threads
 * over 1. FLOPs: 4 * H * S^2 * Dh, halved for causal.
 * --no-peak skips the probe loop (for callgrind, one small point:
 *   valgrind --tool=callgrind prefill_ab 1 flash_avx2 LIB --no-peak -p 512:64:1:0).
 */
#include "mha.h"
#include "lib_ab.h"
#include "../probe_loops.h"
#include "../bench_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_LIBS 8
#define MAX_POINTS 32
#define MAX_REPS 64

typedef struct point {
    int64_t s, dh;
    int threads, causal;
    double wall[MAX_LIBS][MAX_REPS], cpu[MAX_LIBS][MAX_REPS];
} point;

/* The probe level a %peak column divides by: the implementation's isa ("avx512", "avx512_bf16") where the probe
 * has that level, AVX2 for the others; exits with a message when this build or CPU lacks it. */
static probe_level pick_peak_loop(const char *isa)
{
    const char *want = strcmp(isa, "avx512") == 0 || strcmp(isa, "avx512_bf16") == 0 ? isa : "avx2";
    probe_level levels[PROBE_MAX_LEVELS];
    const int n = probe_levels(levels);
    for (int i = 0; i < n; i++)
        if (strcmp(levels[i].isa, want) == 0)
            return levels[i];
    fprintf(stderr, "prefill_ab: no %s peak loop on this build or CPU; use --no-peak\n", want);
    exit(2);
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* Median of v[0..n) (v is sorted in place). */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double flops(const point *p)
{
    return 4.0 * 8.0 * (double)p->s * (double)p->s * (double)p->dh * (p->causal ? 0.5 : 1.0);
}

/* The point with these fields, or NULL. */
static point *find(point *pts, int n, int64_t s, int64_t dh, int threads, int causal)
{
    for (int i = 0; i < n; i++)
        if (pts[i].s == s && pts[i].dh == dh && pts[i].threads == threads && pts[i].causal == causal)
            return &pts[i];
    return NULL;
}

/* Median over repetitions of a.time / b.time for library l (1 with both sides' field). */
static double ratio(const point *a, const point *b, int l, int reps, int cpu)
{
    double r[MAX_REPS];
    for (int i = 0; i < reps; i++)
        r[i] = cpu ? a->cpu[l][i] / b->cpu[l][i] : a->wall[l][i] / b->wall[l][i];
    return median(r, reps);
}

static void time_point(point *p, const lib_ab *lib, int l, int rep, const float *q, const float *k,
                       const float *v, float *o)
{
    mha_args a;
    memset(&a, 0, sizeof a);
    a.shape = (mha_shape){1, 8, 8, p->s, p->s, p->dh};
    a.q = q;
    a.k = k;
    a.v = v;
    a.out = o;
    a.q_strides = a.out_strides = a.k_strides = a.v_strides = lib->strides_bshd(p->s, 8, p->dh);
    a.causal = p->causal;
    a.threads = p->threads;
    const double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    if (lib->attention(lib->impl, &a) != MHA_OK) {
        fprintf(stderr, "%s failed at S=%lld Dh=%lld\n", lib->path, (long long)p->s, (long long)p->dh);
        exit(1);
    }
    p->wall[l][rep] = clock_s(CLOCK_MONOTONIC) - t0;
    p->cpu[l][rep] = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
}

static int parse_point(const char *s, point *p)
{
    long long S, dh;
    int th, ca;
    char end;
    if (sscanf(s, "%lld:%lld:%d:%d%c", &S, &dh, &th, &ca, &end) != 4 || S < 1 || S > 65536 || dh < 1 ||
        dh > 1024 || th < 1 || th > 64 || (ca != 0 && ca != 1)) {
        fprintf(stderr, "prefill_ab: -p expects S:DH:THREADS:CAUSAL (S 1..65536, DH 1..1024, THREADS 1..64, "
                        "CAUSAL 0 or 1), got '%s'\n", s);
        return -1;
    }
    *p = (point){.s = S, .dh = dh, .threads = th, .causal = ca};
    return 0;
}

int main(int argc, char **argv)
{
    static const char usage[] =
        "usage: prefill_ab REPS IMPL LIB... [--no-peak] [-p S:DH:THREADS:CAUSAL]...   (1 to 8 libmha builds)\n"
        "  flash prefill points (B=1, H=8) for each library, interleaved; REPS 1 to 64\n"
        "  --no-peak: no probe loop (the %peak columns then read GFLOP/s per 1 GFLOP/s)\n";
    bench_help(argc, argv, usage);
    if (argc < 4) {
        fprintf(stderr, "prefill_ab: expected REPS, IMPL and at least one library\n%s", usage);
        return 2;
    }
    const int reps = bench_int_arg(argc, argv, 1, 0, 1, "REPS", usage);
    if (reps > MAX_REPS) {
        fprintf(stderr, "prefill_ab: REPS must be at most %d, got %d\n", MAX_REPS, reps);
        return 2;
    }
    static point pts[MAX_POINTS];
    static lib_ab libs[MAX_LIBS];
    int npt = 0, nlib = 0, no_peak = 0;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--no-peak") == 0) {
            no_peak = 1;
        } else if (strcmp(argv[i], "-p") == 0) {
            if (i + 1 >= argc || npt == MAX_POINTS || parse_point(argv[i + 1], &pts[npt]) != 0) {
                fprintf(stderr, "prefill_ab: -p needs a point (at most %d points)\n", MAX_POINTS);
                return 2;
            }
            npt++;
            i++;
        } else if (nlib == MAX_LIBS) {
            fprintf(stderr, "prefill_ab: at most %d libraries, '%s' is one more\n", MAX_LIBS, argv[i]);
            return 2;
        } else if (lib_ab_open(&libs[nlib++], argv[i], argv[2]) != 0) {
            return 1;
        }
    }
    if (nlib == 0) {
        fprintf(stderr, "prefill_ab: no library given\n%s", usage);
        return 2;
    }
    if (npt == 0) {
        static const int64_t grid[][4] = {
            {1024, 64, 1, 0}, {1024, 128, 1, 0}, {4096, 64, 1, 0}, {4096, 128, 1, 0},
            {1024, 64, 2, 0}, {1024, 128, 2, 0}, {4096, 64, 2, 0}, {4096, 128, 2, 0},
            {2048, 64, 1, 0}, {2048, 128, 1, 0}, {2048, 64, 1, 1}, {2048, 128, 1, 1},
            {4096, 64, 1, 1}, {4096, 128, 1, 1},
        };
        for (size_t i = 0; i < sizeof grid / sizeof *grid; i++)
            pts[npt++] = (point){.s = grid[i][0], .dh = grid[i][1], .threads = (int)grid[i][2],
                                 .causal = (int)grid[i][3]};
    }
    size_t most = 0;
    for (int i = 0; i < npt; i++)
        if ((size_t)(pts[i].s * 8 * pts[i].dh) > most)
            most = (size_t)(pts[i].s * 8 * pts[i].dh);
    float *q = malloc(most * 4), *k = malloc(most * 4), *v = malloc(most * 4), *o = malloc(most * 4);
    if (!q || !k || !v || !o) {
        fprintf(stderr, "prefill_ab: out of memory for %zu floats\n", 4 * most);
        return 1;
    }
    for (size_t i = 0; i < most; i++) {
        q[i] = (float)(i * 7919 % 1000) / 1000.0f - 0.5f;
        k[i] = (float)(i * 104729 % 1000) / 1000.0f - 0.5f;
        v[i] = (float)(i * 7907 % 997) / 997.0f - 0.5f;
    }
    double peak[MAX_REPS];
    const long iters = 20 * 1000 * 1000;
    const probe_level loop = no_peak ? (probe_level){"none", "", 8, 0, NULL} : pick_peak_loop(libs[0].impl->isa);
    for (int rep = 0; rep < reps; rep++) {
        const double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        volatile float sink = no_peak ? 0.0f : loop.loop(iters);
        (void)sink;
        peak[rep] = no_peak ? 1.0 : (double)iters * probe_level_flops(&loop) / (clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0) / 1e9;
        for (int i = 0; i < npt; i++)
            for (int turn = 0; turn < nlib; turn++) {
                const int l = lib_ab_turn(turn, rep, nlib);
                time_point(&pts[i], &libs[l], l, rep, q, k, v, o);
            }
    }
    const double pk = median(peak, reps);
    double load[3] = {0, 0, 0};
    getloadavg(load, 3);
    printf("%s, %d reps interleaved; load average at the end %.2f %.2f %.2f (2 cores)\n", argv[2], reps, load[0],
           load[1], load[2]);
    printf("%s %s peak (probe loop, 1 core, CPU time): median %.1f GFLOP/s, spread %.1f .. %.1f\n", loop.isa,
           loop.op, pk, peak[0], peak[reps - 1]);
    printf("%-22s %3s %9s %19s %8s %6s %8s %6s %8s %6s %8s %8s\n", "point", "lib", "wall ms", "spread ms",
           "GFLOP/s", "%peak", "CPU GF/s", "%peak", "best CPU", "%peak", "x lib 0", "CPU x");
    for (int i = 0; i < npt; i++) {
        point *p = &pts[i];
        char name[64];
        snprintf(name, sizeof name, "S%lld Dh%lld %dt%s", (long long)p->s, (long long)p->dh, p->threads,
                 p->causal ? " causal" : "");
        for (int l = 0; l < nlib; l++) {
            double w[MAX_REPS], c[MAX_REPS], r[MAX_REPS], rc[MAX_REPS];
            for (int x = 0; x < reps; x++) {
                w[x] = p->wall[l][x];
                c[x] = p->cpu[l][x] / p->threads;
                r[x] = p->wall[0][x] / p->wall[l][x];
                rc[x] = p->cpu[0][x] / p->cpu[l][x];
            }
            const double wm = median(w, reps), f = flops(p) / 1e9;
            const double cm = median(c, reps), cb = c[0]; /* c is sorted now */
            printf("%-22s %3d %9.2f %8.2f .. %8.2f %8.1f %5.1f%% %8.1f %5.1f%% %8.1f %5.1f%% %7.3fx %7.3fx\n", name, l,
                   wm * 1e3, w[0] * 1e3, w[reps - 1] * 1e3, f / wm, 100.0 * f / wm / (pk * p->threads), f / cm,
                   100.0 * f / cm / (pk * p->threads), f / cb, 100.0 * f / cb / (pk * p->threads), median(r, reps),
                   median(rc, reps));
        }
    }
    printf("ratios (median over repetitions of the per-repetition ratio; wall, CPU):\n");
    for (int i = 0; i < npt; i++) {
        const point *p = &pts[i];
        const point *nc = p->causal ? find(pts, npt, p->s, p->dh, p->threads, 0) : NULL;
        const point *one = p->threads == 2 && !p->causal ? find(pts, npt, p->s, p->dh, 1, 0) : NULL;
        for (int l = 0; l < nlib; l++) {
            if (nc)
                printf("  lib %d causal speedup S%lld Dh%lld: %.3fx wall, %.3fx CPU\n", l, (long long)p->s,
                       (long long)p->dh, ratio(nc, p, l, reps, 0), ratio(nc, p, l, reps, 1));
            if (one)
                printf("  lib %d 2 threads vs 1 S%lld Dh%lld: %.3fx wall\n", l, (long long)p->s,
                       (long long)p->dh, ratio(one, p, l, reps, 0));
        }
    }
    for (int l = 0; l < nlib; l++)
        printf("  lib %d: %s\n", l, libs[l].path);
    return 0;
}
