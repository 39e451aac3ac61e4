/*
 * Machine probe, run once per benchmark process: the CPU model, cache
 * sizes (impl/core/cache_info.c, with their source), the fp32 peak of
 * every ISA level this CPU runs (x86-64: SSE2 mul+add, AVX2+FMA, AVX-512F;
 * AArch64: NEON FMA) and the bf16 dot-product rate where AVX512_BF16
 * exists, each on one thread and on all threads, and the memory read
 * bandwidth on one and on all threads with a buffer of at least 4x the
 * last-level cache. Percent-of-peak figures divide by these measured
 * numbers, not by a datasheet. Every rate is the sum over the threads of
 * each one's work / its own CPU time (CLOCK_THREAD_CPUTIME_ID), so time
 * slices other processes take on a shared machine do not lower it.
 */
#ifndef MHA_BENCH_PROBE_H
#define MHA_BENCH_PROBE_H

#ifdef __cplusplus
extern "C" {
#endif

#define BENCH_MAX_ISA 5

/* One peak loop's result. */
typedef struct bench_isa_peak {
    const char *isa;       /* "sse2", "neon", "avx2", "avx512", "avx512_bf16" */
    const char *op;        /* what the loop runs: "fp32 mul+add", "fp32 FMA", "bf16 dot product" */
    int lanes;             /* fp32 lanes per instruction */
    int bf16;              /* 1: not an fp32 peak (never the machine's fp32 peak) */
    double gflops_1, gflops_all;           /* best of the runs, / 1e9 */
    double min_1, median_1, min_all, median_all;   /* the spread of those runs */
} bench_isa_peak;

typedef struct bench_machine {
    char cpu_model[128];
    int cores;                 /* online logical CPUs */
    long cache_bytes[3];       /* L1d, L2, L3 of cpu0; never 0 */
    const char *cache_source[3];  /* "sysfs", "sysconf", "cpuid" or "assumed" */
    long llc_total_bytes;      /* L3 x the number of L3 instances (sysfs shared_cpu_list; 1 when unknown) */
    bench_isa_peak isa[BENCH_MAX_ISA];
    int n_isa;
    int widest;                /* index of the fp32 level with the highest 1-thread peak */
    double peak_gflops_1, peak_gflops_all;   /* the machine's: isa[widest] */
    double read_gbs_1, read_gbs;  /* read bandwidth, 1 thread and all threads, GB/s (1e9) */
    double read_min_1, read_min;  /* slowest of the timed passes (spread) */
    long read_buffer_bytes;
    double load_start[3];      /* getloadavg() before the probe */
} bench_machine;

void bench_probe_machine(bench_machine *m);

/* The machine's fp32 peak for t threads: 1 core's, all cores', or t x 1 core's between. */
double bench_peak_gflops(const bench_machine *m, int threads);
/* The same for one ISA level ("avx2", ...); 0 when that level was not probed. */
double bench_isa_peak_gflops(const bench_machine *m, const char *isa, int threads);
/* The probe level an implementation's isa string (mha_impl.isa) runs at, or NULL
 * ("blas": the library picks its own kernels). "c" is the baseline level;
 * "avx512_bf16" the bf16 dot-product level (the peak of issue 17, item 5). */
const char *bench_isa_level(const char *impl_isa);

#ifdef __cplusplus
}
#endif

#endif
