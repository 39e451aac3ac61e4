/* A pause after an OpenMP parallel region, before anything is timed. */
#ifndef BENCH_OMP_SETTLE_H
#define BENCH_OMP_SETTLE_H

#include <time.h>

/*
 * After a parallel region, libgomp's idle threads spin before they sleep
 * (GOMP_SPINCOUNT; measured on this project's 2-core machines: about 11 ms
 * of CPU time after a 2-thread region). A call timed at once shares its
 * cores with them: a 2-thread decode timed right after flash_ab's 2-thread
 * read loop measured 1.25x slower than the same library timed next. The
 * probes and read loops that use OpenMP wait this long before returning.
 */
#define BENCH_OMP_SETTLE_NS 50000000L

static inline void bench_omp_settle(void)
{
    const struct timespec t = {0, BENCH_OMP_SETTLE_NS};
    nanosleep(&t, NULL);
}

#endif
