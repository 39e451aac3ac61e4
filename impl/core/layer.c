/*
 * The full attention layer of the seeds and their (S, D) helpers.
 *
 *   X (B, S, D) --W_Q--> Q (B, S, D)       --split--> (B, S, H, Dh)
 *               --W_K--> K (B, S, Hkv*Dh)  --split--> (B, S, Hkv, Dh)
 *               --W_V--> V (B, S, Hkv*Dh)  --split--> (B, S, Hkv, Dh)
 *   attention per head --> context (B, S, H, Dh) --merge--> (B, S, D)
 *   --W_O--> Y (B, S, D)
 *
 * Splitting and merging heads cost nothing: (B, S, D) with D = H*Dh *is*
 * the [batch][seq][head][head_dim] view, so the attention call reads Q, K
 * and V in place through strides and writes the merged context directly.
 */
#include "internal.h"

#include <string.h>

static mha_status check_positive(const char *name, int64_t value)
{
    if (value <= 0)
        return mha_fail(MHA_ERR_BAD_DIMENSION, "%s = %lld: expected > 0", name, (long long)value);
    return MHA_OK;
}

/*
 * The one block of a layer call, 64-byte aligned parts: Q, K, V and the
 * merged context (floats), the attention's workspace, the matmul's work
 * buffer (shared by the four products, which run one after another).
 */
typedef struct layer_block {
    size_t floats, attention_bytes, matmul_bytes; /* the parts' sizes, filled in by the caller */
    size_t off_attention, off_matmul, total;      /* bytes, from layer_block_size() */
} layer_block;

/* *end = start + bytes rounded up to 64; 0 when that overflows size_t. */
static int place(size_t start, size_t bytes, size_t *end)
{
    size_t e;
    if (__builtin_add_overflow(start, bytes, &e) || e > SIZE_MAX - 63)
        return 0;
    *end = (e + 63) / 64 * 64;
    return 1;
}

/* Offsets and total of b; 0 when they overflow size_t. */
static int layer_block_size(layer_block *b)
{
    size_t qkv;
    return !__builtin_mul_overflow(b->floats, sizeof(float), &qkv) && place(0, qkv, &b->off_attention) &&
           place(b->off_attention, b->attention_bytes, &b->off_matmul) &&
           !__builtin_add_overflow(b->off_matmul, b->matmul_bytes, &b->total);
}

