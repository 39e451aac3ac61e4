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

typedef struct row_kernels {
    int lanes; /* floats per vector */

    /* s[key[t]] = scale * <q, k_{key[t]}> + (mask ? mask[key[t]] : 0), t < n;
     * row j of K is k + j * k_step, dh floats */
    void (*scores)(const float *q, const float *k, int64_t k_step, const int32_t *key, int64_t n,
                   int64_t dh, float scale, const float *mask, float *s);
    /* s[j] = -inf, j < n */
    void (*clear)(float *s, int64_t n);
    /* max_j s[j], j < n; NaN if any s[j] is NaN */
    float (*max)(const float *s, int64_t n);
    /* s[j] = exp(s[j] - m), j < n; returns sum_j s[j] */
    float (*exp_sum)(float *s, int64_t n, float m);
    /* s[j] = s[j] * c, j < n */
    void (*scale)(float *s, int64_t n, float c);
    /* o[0:dh] = sum_t p[key[t]] * v_{key[t]}[0:dh], t < n; row j of V is v + j * v_step */
    void (*weighted_sum)(const float *p, const int32_t *key, int64_t n, const float *v, int64_t v_step,
                         int64_t dh, float *o);
} row_kernels;

/* The kernel tables of row_avx2.c, row_avx512.c and row_neon.c; each exists
 * only where its ISA is compiled (impl/row/meson.build). */
extern const row_kernels row_kernels_avx2, row_kernels_avx512, row_kernels_neon;

/* The driver: the descriptor's workspace function, and the attention on one kernel table. */
MHA_WORKSPACE_FN(row_workspace);
void row_attention(const mha_args *args, void *workspace, const row_kernels *kern);

#endif
