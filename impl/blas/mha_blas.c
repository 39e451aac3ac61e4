/*
 * blas: the reshape-then-GEMM algorithm of `gemm` with both products done
 * by CBLAS (OpenBLAS): what most users would write by hand. The strided
 * views go to cblas_sgemm as they are (the leading dimension is the seq
 * stride, so BLAS's own packing does the reshape); the query heads of a
 * GQA group pass the same K and V pointers, nothing is copied per head.
 *
 * Threads: the (batch, head, row chunk) items of `gemm` (gemm_head.h) go
 * to args->threads workers of libmha's pool, each calling cblas_sgemm with OpenBLAS
 * set to one thread for the duration of the call (OpenBLAS's advice for
 * callers that thread themselves; the setting is restored afterwards).
 * OpenBLAS's bits change with its own thread count; one thread per product
 * gives the same bits for any args->threads.
 * openblas_set_num_threads() is process-wide: two caller threads running
 * `blas` at once race on that setting (the results stay right; only
 * OpenBLAS's threading of other calls is affected).
 * Dimensions and strides are passed as BLAS ints (32-bit in Debian's
 * build). Input views whose rows overlap go through plain loops instead
 * (see blas_can()).
 */
#include "../gemm/gemm_head.h"

#include "parallel.h"

/* blas_scipy.c and blas_mkl.c define these names and include this file to
 * build it again for another CBLAS; by default it is OpenBLAS as `blas`. */
#ifndef MHA_BLAS_IMPL
#define MHA_BLAS_HEADER <cblas.h>
#define MHA_BLAS_IMPL mha_impl_blas
#define MHA_BLAS_NAME "blas"
#define MHA_BLAS_SUMMARY "reshape-then-GEMM with both products by OpenBLAS's cblas_sgemm"
#define MHA_BLAS_CAPS (MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS)
#endif

#include MHA_BLAS_HEADER
#include <string.h>

/*
 * BLAS wants a leading dimension of at least the row length, but input
 * views here may have overlapping rows (a seq stride below Dh, e.g. 0 to
 * broadcast one row). With a single row the leading dimension is never
 * used and any legal value will do; with more rows such a view cannot go
 * to BLAS and the product is done by the plain loops below.
 */
static int blas_can(int64_t ld, int64_t rows, int64_t cols)
{
    return rows <= 1 || ld >= cols;
}

static blasint blas_ld(int64_t ld, int64_t rows, int64_t cols)
{
    if (rows <= 1 && ld < cols)
        return (blasint)(cols > 1 ? cols : 1);
    return (blasint)ld;
}

/* s = scale * Q[b, i0:i0+rows, h, :] K[b, 0:keys, g, :]^T */
static void head_scores(void *ctx, const mha_gemm_item *it, int64_t i0, int64_t rows, int64_t keys, float *s,
                        int64_t lds)
{
    const mha_args *a = ctx;
    const int64_t dh = a->shape.head_dim, ldq = a->q_strides.seq, ldk = a->k_strides.seq;
    const float *q = mha_row(a->q, a->q_strides, it->b, i0, it->h);
    const float *k = mha_row(a->k, a->k_strides, it->b, 0, it->g);
    if (blas_can(ldq, rows, dh) && blas_can(ldk, keys, dh)) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)rows, (blasint)keys, (blasint)dh, a->scale,
                    q, blas_ld(ldq, rows, dh), k, blas_ld(ldk, keys, dh), 0.0f, s, (blasint)lds);
        return;
    }
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < keys; j++) {
            float dot = 0.0f;
            for (int64_t d = 0; d < dh; d++)
                dot += q[r * ldq + d] * k[j * ldk + d];
            s[r * lds + j] = a->scale * dot;
        }
}

