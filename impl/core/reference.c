/*
 * The float64 reference: the naive algorithm with every intermediate in
 * double, on inputs of any dtype (each element converted exactly to
 * double). The golden vectors are generated from it, and large shapes are
 * checked against it on the fly.
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
    const mha_dtype dt = a->dtype;
    for (int64_t i = 0; i < s->q_len; i++) {
        const void *q = mha_row_of(a->q, dt, a->q_strides, b, i, h);
        const float *mask = mha_mask_row(a, b, h, i);
        const int64_t visible = mha_causal_limit(a, i);
        double m = -INFINITY;
        for (int64_t j = 0; j < s->kv_len; j++) {
            double add = mask ? (double)mask[j] : 0.0;
            if (j >= visible || add == -INFINITY) {
                scores[j] = -INFINITY;
                continue;
            }
            const void *k = mha_row_of(a->k, dt, a->k_strides, b, j, kvh);
            double dot = 0.0;
            for (int64_t d = 0; d < dh; d++)
                dot += (double)mha_load_f32(q, dt, d) * (double)mha_load_f32(k, dt, d);
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
            const void *v = mha_row_of(a->v, dt, a->v_strides, b, j, kvh);
            for (int64_t d = 0; d < dh; d++)
                o[d] += pj * (double)mha_load_f32(v, dt, d);
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

mha_status mha_reference(const mha_args *args, double *out, double *probs)
{
    mha_status st = mha_validate_args(args);
    if (st != MHA_OK)
        return st;
    if (!out)
        return mha_fail(MHA_ERR_NULL_POINTER, "out is NULL: expected a [B][Sq][H][Dh] double buffer");
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
