/*
 * The phase clock of the GEMM path (`gemm`, `gemm_avx2`, `blas*`): wall
 * time of each phase of the calls of mha_gemm_attend (gemm_head.h) made
 * from one thread, per worker, for mha-bench's breakdown benchmarks
 * (docs/benchmarks.md). For each row block a worker computes, it adds the
 * seconds of the scores product (Q K^T), of the softmax rows and of the
 * weighted-sum product (P V) to its entry; the rest of a call (packing K
 * and V, the output's finiteness check, thread start-up and waiting) is in
 * no phase. Off by default: then the cost is one test per row block.
 * Plain C, usable from C++.
 */
#ifndef MHA_GEMM_PHASE_CLOCK_H
#define MHA_GEMM_PHASE_CLOCK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mha_gemm_phase_times {
    double scores, softmax, values; /* seconds */
    int64_t blocks;                 /* row blocks timed */
    char pad[32];                   /* one cache line per worker */
} mha_gemm_phase_times;

typedef struct mha_gemm_phase_clock {
    mha_gemm_phase_times *per_worker; /* capacity entries; each call adds to them */
    int capacity;
    int workers;                      /* set by each call: workers that took part (0: not timed, too few entries) */
} mha_gemm_phase_clock;

/* Times the calls made from this thread into clock from now on; NULL stops. */
void mha_gemm_set_phase_clock(mha_gemm_phase_clock *clock);

#ifdef __cplusplus
}
#endif

#endif