/* O[b, i0:i0+rows, h, :] = P[:, 0:keys] V[b, 0:keys, g, :] */
static void head_values(void *ctx, const mha_gemm_item *it, int64_t i0, int64_t rows, int64_t keys, const float *p,
                        int64_t ldp)
{
    const mha_args *a = ctx;
    const int64_t dh = a->shape.head_dim, ldv = a->v_strides.seq, ldo = a->out_strides.seq;
    const float *v = mha_row(a->v, a->v_strides, it->b, 0, it->g);
    float *o = mha_row_mut(a->out, a->out_strides, it->b, i0, it->h);
    /* the output's rows never overlap (validated), so only V can stop BLAS */
    if (keys > 0 && blas_can(ldv, keys, dh)) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)rows, (blasint)dh, (blasint)keys, 1.0f,
                    p, (blasint)ldp, v, blas_ld(ldv, keys, dh), 0.0f, o, blas_ld(ldo, rows, dh));
        return;
    }
    for (int64_t r = 0; r < rows; r++) { /* keys == 0: every key of these rows hidden, O = 0 */
        memset(o + r * ldo, 0, (size_t)dh * sizeof *o);
        for (int64_t j = 0; j < keys; j++)
            for (int64_t d = 0; d < dh; d++)
                o[r * ldo + d] += p[r * ldp + j] * v[j * ldv + d];
    }
}

/* Per thread: the chunk_rows x Skv scores of its item, unless they are computed in args->probs. */
static size_t blas_workspace(const mha_shape *shape, int threads, int want_probs)
{
    if (want_probs)
        return 0;
    const mha_gemm_split w = mha_gemm_split_work(shape, threads);
    size_t n;
    if (__builtin_mul_overflow((size_t)w.chunk_rows, (size_t)shape->kv_len, &n) ||
        __builtin_mul_overflow(n, (size_t)w.threads, &n) || n > SIZE_MAX / sizeof(float))
        return SIZE_MAX;
    return n * sizeof(float);
}

static void blas_attention(const mha_args *args, void *workspace)
{
    const mha_shape *sh = &args->shape;
    const mha_gemm_split w = mha_gemm_split_work(sh, args->threads);
    const mha_gemm_products prod = {head_scores, head_values, (void *)args};
    const int saved = openblas_get_num_threads();
    openblas_set_num_threads(1);
    mha_gemm_attend(args, workspace, (size_t)(w.chunk_rows * sh->kv_len), &prod);
    openblas_set_num_threads(saved);
}

static void blas_row_blocks(void *ctx, int64_t begin, int64_t end, int worker)
{
    const mha_matmul_call *x = ctx;
    const int64_t rows = MHA_GEMM_ROW_BLOCK;
    (void)worker;
    for (int64_t blk = begin; blk < end; blk++) {
        const int64_t i0 = blk * rows, mr = x->m - i0 < rows ? x->m - i0 : rows;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)mr, (blasint)x->n, (blasint)x->k, 1.0f,
                    x->a + i0 * x->lda, (blasint)x->lda, x->b, (blasint)x->ldb, 0.0f, x->c + i0 * x->ldc,
                    (blasint)x->ldc);
    }
}

/*
 * C = A B: threads take blocks of MHA_GEMM_ROW_BLOCK rows of C, each one
 * cblas_sgemm with OpenBLAS at one thread, as in the attention. The blocks
 * do not depend on the thread count: OpenBLAS's bits for a row depend on
 * how many rows its product has. OpenBLAS keeps its own buffers: no work
 * buffer (the descriptor has no matmul_workspace).
 */
static MHA_MATMUL_FN(blas_matmul)
{
    (void)work;
    mha_matmul_call x = {m, n, k, lda, ldb, ldc, a, b, c};
    const int saved = openblas_get_num_threads();
    openblas_set_num_threads(1);
    mha_parallel_for(threads, (m + MHA_GEMM_ROW_BLOCK - 1) / MHA_GEMM_ROW_BLOCK, MHA_PARALLEL_BLOCKS,
                     blas_row_blocks, &x);
    openblas_set_num_threads(saved);
}

const mha_impl MHA_BLAS_IMPL = {
    .abi_version = MHA_ABI_VERSION,
    .name = MHA_BLAS_NAME,
    .algorithm = "gemm",
    .isa = "blas",
    .summary = MHA_BLAS_SUMMARY,
    .cpu_features = 0,
    /* one OpenBLAS thread per product: the same bits for any thread count
     * (checked by tests/test_gemm_attention.c and tests/test_sgemm.c) */
    .caps = MHA_BLAS_CAPS,
    .priority = 50,
    .workspace = blas_workspace,
    .attention = blas_attention,
    .matmul = blas_matmul,
};
