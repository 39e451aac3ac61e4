/*
 * gemm: attention as the textbook writes it with matrix products, on the
 * project's own SGEMM (sgemm.h):
 *
 *   reshape  K, V (B, Skv, Hkv, Dh) -> per (b, kv head g): K_g^T and V_g,
 *            copied once into the SGEMM's packed panel order, which is
 *            head-major. The H / Hkv query heads of a group all read the
 *            same panels (GQA/MQA share, never copy per head). Q is read
 *            in place: the SGEMM packs each block of Q rows as it goes,
 *            which is the head-major copy of Q, one block at a time.
 *   scores   S = scale * Q_h K_g^T          Sq x Skv per head (SGEMM)
 *   softmax  S += M, hidden keys -inf, P = softmax_rows(S)  (gemm_head.c)
 *   values   O_h = P V_g                    written straight into the
 *            strided output: merging the heads is the output's strides.
 *
 * Memory is the point of this implementation: the Sq x Skv score matrix
 * of a head is materialised, once per thread (when probabilities are
 * requested it is computed in place in args->probs instead).
 *
 * Threads: mha_parallel_for over (batch, head, row chunk) items; a head is cut into
 * row chunks (multiples of MHA_GEMM_ROW_BLOCK rows) only when there are
 * fewer heads than threads. Each item is
 * computed by one thread with the same operations in the same order
 * whatever the thread count, so the bits do not depend on it.
 */
#include "gemm.h"
#include "gemm_head.h"
#include "parallel.h"

/* Workspace sub-buffers are padded to 16 floats (64 bytes). */
static size_t pad16(size_t floats)
{
    return (floats + 15) / 16 * 16;
}

typedef struct plan {
    mha_gemm_split w;      /* items and threads */
    size_t kpack, vpack;   /* floats of one kv head's K^T and V panels */
    size_t per_thread;     /* floats: the SGEMM's A block, then the scores */
    size_t total;          /* floats, or SIZE_MAX if that overflows */
} plan;

static plan make_plan(const mha_shape *s, int threads, int want_probs, const mha_sgemm_ops *ops)
{
    plan p;
    p.w = mha_gemm_split_work(s, threads);
    p.kpack = pad16(ops->packed_b_floats(s->head_dim, s->kv_len));
    p.vpack = pad16(ops->packed_b_floats(s->kv_len, s->head_dim));

    size_t scores = 0, panels, threads_part;
    p.total = SIZE_MAX;
    if (!want_probs && __builtin_mul_overflow((size_t)p.w.chunk_rows, (size_t)s->kv_len, &scores))
        return p;
    p.per_thread = pad16(ops->work_floats) + (want_probs ? 0 : pad16(scores));
    if (__builtin_mul_overflow((size_t)(s->batch * s->kv_heads), p.kpack + p.vpack, &panels) ||
        __builtin_mul_overflow((size_t)p.w.threads, p.per_thread, &threads_part) ||
        __builtin_add_overflow(panels, threads_part, &p.total) || p.total > SIZE_MAX / sizeof(float))
        p.total = SIZE_MAX;
    return p;
}

size_t mha_gemm_workspace_with(const mha_shape *shape, int threads, int want_probs, const mha_sgemm_ops *ops)
{
    plan p = make_plan(shape, threads, want_probs, ops);
    return p.total == SIZE_MAX ? SIZE_MAX : p.total * sizeof(float);
}

/* What every item of one call shares. */
typedef struct call_ctx {
    const mha_args *a;
    const mha_sgemm_ops *ops;
    plan p;
    float *panels, *scratch; /* scratch: per_thread floats per worker, its A block first */
} call_ctx;

/* The packed K_g^T and V_g panels of an item's (b, kv head). */
static const float *item_panels(const call_ctx *x, const mha_gemm_item *it)
{
    return x->panels + (size_t)(it->b * x->a->shape.kv_heads + it->g) * (x->p.kpack + x->p.vpack);
}

