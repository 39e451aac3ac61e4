/*
 * The row algorithm's driver (row.h), compiled once for every ISA's
 * kernel table.
 *
 * For every batch b, query head h and query position i (one row):
 *   keys   = { j < causal limit : M[b,h,i,j] != -inf }   visible keys, in order
 *   s[j]   = scale * <Q[b,i,h,:], K[b,j,g,:]> + M[b,h,i,j]   kern->scores
 *   m      = max_j s[j]                     (NaN if any score is NaN)
 *   e[j]   = exp(s[j] - m),  l = sum_j e[j]  vectorized exp (impl/vec)
 *   p[j]   = e[j] * (1 / l)
 *   O[b,i,h,:] = sum_{j in keys} p[j] * V[b,j,g,:]
 * Hidden keys are never read: s[j] = -inf, so e[j] = p[j] = 0. A row with
 * no visible key gives O = 0 and P = 0.
 *
 * Threads split the rows; each row is computed by one thread in a fixed
 * order, so the result does not depend on the thread count.
 */
#include "row.h"

#include "parallel.h"

#include <string.h>

static int64_t padded(int64_t n)
{
    return (n + ROW_PAD - 1) / ROW_PAD * ROW_PAD;
}

/* Per thread: padded(Skv) scores, padded(Skv) int32 key indices, then
 * room for one (b, kv head)'s K and V rows packed contiguous (see kv_rows). */
static size_t thread_bytes(int64_t kv_len, int64_t head_dim)
{
    return (size_t)padded(kv_len) * (sizeof(float) + sizeof(int32_t)) +
           2 * (size_t)kv_len * (size_t)head_dim * sizeof(float);
}

size_t row_workspace(const mha_shape *shape, int threads, int want_probs)
{
    (void)want_probs;
    const int64_t rows = shape->batch * shape->heads * shape->q_len;
    return (size_t)mha_threads_for(threads, rows) * thread_bytes(shape->kv_len, shape->head_dim);
}

/* Rows j of K and V of one (b, kv head): k + j * k_step, v + j * v_step. */
typedef struct kv_view {
    const float *k, *v;
    int64_t k_step, v_step;
} kv_view;

/*
 * The K and V rows of (b, g). In the seed layout (B, S, H*Dh) one head's
 * rows are H*Dh floats apart, so they use 1/H of the cache sets and are
 * re-read from memory for every query row; when at least 16 query rows
 * will read them, they are copied contiguous into pack once (per thread,
 * kept while consecutive rows share (b, g)). Copying reads hidden keys
 * too, but nothing computed from them is used.
 */
static kv_view kv_rows(const mha_args *a, int64_t b, int64_t g, float *pack, int64_t *packed)
{
    const mha_shape *sh = &a->shape;
    const int64_t dh = sh->head_dim, skv = sh->kv_len;
    kv_view kv = {mha_row(a->k, a->k_strides, b, 0, g), mha_row(a->v, a->v_strides, b, 0, g),
                  a->k_strides.seq, a->v_strides.seq};
    if ((kv.k_step == dh && kv.v_step == dh) || sh->q_len * mha_group_size(sh) < 16)
        return kv;
    const int64_t bg = b * sh->kv_heads + g;
    if (*packed != bg) {
        for (int64_t j = 0; j < skv; j++) {
            memcpy(pack + j * dh, kv.k + j * kv.k_step, (size_t)dh * sizeof(float));
            memcpy(pack + (skv + j) * dh, kv.v + j * kv.v_step, (size_t)dh * sizeof(float));
        }
        *packed = bg;
    }
    kv_view packed_kv = {pack, pack + skv * dh, dh, dh};
    return packed_kv;
}

/* key[0..n) = the keys row i sees, in order: j < causal limit and mask[j] != -inf. Returns n. */
static int64_t visible_keys(const mha_args *a, const float *mask, int64_t i, int32_t *key)
{
    const int64_t visible = mha_causal_limit(a, i);
    int64_t n = 0;
    for (int64_t j = 0; j < visible; j++)
        if (!mask || mask[j] != -INFINITY)
            key[n++] = (int32_t)j;
    return n;
}

