/* The read-bandwidth loop of flash_bench and flash_ab (the FMA peak loop is the probe's, ../probe_loops.h). */
#ifndef READ_SUM_H
#define READ_SUM_H
#include <stddef.h>
/* Sum of n floats (4 AVX2 accumulators), for the read-bandwidth loop. */
float read_sum_avx2(const float *p, size_t n);

#include <time.h>

#include "../omp_settle.h"
#ifdef _OPENMP
#include <omp.h>
#endif

/* Read bandwidth in GB/s (wall time): `threads` threads each sum their
 * share of buf[0..n) (the read loop flash_bench and flash_ab compare with);
 * returns once OpenMP's threads have stopped spinning (bench_omp_settle). */
static inline double read_loop_gbs(const float *buf, size_t n, int threads)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    float total = 0.0f;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : total)
    {
        size_t part = n / (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
        total += read_sum_avx2(buf + t * part, part);
    }
#else
    (void)threads;
    total = read_sum_avx2(buf, n);
#endif
    clock_gettime(CLOCK_MONOTONIC, &t1);
    volatile float sink = total;
    (void)sink;
    bench_omp_settle();
    return (double)n * 4.0 / ((double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec)) / 1e9;
}
#endif
