/*
 * One query row of the naive algorithm (see mha_naive.c for the math),
 * used by naive (fused = 0: x * y + acc, in a file compiled without
 * contraction) and by the conformance suite's fused variant
 * (conformance/plain_fma.c, fused = 1: fmaf(x, y, acc)). C allows either
 * evaluation, so both are "the plain fp32 algorithm". args->scale must be
 * resolved.
 */
#ifndef MHA_NAIVE_ROW_H
#define MHA_NAIVE_ROW_H

#include "../core/internal.h"

#include <math.h>
#include <string.h>

/* x * y + acc: one rounding when fused, two otherwise */
static inline float naive_madd(int fused, float x, float y, float acc)
{
    return fused ? fmaf(x, y, acc) : x * y + acc;
}

/* Key j is hidden from query row i by the causal flag or a -inf mask entry. */
static int key_masked(int64_t j, int64_t visible, const float *mask_row)
{
    return j >= visible || (mask_row && mask_row[j] == -INFINITY);
}

/* One query row: O[b,i,h,:] and, if asked, P[b,h,i,:]. */
static void mha_naive_row(const mha_args *a, int64_t b, int64_t h, int64_t i, float *s, int fused)
{
    const mha_shape *sh = &a->shape;
    const int64_t g = h / mha_group_size(sh), dh = sh->head_dim, skv = sh->kv_len;
    const float *q = mha_row(a->q, a->q_strides, b, i, h);
    const float *mask = mha_mask_row(a, b, h, i);
    const int64_t visible = mha_causal_limit(a, i);
    float *o = mha_row_mut(a->out, a->out_strides, b, i, h);
    float *p = a->probs ? a->probs + mha_probs_offset(sh, b, h, i) : NULL;

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
            dot = naive_madd(fused, q[d], k[d], dot);
        s[j] = naive_madd(fused, a->scale, dot, mask ? mask[j] : 0.0f);
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
            o[d] = naive_madd(fused, pj, v[d], o[d]);
    }
}

#endif