/* s = scale * Q[b, i0:i0+rows, h, :] K_g^T[:, 0:keys] */
static void item_scores(void *ctx, const mha_gemm_item *it, int64_t i0, int64_t rows, int64_t keys, float *s,
                        int64_t lds)
{
    const call_ctx *x = ctx;
    const mha_args *a = x->a;
    const mha_packed_b kt = {item_panels(x, it), a->shape.head_dim, a->shape.kv_len};
    x->ops->gemm_packed(MHA_NO_TRANS, rows, keys, a->shape.head_dim, a->scale,
                        mha_row(a->q, a->q_strides, it->b, i0, it->h), a->q_strides.seq, &kt, 0.0f, s, lds,
                        x->scratch + (size_t)it->worker * x->p.per_thread);
}

/* O[b, i0:i0+rows, h, :] = P[:, 0:keys] V_g[0:keys, :] */
static void item_values(void *ctx, const mha_gemm_item *it, int64_t i0, int64_t rows, int64_t keys, const float *p,
                        int64_t ldp)
{
    const call_ctx *x = ctx;
    const mha_args *a = x->a;
    const mha_packed_b v = {item_panels(x, it) + x->p.kpack, a->shape.kv_len, a->shape.head_dim};
    x->ops->gemm_packed(MHA_NO_TRANS, rows, a->shape.head_dim, keys, 1.0f, p, ldp, &v, 0.0f,
                        mha_row_mut(a->out, a->out_strides, it->b, i0, it->h), a->out_strides.seq,
                        x->scratch + (size_t)it->worker * x->p.per_thread);
}

/* Reshape items [begin, end): item 2 bg packs K_g^T of (b, g) = bg, item 2 bg + 1 packs V_g. */
static void pack_items(void *ctx, int64_t begin, int64_t end, int worker)
{
    const call_ctx *x = ctx;
    const mha_shape *sh = &x->a->shape;
    const mha_args *a = x->a;
    (void)worker;
    for (int64_t t = begin; t < end; t++) {
        const int64_t bg = t / 2, b = bg / sh->kv_heads, g = bg % sh->kv_heads;
        float *dst = x->panels + (size_t)bg * (x->p.kpack + x->p.vpack);
        if (t % 2 == 0) /* op(B) = K^T: Dh x Skv */
            x->ops->pack_b(MHA_TRANS, sh->head_dim, sh->kv_len, mha_row(a->k, a->k_strides, b, 0, g),
                           a->k_strides.seq, dst);
        else /* op(B) = V: Skv x Dh */
            x->ops->pack_b(MHA_NO_TRANS, sh->kv_len, sh->head_dim, mha_row(a->v, a->v_strides, b, 0, g),
                           a->v_strides.seq, dst + x->p.kpack);
    }
}

void mha_gemm_attention_with(const mha_args *a, void *workspace, const mha_sgemm_ops *ops)
{
    const mha_shape *sh = &a->shape;
    call_ctx x = {a, ops, make_plan(sh, a->threads, a->probs != NULL, ops), workspace, NULL};
    const int64_t kv_slices = sh->batch * sh->kv_heads;
    x.scratch = x.panels + (size_t)kv_slices * (x.p.kpack + x.p.vpack);

    /* reshape: K_g^T and V_g of every (b, g) into packed panels */
    mha_parallel_for(x.p.w.threads, 2 * kv_slices, MHA_PARALLEL_BLOCKS, pack_items, &x);
    const mha_gemm_products prod = {item_scores, item_values, &x};
    mha_gemm_attend(a, x.scratch + pad16(ops->work_floats), x.p.per_thread, &prod);
}

static size_t gemm_c_workspace(const mha_shape *shape, int threads, int want_probs)
{
    return mha_gemm_workspace_with(shape, threads, want_probs, &mha_sgemm_ops_c);
}

static void gemm_c_attention(const mha_args *args, void *workspace)
{
    mha_gemm_attention_with(args, workspace, &mha_sgemm_ops_c);
}

const mha_impl mha_impl_gemm = {
    .abi_version = MHA_ABI_VERSION,
    .name = "gemm",
    .algorithm = "gemm",
    .isa = "c",
    .summary = "reshape to head-major, full Sq x Skv scores by the own blocked SGEMM, softmax, P V",
    .cpu_features = 0,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 30,
    .workspace = gemm_c_workspace,
    .attention = gemm_c_attention,
    .matmul = mha_matmul_gemm_c,
    .matmul_workspace = mha_matmul_gemm_c_workspace,
};
