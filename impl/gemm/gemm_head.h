/*
 * The part of the reshape-then-GEMM algorithm that `gemm` and `blas`
 * share: one query head's rows, given two matrix products.
 *
 *   S = scale * Q K^T           (product 1, rows x visible keys)
 *   S[i][j] += M[i][j], hidden keys -> -inf
 *   P = softmax_rows(S)         (in place, max subtracted)
 *   O = P V                     (product 2, written to the strided output)
 *
 * Only the two products differ between the implementations; they reach
 * the data through the callbacks below.
 */
#ifndef MHA_GEMM_HEAD_H
#define MHA_GEMM_HEAD_H

#include "gemm_phase_clock.h"
#include "internal.h"

/*
 * Rows go in blocks of this many, aligned to multiples of it; under the
 * causal flag each block's products stop at the last key its last row
 * sees. Callers that split a head into row ranges cut them at multiples of
 * it, so every row lands in the same block (same products, same bits)
 * whatever the split and the thread count. (OpenBLAS's bits for a row
 * depend on how many rows the product has, so blocks are fixed for the
 * non-causal case too.)
 */
#define MHA_GEMM_ROW_BLOCK 64

/*
 * Work split of one attention call into (batch, head, row chunk) items,
 * one thread each: a head is cut into row chunks (multiples of
 * MHA_GEMM_ROW_BLOCK rows) only when there are fewer heads than threads.
 * threads = how many threads get an item.
 */
typedef struct mha_gemm_split {
    int64_t chunk_rows, chunks; /* rows per item, items per (b, h) */
    int threads;
} mha_gemm_split;

mha_gemm_split mha_gemm_split_work(const mha_shape *s, int threads);

/* The (batch, head) an item computes, and the worker computing it. */
typedef struct mha_gemm_item {
    int64_t b, h, g; /* g = the kv head h reads */
    int worker;
} mha_gemm_item;

/* The two products of one item, on rows [i0, i0 + rows) of Q and O. */
typedef struct mha_gemm_products {
    /* s[r][j] = scale * <Q[b,i0+r,h,:], K[b,j,g,:]>  for r < rows, j < keys (ld lds) */
    void (*scores)(void *ctx, const mha_gemm_item *it, int64_t i0, int64_t rows, int64_t keys, float *s,
                   int64_t lds);
    /* O[b,i0+r,h,:] = sum_{j < keys} p[r][j] * V[b,j,g,:]  (keys may be 0: O = 0) */
    void (*weighted_sum)(void *ctx, const mha_gemm_item *it, int64_t i0, int64_t rows, int64_t keys,
                         const float *p, int64_t ldp);
    void *ctx;
} mha_gemm_products;

/*
 * The whole attention: the (batch, head, row chunk) items of
 * mha_gemm_split_work(shape, a->threads) over the threads. Each item's
 * scores are computed in args->probs when it is set, else in the worker's
 * scratch: scores + worker * scores_stride floats (chunk_rows x Skv).
 */
void mha_gemm_attend(const mha_args *a, float *scores, size_t scores_stride, const mha_gemm_products *prod);

/*
 * exp(x) for x <= 0 in plain C that vectorizes at baseline flags:
 * exp(-inf) = 0, NaN stays NaN, relative error about 2 ulp. Exposed for
 * the tests.
 */
float mha_gemm_exp_nonpositive(float x);

#endif
