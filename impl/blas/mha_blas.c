/*
 * blas: the reshape-then-GEMM algorithm of `gemm` with both products done
 * by CBLAS (OpenBLAS): what most users would write by hand. The strided
 * views go to cblas_sgemm as they are (the leading dimension is the seq
 * stride, so BLAS's own packing does the reshape); the query heads of a
 * GQA group pass the same K and V pointers, nothing is copied per head.
 *
 * Heads are processed one after the other, each with the full Sq x Skv
 * score matrix (in args->probs when probabilities are requested). The
 * products use OpenBLAS's threads, set to args->threads for the call and
 * restored afterwards; the softmax rows use as many OpenMP threads.
 * openblas_set_num_threads() is process-wide, so two threads of the
 * caller running `blas` with different counts race on that setting.
 * OpenBLAS's results change with its thread count, so `blas` does not
 * declare MHA_CAP_DETERMINISTIC. Dimensions and strides are passed as BLAS ints (32-bit in Debian's
 * build).
 */
#include "../gemm/gemm_head.h"

#include <cblas.h>
#include <string.h>

typedef struct head_ctx {
    const mha_args *a;
    int64_t b, h, g;
} head_ctx;

/* s = scale * Q[b, i0:i0+rows, h, :] K[b, 0:keys, g, :]^T */
static void head_scores(void *ctx, int64_t i0, int64_t rows, int64_t keys, float *s, int64_t lds)
{
    const head_ctx *c = ctx;
    const mha_args *a = c->a;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)rows, (blasint)keys,
                (blasint)a->shape.head_dim, a->scale,
                mha_row(a->q, a->q_strides, c->b, i0, c->h), (blasint)a->q_strides.seq,
                mha_row(a->k, a->k_strides, c->b, 0, c->g), (blasint)a->k_strides.seq,
                0.0f, s, (blasint)lds);
}

/* O[b, i0:i0+rows, h, :] = P[:, 0:keys] V[b, 0:keys, g, :] */
static void head_values(void *ctx, int64_t i0, int64_t rows, int64_t keys, const float *p, int64_t ldp)
{
    const head_ctx *c = ctx;
    const mha_args *a = c->a;
    float *o = mha_row_mut(a->out, a->out_strides, c->b, i0, c->h);
    if (keys == 0) { /* every key of these rows hidden */
        for (int64_t r = 0; r < rows; r++)
            memset(o + r * a->out_strides.seq, 0, (size_t)a->shape.head_dim * sizeof *o);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)rows, (blasint)a->shape.head_dim,
                (blasint)keys, 1.0f, p, (blasint)ldp,
                mha_row(a->v, a->v_strides, c->b, 0, c->g), (blasint)a->v_strides.seq,
                0.0f, o, (blasint)a->out_strides.seq);
}

/* One head's Sq x Skv scores, unless they are computed in args->probs. */
static MHA_WORKSPACE_FN(blas_workspace)
{
    (void)threads;
    size_t n;
    if (want_probs)
        return 0;
    if (__builtin_mul_overflow((size_t)shape->q_len, (size_t)shape->kv_len, &n) || n > SIZE_MAX / sizeof(float))
        return SIZE_MAX;
    return n * sizeof(float);
}

static MHA_ATTENTION_FN(blas_attention)
{
    const mha_shape *sh = &args->shape;
    const int saved = openblas_get_num_threads();
    openblas_set_num_threads(args->threads);
    for (int64_t b = 0; b < sh->batch; b++)
        for (int64_t h = 0; h < sh->heads; h++) {
            head_ctx c = {args, b, h, h / mha_group_size(sh)};
            const mha_gemm_products prod = {head_scores, head_values, &c};
            float *s = args->probs ? args->probs + (b * sh->heads + h) * sh->q_len * sh->kv_len : workspace;
            mha_gemm_head_rows(args, b, h, 0, sh->q_len, s, &prod, args->threads);
        }
    openblas_set_num_threads(saved);
}

/* C = A B by cblas_sgemm with OpenBLAS set to `threads` for the call. */
static MHA_MATMUL_FN(blas_matmul)
{
    const int saved = openblas_get_num_threads();
    openblas_set_num_threads(threads > 0 ? threads : 1);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)m, (blasint)n, (blasint)k, 1.0f,
                a, (blasint)lda, b, (blasint)ldb, 0.0f, c, (blasint)ldc);
    openblas_set_num_threads(saved);
}

const mha_impl mha_impl_blas = {
    .abi_version = MHA_ABI_VERSION,
    .name = "blas",
    .algorithm = "gemm",
    .isa = "blas",
    .summary = "reshape-then-GEMM with both products by OpenBLAS's cblas_sgemm",
    .cpu_features = 0,
    /* OpenBLAS's sgemm gives different bits for different thread counts
     * (measured: tests/test_gemm_attention.c), so not deterministic. */
    .caps = MHA_CAP_PROBS | MHA_CAP_THREADS,
    .priority = 50,
    .workspace = blas_workspace,
    .attention = blas_attention,
    .matmul = blas_matmul,
};
