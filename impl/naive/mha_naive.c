/*
 * naive: the seeds' algorithm as plain loops, in fp32. It is the readable
 * reference for humans and "the plain fp32 algorithm" whose error against
 * the float64 reference sets the conformance tolerances.
 *
 * For every batch b, query head h and query position i:
 *   g      = h / (H / Hkv)                          kv head read by head h
 *   s[j]   = scale * <Q[b,i,h,:], K[b,j,g,:]> + M[b,h,i,j]     (Skv scores)
 *   m      = max_j s[j]                             subtracted for stability
 *   p[j]   = exp(s[j] - m) / sum_j' exp(s[j'] - m)  (softmax over keys)
 *   O[b,i,h,:] = sum_j p[j] * V[b,j,g,:]            (weighted sum of values)
 * Masked keys (causal, or M = -inf) are skipped: never read, p[j] = 0.
 */
#include "../core/internal.h"

#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* Workspace: one row of Skv scores per thread. */
static MHA_WORKSPACE_FN(naive_workspace)
{
    (void)want_probs;
    return (size_t)threads * (size_t)shape->kv_len * sizeof(float);
}

/* Key j is hidden from query row i by the causal flag or a -inf mask entry. */
static int key_masked(int64_t j, int64_t visible, const float *mask_row)
{
    return j >= visible || (mask_row && mask_row[j] == -INFINITY);
}

/* One query row: O[b,i,h,:] and, if asked, P[b,h,i,:]. */
static void attend_row(const mha_args *a, int64_t b, int64_t h, int64_t i, float *s)
{
    const mha_shape *sh = &a->shape;
    const int64_t g = h / mha_group_size(sh), dh = sh->head_dim, skv = sh->kv_len;
    const float *q = mha_row(a->q, a->q_strides, b, i, h);
    const float *mask = mha_mask_row(a, b, h, i);
    const int64_t visible = mha_causal_limit(a, i);
    float *o = mha_row_mut(a->out, a->out_strides, b, i, h);
    float *p = a->probs ? a->probs + ((b * sh->heads + h) * sh->q_len + i) * skv : NULL;

    /* s[j] = scale * <q, k_j> + mask[j];  m = max_j s[j] (NaN wins, so it propagates) */
    float m = -INFINITY;
    int any_nan = 0;
    for (int64_t j = 0; j < skv; j++) {
        if (key_masked(j, visible, mask)) {
            s[j] = -INFINITY;
            continue;
        }
        const float *k = mha_row(a->k, a->k_strides, b, j, g);
        float dot = 0.0f;
        for (int64_t d = 0; d < dh; d++)
            dot += q[d] * k[d];
        s[j] = a->scale * dot + (mask ? mask[j] : 0.0f);
        any_nan |= isnan(s[j]);
        if (s[j] > m)
            m = s[j];
    }
    if (any_nan)
        m = NAN;

    /* Every key masked: the row is zeros, never 0/0. */
    if (m == -INFINITY) {
        memset(o, 0, (size_t)dh * sizeof *o);
        if (p)
            memset(p, 0, (size_t)skv * sizeof *p);
        return;
    }

    /* e[j] = exp(s[j] - m);  l = sum_j e[j] */
    float l = 0.0f;
    for (int64_t j = 0; j < skv; j++) {
        s[j] = s[j] == -INFINITY ? 0.0f : expf(s[j] - m);
        l += s[j];
    }

    /* p[j] = e[j] / l;  o = sum_j p[j] * v_j */
    const float inv_l = 1.0f / l;
    memset(o, 0, (size_t)dh * sizeof *o);
    for (int64_t j = 0; j < skv; j++) {
        const float pj = s[j] * inv_l;
        if (p)
            p[j] = pj;
        if (key_masked(j, visible, mask))
            continue;
        const float *v = mha_row(a->v, a->v_strides, b, j, g);
        for (int64_t d = 0; d < dh; d++)
            o[d] += pj * v[d];
    }
}

static MHA_ATTENTION_FN(naive_attention)
{
    const mha_shape *sh = &args->shape;
    const int64_t rows = sh->batch * sh->heads * sh->q_len;
    float *scores = workspace;
    /* Rows are independent and each is computed by one thread in a fixed
     * order, so the result does not depend on the thread count. */
#ifdef _OPENMP
#pragma omp parallel for num_threads(args->threads) schedule(static)
#endif
    for (int64_t r = 0; r < rows; r++) {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        const int64_t i = r % sh->q_len, bh = r / sh->q_len;
        attend_row(args, bh / sh->heads, bh % sh->heads, i, scores + (size_t)t * (size_t)sh->kv_len);
    }
}

const mha_impl mha_impl_naive = {
    .abi_version = MHA_ABI_VERSION,
    .name = "naive",
    .algorithm = "naive",
    .isa = "c",
    .summary = "the seeds' loops: per head and query, dot products, stable softmax, weighted sum",
    .cpu_features = 0,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 0,
    .workspace = naive_workspace,
    .attention = naive_attention,
    .matmul = NULL,
};
