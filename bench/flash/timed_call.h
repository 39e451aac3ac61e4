/*
 * What the flash benchmark programs share: the arguments of a dense call,
 * inputs rounded to a dtype, its workspace, one timed call (wall time and the process's CPU time) and
 * the load average they print beside their ratios.
 */
#ifndef MHA_BENCH_TIMED_CALL_H
#define MHA_BENCH_TIMED_CALL_H

#include "mha.h"

/* Batch 1, q and out (sq, h, dh), k and v (skv, hkv, dh), all bshd and dense; dtype fp32, no mask. */
mha_args dense_args(int64_t h, int64_t hkv, int64_t sq, int64_t skv, int64_t dh, void *q, void *k, void *v,
                    void *out);

/* x[0..n) rounded to dtype (nearest even; a copy for fp32) in a new malloc'ed buffer (exits if none). */
void *dtype_copy(const float *x, size_t n, mha_dtype dtype);

/* Checks a against impl and gives it a workspace of the size impl asks (free a->workspace); exits naming `what`. */
void attach_workspace(const mha_impl *impl, mha_args *a, const char *what);

typedef struct call_time {
    double wall; /* seconds, CLOCK_MONOTONIC */
    double cpu;  /* seconds of the whole process's CPU time (every thread) */
} call_time;

/* One mha_attention(impl, a), timed; exits with "what: the library's message" when it fails. */
call_time time_call(const mha_impl *impl, const mha_args *a, const char *what);

/* Seconds on CLOCK_MONOTONIC, for timing other loops. */
double wall_s(void);

/* The 1-minute load average, or -1 when it cannot be read. */
double load_average(void);

#endif