/* One query row: O[b,i,h,:] and, if asked, P[b,h,i,:]. s and key: thread workspace. */
static void attend_row(const mha_args *a, const row_kernels *kern, const kv_view *kv, int64_t b, int64_t h,
                       int64_t i, float *s, int32_t *key)
{
    const mha_shape *sh = &a->shape;
    const int64_t dh = sh->head_dim, skv = sh->kv_len;
    const int64_t spad = padded(skv);
    const float *q = mha_row(a->q, a->q_strides, b, i, h);
    const float *mask = mha_mask_row(a, b, h, i);
    float *o = mha_row_mut(a->out, a->out_strides, b, i, h);
    float *p = a->probs ? a->probs + mha_probs_offset(sh, b, h, i) : NULL;

    /* s[j] = -inf for all j (padding included); key[] = visible keys in order */
    kern->clear(s, spad);
    const int64_t n = visible_keys(a, mask, i, key);

    /* s[key[t]] = scale * <q, k_{key[t]}> + mask[key[t]] */
    kern->scores(q, kv->k, kv->k_step, key, n, dh, a->scale, mask, s);

    /* m = max_j s[j]; a NaN score makes m NaN, so it reaches every output */
    const float m = kern->max(s, spad);

    /* No visible key (or every score -inf): the row is zeros, never 0/0. */
    if (m == -INFINITY) {
        memset(o, 0, (size_t)dh * sizeof *o);
        if (p)
            memset(p, 0, (size_t)skv * sizeof *p);
        return;
    }

    /* e[j] = exp(s[j] - m);  l = sum_j e[j]   (hidden keys and padding: exp(-inf) = 0) */
    const float l = kern->exp_sum(s, spad, m);

    /* p[j] = e[j] * (1 / l) */
    kern->scale(s, spad, 1.0f / l);
    if (p)
        memcpy(p, s, (size_t)skv * sizeof *p);

    /* o = sum_{j visible} p[j] * v_j */
    kern->weighted_sum(s, key, n, kv->v, kv->v_step, dh, o);
}

typedef struct rows_ctx {
    const mha_args *args;
    const row_kernels *kern;
    void *workspace;
} rows_ctx;

/* Rows [begin, end) of the (b, h, i) order on one worker's workspace. */
static void rows(void *ctx, int64_t begin, int64_t end, int worker)
{
    const rows_ctx *c = ctx;
    const mha_args *args = c->args;
    const mha_shape *sh = &args->shape;
    char *ws = (char *)c->workspace + (size_t)worker * thread_bytes(sh->kv_len, sh->head_dim);
    float *s = (float *)ws;
    int32_t *key = (int32_t *)(ws + (size_t)padded(sh->kv_len) * sizeof(float));
    float *pack = (float *)(ws + (size_t)padded(sh->kv_len) * (sizeof(float) + sizeof(int32_t)));
    int64_t packed = -1; /* (b, kv head) held in pack */
    for (int64_t r = begin; r < end; r++) {
        const int64_t i = r % sh->q_len, bh = r / sh->q_len;
        const int64_t b = bh / sh->heads, h = bh % sh->heads;
        const kv_view kv = kv_rows(args, b, h / mha_group_size(sh), pack, &packed);
        attend_row(args, c->kern, &kv, b, h, i, s, key);
    }
}

void row_attention(const mha_args *args, void *workspace, const row_kernels *kern)
{
    const mha_shape *sh = &args->shape;
    /* One block of rows per thread, so a thread reuses its packed K and V
     * for the rows of the same head. */
    rows_ctx c = {args, kern, workspace};
    mha_parallel_for(args->threads, sh->batch * sh->heads * sh->q_len, MHA_PARALLEL_BLOCKS, rows, &c);
}
