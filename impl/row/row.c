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
 * Consecutive rows of one (b, h) whose visible keys each extend the
 * previous row's (the same keys, or a causal limit a key further) go
 * through the kernels together, up to kern->qrows of them, so each K and V
 * row read serves them all; a row's results are the same bits alone or in
 * such a group.
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

/* Per thread: ROW_MAX_QROWS rows of padded(Skv) scores and as many of padded(Skv) int32 key indices,
 * then room for one (b, kv head)'s K and V rows packed contiguous (see kv_rows). */
static size_t thread_bytes(int64_t kv_len, int64_t head_dim)
{
    return ROW_MAX_QROWS * (size_t)padded(kv_len) * (sizeof(float) + sizeof(int32_t)) +
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

/* The thread workspace's score rows and key lists, ROW_MAX_QROWS of each. */
typedef struct row_scratch {
    float *s[ROW_MAX_QROWS];
    int32_t *key[ROW_MAX_QROWS];
} row_scratch;

/*
 * Query rows i0 .. i0 + nq of (b, h), nq <= kern->qrows, row i0 + r seeing the first n[r] keys of
 * key[] (n[] does not decrease): O[b,i,h,:] and, if asked, P[b,h,i,:]. K and V are read once for all
 * of them (kern->scores, kern->weighted_sum); each row's arithmetic is that of the row alone.
 */
static void attend_rows(const mha_args *a, const row_kernels *kern, const kv_view *kv, int64_t b, int64_t h,
                        int64_t i0, int nq, const int32_t *key, const int64_t n[], const row_scratch *w)
{
    const mha_shape *sh = &a->shape;
    const int64_t dh = sh->head_dim, skv = sh->kv_len;
    const int64_t spad = padded(skv);
    const float *q[ROW_MAX_QROWS], *mask[ROW_MAX_QROWS], *p[ROW_MAX_QROWS];
    float *o[ROW_MAX_QROWS];
    int64_t np[ROW_MAX_QROWS];
    for (int r = 0; r < nq; r++) {
        q[r] = mha_row(a->q, a->q_strides, b, i0 + r, h);
        mask[r] = mha_mask_row(a, b, h, i0 + r);
        /* s[j] = -inf for all j (padding included) */
        kern->clear(w->s[r], spad);
    }

    /* s[r][key[t]] = scale * <q[r], k_{key[t]}> + mask[r][key[t]] */
    kern->scores(nq, q, kv->k, kv->k_step, key, n, dh, a->scale, mask, w->s);

    /* the rows that have a visible score go on to P V; the others are zeros */
    int nv = 0;
    for (int r = 0; r < nq; r++) {
        float *s = w->s[r];
        float *out = mha_row_mut(a->out, a->out_strides, b, i0 + r, h);
        float *probs = a->probs ? a->probs + mha_probs_offset(sh, b, h, i0 + r) : NULL;

        /* m = max_j s[j]; a NaN score makes m NaN, so it reaches every output */
        const float m = kern->max(s, spad);

        /* No visible key (or every score -inf): the row is zeros, never 0/0. */
        if (m == -INFINITY) {
            memset(out, 0, (size_t)dh * sizeof *out);
            if (probs)
                memset(probs, 0, (size_t)skv * sizeof *probs);
            continue;
        }

        /* e[j] = exp(s[j] - m);  l = sum_j e[j]   (hidden keys and padding: exp(-inf) = 0) */
        const float l = kern->exp_sum(s, spad, m);

        /* p[j] = e[j] * (1 / l) */
        kern->scale(s, spad, 1.0f / l);
        if (probs)
            memcpy(probs, s, (size_t)skv * sizeof *probs);
        p[nv] = s;
        np[nv] = n[r];
        o[nv++] = out;
    }

    /* o[r] = sum_{j visible} p[r][j] * v_j */
    if (nv > 0)
        kern->weighted_sum(nv, p, key, np, kv->v, kv->v_step, dh, o);
}

/* Whether key list y[0..ny) starts with x[0..nx). */
static int extends_keys(const int32_t *x, int64_t nx, const int32_t *y, int64_t ny)
{
    return ny >= nx && memcmp(x, y, (size_t)nx * sizeof *x) == 0;
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
    const size_t row_bytes = (size_t)padded(sh->kv_len) * sizeof(float); /* = padded(Skv) * sizeof(int32_t) */
    row_scratch w;
    for (int r = 0; r < ROW_MAX_QROWS; r++) {
        w.s[r] = (float *)(ws + (size_t)r * row_bytes);
        w.key[r] = (int32_t *)(ws + (size_t)(ROW_MAX_QROWS + r) * row_bytes);
    }
    float *pack = (float *)(ws + 2 * ROW_MAX_QROWS * row_bytes);
    int64_t packed = -1; /* (b, kv head) held in pack */
    for (int64_t r = begin; r < end;) {
        const int64_t i = r % sh->q_len, bh = r / sh->q_len;
        const int64_t b = bh / sh->heads, h = bh % sh->heads;
        const kv_view kv = kv_rows(args, b, h / mha_group_size(sh), pack, &packed);
        /* the next rows of the same (b, h) join row i while each one's keys extend the previous row's */
        int64_t n[ROW_MAX_QROWS];
        n[0] = visible_keys(args, mha_mask_row(args, b, h, i), i, w.key[0]);
        int nq = 1;
        while (nq < c->kern->qrows && r + nq < end && i + nq < sh->q_len) {
            n[nq] = visible_keys(args, mha_mask_row(args, b, h, i + nq), i + nq, w.key[nq]);
            if (!extends_keys(w.key[nq - 1], n[nq - 1], w.key[nq], n[nq]))
                break;
            nq++;
        }
        attend_rows(args, c->kern, &kv, b, h, i, nq, w.key[nq - 1], n, &w);
        r += nq;
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
