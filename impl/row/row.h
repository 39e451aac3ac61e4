/*
 * The row algorithm (registered as simd_avx2, simd_avx512, simd_neon):
 * naive's row algorithm (impl/naive/naive_row.h) with vector kernels.
 *
 * row.c is the driver, compiled once: threads, K/V packing, the visible
 * keys of a row, and the order of the steps. Each ISA fills a row_kernels
 * table (row_kernels_tmpl.h over that ISA's f32v shims, included by
 * row_<isa>.c) and passes it to row_attention().
 */
#ifndef MHA_ROW_H
#define MHA_ROW_H

#include "internal.h"

/* Score rows are padded with -inf to a multiple of ROW_PAD floats, a
 * multiple of every ISA's lane count: the row kernels get whole vectors. */
#define ROW_PAD 16

/* The most query rows one scores or weighted_sum call serves (row_kernels.qrows): 3 rows of 8 key
 * accumulators, 3 query vectors and a K vector fill 28 of 32 vector registers. */
#define ROW_MAX_QROWS 3

typedef struct row_kernels {
    int lanes; /* floats per vector */
    int qrows; /* query rows scores and weighted_sum take at once (nq), 1 to ROW_MAX_QROWS */

    /* s[r][key[t]] = scale * <q[r], k_{key[t]}> + (mask[r] ? mask[r][key[t]] : 0), r < nq, t < n[r]:
     * nq rows, each seeing the first n[r] keys of key[] (n[] does not decrease); row j of K is
     * k + j * k_step, dh floats */
    void (*scores)(int nq, const float *const q[], const float *k, int64_t k_step, const int32_t *key,
                   const int64_t n[], int64_t dh, float scale, const float *const mask[], float *const s[]);
    /* s[j] = -inf, j < n */
    void (*clear)(float *s, int64_t n);
    /* max_j s[j], j < n; NaN if any s[j] is NaN */
    float (*max)(const float *s, int64_t n);
    /* s[j] = exp(s[j] - m), j < n; returns sum_j s[j] */
    float (*exp_sum)(float *s, int64_t n, float m);
    /* s[j] = s[j] * c, j < n */
    void (*scale)(float *s, int64_t n, float c);
    /* o[r][0:dh] = sum_{t < n[r]} p[r][key[t]] * v_{key[t]}[0:dh], r < nq (n[] does not decrease);
     * row j of V is v + j * v_step */
    void (*weighted_sum)(int nq, const float *const p[], const int32_t *key, const int64_t n[], const float *v,
                         int64_t v_step, int64_t dh, float *const o[]);
} row_kernels;

/* The kernel tables of row_avx2.c, row_avx512.c and row_neon.c; each exists
 * only where its ISA is compiled (impl/row/meson.build). */
extern const row_kernels row_kernels_avx2, row_kernels_avx512, row_kernels_neon;

/* The driver: the descriptor's workspace function, and the attention on one kernel table. */
MHA_WORKSPACE_FN(row_workspace);
void row_attention(const mha_args *args, void *workspace, const row_kernels *kern);

#endif
