/*
 * Machine probe, run once per benchmark process: the CPU model, cache
 * sizes, the measured fp32 FMA peak for one core and for all cores, and
 * the measured memory read bandwidth. Percent-of-peak counters divide by
 * these measured numbers, not by a datasheet. Rates are timed with each
 * thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so time slices taken by
 * other processes on a shared machine do not lower the peak.
 */
#ifndef MHA_BENCH_PROBE_H
#define MHA_BENCH_PROBE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bench_machine {
    char cpu_model[128];
    int cores;                 /* online logical CPUs */
    long l1d_bytes, l2_bytes, l3_bytes;  /* of cpu0; 0 when unknown */
    const char *fma_kind;      /* "avx2-fma" or "generic-simd" (what the peak loop used) */
    double peak_gflops_1;      /* fp32 FLOP/s of the FMA loop on one thread, / 1e9 */
    double peak_gflops_all;    /* the same on `cores` threads at once */
    double read_gbs;           /* memory read bandwidth on all threads, GB/s (1e9) */
    long read_buffer_bytes;
} bench_machine;

void bench_probe_machine(bench_machine *m);

/* Peak to divide by for a run on t threads: 1 core's, all cores', or t x 1 core's between. */
double bench_peak_gflops(const bench_machine *m, int threads);

/* Kernels of the peak loop: run iters iterations, return a value that depends on all of them. */
float bench_fma_loop_generic(long iters);
float bench_fma_loop_avx2(long iters);
/* FLOPs of one iteration of either loop. */
#define BENCH_FMA_FLOPS_PER_ITER (12.0 * 8.0 * 2.0)

#ifdef __cplusplus
}
#endif

#endif
