/*
 * The library's threads: a parallel loop over work items on a small pool
 * of POSIX threads (parallel.c). Not part of the public interface.
 *
 * - The calling thread always works (worker 0), so a loop always runs.
 * - Never more threads than items: min(threads, items) at most.
 * - A thread that cannot be created (pthread_create fails: RLIMIT_NPROC,
 *   memory) is simply not used: the loop runs on the threads that did
 *   start. Nothing is printed, nothing ends the process.
 * - Worker ids are 0 .. min(threads, items) - 1 whichever threads run, so
 *   per-thread workspace slots sized for `threads` are enough.
 */
#ifndef MHA_PARALLEL_H
#define MHA_PARALLEL_H

#include <stdint.h>

/* Items [begin, end) on the thread with id worker. */
typedef void mha_parallel_fn(void *ctx, int64_t begin, int64_t end, int worker);

/* chunk value: one block of ceil(items / threads) consecutive items per thread. */
#define MHA_PARALLEL_BLOCKS 0

/*
 * Calls fn on ranges that cover [0, items) exactly once between them, on
 * at most min(threads, items) threads. Threads take ranges of `chunk`
 * consecutive items (MHA_PARALLEL_BLOCKS: one block per thread asked for)
 * in increasing order until none is left. Which thread runs an item is
 * not fixed; callers make each item's result independent of that.
 * Returns the number of threads that took part (1 when items <= 1).
 */
int mha_parallel_for(int threads, int64_t items, int64_t chunk, mha_parallel_fn *fn, void *ctx);

/* Threads held by the persistent pool (for tests: bounded by the work). */
int mha_parallel_pool_threads(void);

#endif
