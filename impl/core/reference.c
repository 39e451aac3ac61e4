/*
 * The float64 reference: the naive algorithm with every intermediate in
 * double. The golden vectors are generated from it, and large shapes are
 * checked against it on the fly. bf16 and fp16 inputs are first widened
 * exactly to fp32 copies, so they are read exactly as the fp32 path reads
 * floats.
 */
#include "internal.h"
#include "parallel.h"

#include <stdlib.h>
#include <string.h>

/* One (b, h) slice: scores, softmax and weighted sum in double. */
static void reference_head(const mha_args *a, double scale, int64_t b, int64_t h,
                           double *scores, double *out, double *probs)
{
    const mha_shape *s = &a->shape;
    const int64_t kvh = h / mha_group_size(s), dh = s->head_dim;
    for (int64_t i = 0; i < s->q_len; i++) {
        const float *q = mha_row(a->q, a->q_strides, b, i, h);
        const float *mask = mha_mask_row(a, b, h, i);
        const int64_t visible = mha_causal_limit(a, i);
        double m = -INFINITY;
        for (int64_t j = 0; j < s->kv_len; j++) {
            double add = mask ? (double)mask[j] : 0.0;
            if (j >= visible || add == -INFINITY) {
                scores[j] = -INFINITY;
                continue;
            }
            const float *k = mha_row(a->k, a->k_strides, b, j, kvh);
            double dot = 0.0;
            for (int64_t d = 0; d < dh; d++)
                dot += (double)q[d] * (double)k[d];
            scores[j] = scale * dot + add;
            if (scores[j] > m || isnan(scores[j]))
                m = isnan(m) ? m : scores[j];
        }
        double *o = out + ((b * s->q_len + i) * s->heads + h) * dh;
        double *p = probs ? probs + mha_probs_offset(s, b, h, i) : NULL;
        memset(o, 0, (size_t)dh * sizeof *o);
        if (m == -INFINITY) { /* every key masked: zeros, not NaN */
            if (p)
                memset(p, 0, (size_t)s->kv_len * sizeof *p);
            continue;
        }
        double l = 0.0;
        for (int64_t j = 0; j < s->kv_len; j++) {
            scores[j] = scores[j] == -INFINITY ? 0.0 : exp(scores[j] - m);
            l += scores[j];
        }
        for (int64_t j = 0; j < s->kv_len; j++) {
            double pj = scores[j] / l;
            if (p)
                p[j] = pj;
            if (j >= visible || (mask && mask[j] == -INFINITY))
                continue; /* masked keys are never read */
            const float *v = mha_row(a->v, a->v_strides, b, j, kvh);
            for (int64_t d = 0; d < dh; d++)
                o[d] += pj * (double)v[d];
        }
    }
}

typedef struct slices_ctx {
    const mha_args *args;
    double scale;
    double *scratch; /* Skv scores per worker */
    double *out, *probs;
} slices_ctx;

static void reference_slices(void *ctx, int64_t begin, int64_t end, int worker)
{
    const slices_ctx *c = ctx;
    const mha_shape *s = &c->args->shape;
    for (int64_t bh = begin; bh < end; bh++)
        reference_head(c->args, c->scale, bh / s->heads, bh % s->heads,
                       c->scratch + (size_t)worker * (size_t)s->kv_len, c->out, c->probs);
}

/* The reference of validated fp32 arguments. */
static mha_status reference_f32(const mha_args *args, double *out, double *probs)
{
    const mha_shape *s = &args->shape;
    const double scale = args->scale != 0.0f ? (double)args->scale : 1.0 / sqrt((double)s->head_dim);
    const int64_t slices = s->batch * s->heads;
    const int threads = mha_threads_for(mha_resolve_threads(args->threads), slices);
    double *scratch = malloc((size_t)threads * (size_t)s->kv_len * sizeof(double));
    if (!scratch)
        return mha_fail(MHA_ERR_OUT_OF_MEMORY, "reference: %lld scores per thread could not be allocated",
                        (long long)s->kv_len);
    slices_ctx c = {args, scale, scratch, out, probs};
    mha_parallel_for(threads, slices, 1, reference_slices, &c);
    free(scratch);
    return MHA_OK;
}

/* Tensor [B][S][H][Dh] of dtype through strides -> dense fp32 (bshd), exactly. */
static void widen(const void *src, mha_dtype dtype, mha_strides st, int64_t B, int64_t S, int64_t H, int64_t Dh,
                  float *dst)
{
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < S; t++)
            for (int64_t h = 0; h < H; h++, dst += Dh) {
                const void *row = mha_row_of(src, dtype, st, b, t, h);
                for (int64_t d = 0; d < Dh; d++)
                    dst[d] = mha_load_f32(row, dtype, d);
            }
}

mha_status mha_reference(const mha_args *args, double *out, double *probs)
{
    mha_status st = mha_validate_args(args);
    if (st != MHA_OK)
        return st;
    if (!out)
        return mha_fail(MHA_ERR_NULL_POINTER, "out is NULL: expected a [B][Sq][H][Dh] double buffer");
    if (args->dtype == MHA_F32)
        return reference_f32(args, out, probs);
    const mha_shape *s = &args->shape;
    const size_t nq = (size_t)(s->batch * s->q_len * s->heads * s->head_dim),
                 nkv = (size_t)(s->batch * s->kv_len * s->kv_heads * s->head_dim);
    float *q = malloc(nq * sizeof *q), *k = malloc(nkv * sizeof *k), *v = malloc(nkv * sizeof *v);
    if (!q || !k || !v) {
        free(q);
        free(k);
        free(v);
        return mha_fail(MHA_ERR_OUT_OF_MEMORY, "reference: fp32 copies of the %s inputs could not be allocated",
                        mha_dtype_name(args->dtype));
    }
    mha_args wide = *args;
    widen(args->q, args->dtype, args->q_strides, s->batch, s->q_len, s->heads, s->head_dim, q);
    widen(args->k, args->dtype, args->k_strides, s->batch, s->kv_len, s->kv_heads, s->head_dim, k);
    widen(args->v, args->dtype, args->v_strides, s->batch, s->kv_len, s->kv_heads, s->head_dim, v);
    wide.q = q;
    wide.k = k;
    wide.v = v;
    wide.q_strides = mha_strides_bshd(s->q_len, s->heads, s->head_dim);
    wide.k_strides = wide.v_strides = mha_strides_bshd(s->kv_len, s->kv_heads, s->head_dim);
    wide.dtype = MHA_F32;
    st = reference_f32(&wide, out, probs);
    free(q);
    free(k);
    free(v);
    return st;
}
