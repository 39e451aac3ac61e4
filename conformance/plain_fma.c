/*
 * The plain fp32 algorithm with fused multiply-adds: naive's loops with
 * every a * b + c of the dot products and of the weighted sum contracted to
 * fmaf(a, b, c). C allows either evaluation (FP_CONTRACT), so both are "the
 * plain fp32 algorithm"; err_fp32 is the larger of their errors (see
 * vectors.c). fmaf is correctly rounded everywhere (libm does it in
 * software on CPUs without FMA), so the result is portable.
 */
#include "plain_fma.h"

#include "internal.h"

#include <stdlib.h>
#include <string.h>

static void row(const mha_args *a, float scale, int64_t b, int64_t h, int64_t i, float *s)
{
    const mha_shape *sh = &a->shape;
    const int64_t g = h / mha_group_size(sh), dh = sh->head_dim, skv = sh->kv_len;
    const float *q = mha_row(a->q, a->q_strides, b, i, h);
    const float *mask = mha_mask_row(a, b, h, i);
    const int64_t visible = mha_causal_limit(a, i);
    float *o = mha_row_mut(a->out, a->out_strides, b, i, h);
    float *p = a->probs ? a->probs + ((b * sh->heads + h) * sh->q_len + i) * skv : NULL;

    /* s[j] = scale * <q, k_j> + mask[j];  m = max_j s[j], NaN wins */
    float m = -INFINITY;
    int any_nan = 0;
    for (int64_t j = 0; j < skv; j++) {
        if (j >= visible || (mask && mask[j] == -INFINITY)) {
            s[j] = -INFINITY;
            continue;
        }
        const float *k = mha_row(a->k, a->k_strides, b, j, g);
        float dot = 0.0f;
        for (int64_t d = 0; d < dh; d++)
            dot = fmaf(q[d], k[d], dot);
        s[j] = fmaf(scale, dot, mask ? mask[j] : 0.0f);
        any_nan |= isnan(s[j]);
        if (s[j] > m)
            m = s[j];
    }
    if (any_nan)
        m = NAN;
    memset(o, 0, (size_t)dh * sizeof *o);
    if (m == -INFINITY) {
        if (p)
            memset(p, 0, (size_t)skv * sizeof *p);
        return;
    }
    /* e[j] = exp(s[j] - m);  l = sum e;  o = sum (e[j] / l) v_j */
    float l = 0.0f;
    for (int64_t j = 0; j < skv; j++) {
        s[j] = s[j] == -INFINITY ? 0.0f : expf(s[j] - m);
        l += s[j];
    }
    const float inv_l = 1.0f / l;
    for (int64_t j = 0; j < skv; j++) {
        const float pj = s[j] * inv_l;
        if (p)
            p[j] = pj;
        if (j >= visible || (mask && mask[j] == -INFINITY))
            continue;
        const float *v = mha_row(a->v, a->v_strides, b, j, g);
        for (int64_t d = 0; d < dh; d++)
            o[d] = fmaf(pj, v[d], o[d]);
    }
}

int plain_fma_attention(const mha_args *a)
{
    const mha_shape *sh = &a->shape;
    float *s = malloc((size_t)sh->kv_len * sizeof *s);
    if (!s)
        return -1;
    const float scale = a->scale != 0.0f ? a->scale : (float)(1.0 / sqrt((double)sh->head_dim));
    for (int64_t b = 0; b < sh->batch; b++)
        for (int64_t h = 0; h < sh->heads; h++)
            for (int64_t i = 0; i < sh->q_len; i++)
                row(a, scale, b, h, i, s);
    free(s);
    return 0;
}
