/*
 * One query row of the naive algorithm (see mha_naive.c for the math),
 * used by naive (fused = 0: x * y + acc, in a file compiled without
 * contraction) and by the conformance suite's fused variant
 * (conformance/plain_fma.c, fused = 1: fmaf(x, y, acc)). C allows either
 * evaluation, so both are "the plain algorithm". args->scale must be
 * resolved.
 *
 * In every dtype the arithmetic is fp32: elements of Q, K and V are
 * converted exactly to fp32 as they are read; each probability is rounded
 * to the inputs' dtype before it weights V (as GPU FlashAttention kernels
 * do; a no-op for fp32); O is accumulated in fp32 and rounded once to
 * out_dtype. The probabilities written to P are the fp32 ones.
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

/*
 * <q, k> with k a row of dtype, and acc += p * v with v a row of dtype:
 * one loop per dtype, so the fp32 loop reads floats directly.
 */
static inline float naive_dot(int fused, const float *q, const void *k, mha_dtype dt, int64_t dh)
{
    float dot = 0.0f;
    const uint16_t *k16 = k;
    switch (dt) {
    case MHA_BF16:
        for (int64_t d = 0; d < dh; d++)
            dot = naive_madd(fused, q[d], mha_bf16_to_f32_inline(k16[d]), dot);
        break;
    case MHA_F16:
        for (int64_t d = 0; d < dh; d++)
            dot = naive_madd(fused, q[d], mha_f16_to_f32_inline(k16[d]), dot);
        break;
    default:
        for (int64_t d = 0; d < dh; d++)
            dot = naive_madd(fused, q[d], ((const float *)k)[d], dot);
    }
    return dot;
}

static inline void naive_axpy(int fused, float p, const void *v, mha_dtype dt, float *acc, int64_t dh)
{
    const uint16_t *v16 = v;
    switch (dt) {
    case MHA_BF16:
        for (int64_t d = 0; d < dh; d++)
            acc[d] = naive_madd(fused, p, mha_bf16_to_f32_inline(v16[d]), acc[d]);
        break;
    case MHA_F16:
        for (int64_t d = 0; d < dh; d++)
            acc[d] = naive_madd(fused, p, mha_f16_to_f32_inline(v16[d]), acc[d]);
        break;
    default:
        for (int64_t d = 0; d < dh; d++)
            acc[d] = naive_madd(fused, p, ((const float *)v)[d], acc[d]);
    }
}

/* Key j is hidden from query row i by the causal flag or a -inf mask entry. */
static int key_masked(int64_t j, int64_t visible, const float *mask_row)
{
    return j >= visible || (mask_row && mask_row[j] == -INFINITY);
}

/* Floats of scratch one row needs: Skv scores, then Q's row and O's accumulator (Dh each). */
static inline size_t mha_naive_row_floats(const mha_shape *sh)
{
    return (size_t)sh->kv_len + 2 * (size_t)sh->head_dim;
}

/* One query row: O[b,i,h,:] and, if asked, P[b,h,i,:]. scratch holds mha_naive_row_floats(). */
static void mha_naive_row(const mha_args *a, int64_t b, int64_t h, int64_t i, float *scratch, int fused)
{
    const mha_shape *sh = &a->shape;
    const int64_t g = h / mha_group_size(sh), dh = sh->head_dim, skv = sh->kv_len;
    const mha_dtype dt = a->dtype;
    float *s = scratch, *q = scratch + skv, *acc = q + dh;
    const void *q_in = mha_row_of(a->q, dt, a->q_strides, b, i, h);
    for (int64_t d = 0; d < dh; d++)
        q[d] = mha_load_f32(q_in, dt, d);
    const float *mask = mha_mask_row(a, b, h, i);
    const int64_t visible = mha_causal_limit(a, i);
    void *o = mha_row_of_mut(a->out, a->out_dtype, a->out_strides, b, i, h);
    float *p = a->probs ? a->probs + mha_probs_offset(sh, b, h, i) : NULL;

    /* s[j] = scale * <q, k_j> + mask[j];  m = max_j s[j] (NaN wins, so it propagates) */
    float m = -INFINITY;
    int any_nan = 0;
    for (int64_t j = 0; j < skv; j++) {
        if (key_masked(j, visible, mask)) {
            s[j] = -INFINITY;
            continue;
        }
        const float dot = naive_dot(fused, q, mha_row_of(a->k, dt, a->k_strides, b, j, g), dt, dh);
        s[j] = naive_madd(fused, a->scale, dot, mask ? mask[j] : 0.0f);
        any_nan |= isnan(s[j]);
        if (s[j] > m)
            m = s[j];
    }
    if (any_nan)
        m = NAN;

    /* Every key masked: the row is zeros, never 0/0. */
    memset(acc, 0, (size_t)dh * sizeof *acc);
    if (m == -INFINITY) {
        for (int64_t d = 0; d < dh; d++)
            mha_store_f32(o, a->out_dtype, d, 0.0f);
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

    /* p[j] = e[j] / l;  o = sum_j round_to_dtype(p[j]) * v_j, then rounded to out_dtype */
    const float inv_l = 1.0f / l;
    for (int64_t j = 0; j < skv; j++) {
        const float pj = s[j] * inv_l;
        if (p)
            p[j] = pj;
        if (key_masked(j, visible, mask))
            continue;
        naive_axpy(fused, mha_round_f32(dt, pj), mha_row_of(a->v, dt, a->v_strides, b, j, g), dt, acc, dh);
    }
    for (int64_t d = 0; d < dh; d++)
        mha_store_f32(o, a->out_dtype, d, acc[d]);
}

#endif