mha_status mha_layer_forward(const mha_impl *impl, const mha_layer *layer, const mha_layer_args *args)
{
    mha_status st;
    if (!impl)
        return mha_fail(MHA_ERR_NULL_POINTER, "impl is NULL: expected an implementation");
    if (!layer)
        return mha_fail(MHA_ERR_NULL_POINTER, "layer is NULL: expected weights");
    if (!args)
        return mha_fail(MHA_ERR_NULL_POINTER, "args is NULL: expected layer inputs");
    static const char *const wnames[] = {"layer.w_q", "layer.w_k", "layer.w_v", "layer.w_o", "args.x", "args.y"};
    const void *ptrs[] = {layer->w_q, layer->w_k, layer->w_v, layer->w_o, args->x, args->y};
    for (int i = 0; i < 6; i++)
        if (!ptrs[i])
            return mha_fail(MHA_ERR_NULL_POINTER, "%s is NULL: expected a matrix", wnames[i]);
    if ((st = check_positive("layer.d_model", layer->d_model)) ||
        (st = check_positive("layer.heads", layer->heads)) ||
        (st = check_positive("layer.kv_heads", layer->kv_heads)) ||
        (st = check_positive("args.batch", args->batch)) ||
        (st = check_positive("args.seq_len", args->seq_len)))
        return st;
    const int64_t D = layer->d_model, H = layer->heads, Hkv = layer->kv_heads;
    if (D % H != 0)
        return mha_fail(MHA_ERR_BAD_DIMENSION,
                        "layer.d_model = %lld is not a multiple of layer.heads = %lld "
                        "(expected heads to divide d_model so that head_dim = d_model / heads)",
                        (long long)D, (long long)H);
    if (H % Hkv != 0)
        return mha_fail(MHA_ERR_HEAD_RATIO, "layer.heads = %lld is not a multiple of layer.kv_heads = %lld",
                        (long long)H, (long long)Hkv);
    if (args->threads < 0)
        return mha_fail(MHA_ERR_BAD_THREADS, "threads = %d: expected >= 0 (0 for all cores)", args->threads);

    const int64_t B = args->batch, S = args->seq_len, Dh = D / H, Dkv = Hkv * Dh;
    uint64_t rows, q_elems, kv_elems;
    if (__builtin_mul_overflow((uint64_t)B, (uint64_t)S, &rows) ||
        __builtin_mul_overflow(rows, (uint64_t)D, &q_elems) ||
        q_elems > SIZE_MAX / sizeof(float) / 4)
        return mha_fail(MHA_ERR_SIZE_OVERFLOW, "batch*seq_len*d_model overflows size_t");
    kv_elems = rows * (uint64_t)Dkv;

    mha_args at = mha_args_bshd((mha_shape){B, H, Hkv, S, S, Dh}, NULL, NULL, NULL, NULL);
    at.mask = args->mask;
    at.mask_strides = args->mask_strides;
    at.causal = args->causal;
    at.probs = args->probs;
    at.threads = args->threads;
    const int threads = mha_resolve_threads(args->threads);
    const int64_t M = (int64_t)rows;
    mha_matmul_fn *matmul = impl->matmul ? impl->matmul : mha_matmul_portable;

    layer_block lb;
    lb.floats = (size_t)(2 * q_elems + 2 * kv_elems);
    lb.attention_bytes = mha_workspace_size(impl, &at);
    lb.matmul_bytes = 0;
    if (impl->matmul && impl->matmul_workspace) {
        const size_t square = impl->matmul_workspace(M, D, D, threads); /* X W_Q, context W_O */
        const size_t narrow = impl->matmul_workspace(M, Dkv, D, threads); /* X W_K, X W_V */
        lb.matmul_bytes = square > narrow ? square : narrow;
    }
    if (!layer_block_size(&lb))
        return mha_fail(MHA_ERR_SIZE_OVERFLOW,
                        "layer: Q, K, V and context (%zu floats), the workspace of '%s' (%zu bytes) and the matmul "
                        "work buffer (%zu bytes) together overflow size_t",
                        lb.floats, impl->name, lb.attention_bytes, lb.matmul_bytes);
    char *block = mha_alloc(lb.total);
    if (!block)
        return mha_fail(MHA_ERR_OUT_OF_MEMORY,
                        "layer: %zu bytes could not be allocated (Q, K, V and context %zu, workspace of '%s' %zu, "
                        "matmul work buffer %zu)",
                        lb.total, lb.floats * sizeof(float), impl->name, lb.attention_bytes, lb.matmul_bytes);
    float *q = (float *)(void *)block, *k = q + q_elems, *v = k + kv_elems, *ctx = v + kv_elems;
    void *matmul_work = lb.matmul_bytes ? block + lb.off_matmul : NULL;
    at.q = q;
    at.k = k;
    at.v = v;
    at.out = ctx;
    at.workspace = lb.attention_bytes ? block + lb.off_attention : NULL;
    at.workspace_bytes = lb.attention_bytes;
    /* Validate before spending time on the projections. */
    if ((st = mha_validate(impl, &at)) != MHA_OK) {
        mha_free(block);
        return st;
    }

    matmul(M, D, D, args->x, D, layer->w_q, D, q, D, threads, matmul_work);     /* Q = X W_Q */
    matmul(M, Dkv, D, args->x, D, layer->w_k, Dkv, k, Dkv, threads, matmul_work); /* K = X W_K */
    matmul(M, Dkv, D, args->x, D, layer->w_v, Dkv, v, Dkv, threads, matmul_work); /* V = X W_V */
    st = mha_attention(impl, &at);                                               /* context, heads merged */
    if (st == MHA_OK)
        matmul(M, D, D, ctx, D, layer->w_o, D, args->y, D, threads, matmul_work); /* Y = context W_O */
    mha_free(block);
    return st;
}

mha_status mha_compute_qkv(int64_t seq_len, int64_t d_model, const float *x, const float *w_q,
                           const float *w_k, const float *w_v, float *q, float *k, float *v)
{
    mha_status st;
    if ((st = check_positive("seq_len", seq_len)) || (st = check_positive("d_model", d_model)))
        return st;
    static const char *const names[] = {"x", "w_q", "w_k", "w_v", "q", "k", "v"};
    const void *ptrs[] = {x, w_q, w_k, w_v, q, k, v};
    for (int i = 0; i < 7; i++)
        if (!ptrs[i])
            return mha_fail(MHA_ERR_NULL_POINTER, "%s is NULL: expected a matrix", names[i]);
    mha_matmul_portable(seq_len, d_model, d_model, x, d_model, w_q, d_model, q, d_model, 1, NULL);
    mha_matmul_portable(seq_len, d_model, d_model, x, d_model, w_k, d_model, k, d_model, 1, NULL);
    mha_matmul_portable(seq_len, d_model, d_model, x, d_model, w_v, d_model, v, d_model, 1, NULL);
    return MHA_OK;
}

mha_status mha_multi_head_attention(int64_t seq_len, int64_t d_model, int64_t n_heads, const float *q,
                                    const float *k, const float *v, float *out)
{
    mha_status st;
    if ((st = check_positive("seq_len", seq_len)) || (st = check_positive("d_model", d_model)) ||
        (st = check_positive("n_heads", n_heads)))
        return st;
    if (d_model % n_heads != 0)
        return mha_fail(MHA_ERR_BAD_DIMENSION,
                        "d_model = %lld is not a multiple of n_heads = %lld (expected n_heads to divide d_model)",
                        (long long)d_model, (long long)n_heads);
    const int64_t dh = d_model / n_heads;
    mha_args a = mha_args_bshd((mha_shape){1, n_heads, n_heads, seq_len, seq_len, dh}, q, k, v, out);
    a.threads = 1;
    return mha_attention(mha_impl_find("naive"), &a);
}

mha_status mha_self_attention(int64_t seq_len, int64_t d, const float *q, const float *k, const float *v,
                              float *out)
{
    return mha_multi_head_attention(seq_len, d, 1, q, k, v, out);
}
