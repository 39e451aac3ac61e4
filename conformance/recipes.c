/* The recipes: a case's seed to input tensors (vectors/README.md), element counts, layouts. */
#include "cases.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t case_q_count(const mha_shape *s)
{
    return (size_t)(s->batch * s->q_len * s->heads * s->head_dim);
}
size_t case_kv_count(const mha_shape *s)
{
    return (size_t)(s->batch * s->kv_len * s->kv_heads * s->head_dim);
}
size_t case_out_count(const mha_shape *s)
{
    return case_q_count(s);
}
size_t case_probs_count(const mha_shape *s)
{
    return (size_t)(s->batch * s->heads * s->q_len * s->kv_len);
}

void case_free_inputs(case_inputs *in)
{
    free(in->q);
    free(in->k);
    free(in->v);
    free(in->mask);
    memset(in, 0, sizeof *in);
}

void case_round(mha_dtype dtype, float *x, size_t n)
{
    for (size_t e = 0; e < n; e++)
        x[e] = dtype == MHA_BF16 ? mha_bf16_to_f32(mha_f32_to_bf16(x[e]))
             : dtype == MHA_F16  ? mha_f16_to_f32(mha_f32_to_f16(x[e]))
                                 : x[e];
}

void case_narrow(mha_dtype dtype, const float *src, uint16_t *dst, size_t n)
{
    for (size_t e = 0; e < n; e++)
        dst[e] = dtype == MHA_BF16 ? mha_f32_to_bf16(src[e]) : mha_f32_to_f16(src[e]);
}

void case_widen(mha_dtype dtype, const uint16_t *src, float *dst, size_t n)
{
    for (size_t e = 0; e < n; e++)
        dst[e] = dtype == MHA_BF16 ? mha_bf16_to_f32(src[e]) : mha_f16_to_f32(src[e]);
}

/* Element (b, s, h, 0) of a logical [B][S][H][Dh] tensor. */
static size_t at(const mha_shape *sh, int64_t S, int64_t H, int64_t b, int64_t s, int64_t h)
{
    return (size_t)(((b * S + s) * H + h) * sh->head_dim);
}

static void make_mask(const conf_case *c, mha_rng *rng, case_inputs *in)
{
    const int64_t sq = c->shape.q_len, skv = c->shape.kv_len;
    const size_t n = (size_t)(in->mask_b * in->mask_h * sq * skv);
    /* mask = 2 * uniform, in [-2, 2), drawn after V; inf_column starts from zeros */
    if (c->mask == MASK_INF_COLUMN)
        memset(in->mask, 0, n * sizeof *in->mask);
    else
        mha_rng_fill(rng, in->mask, n, 2.0f);
    for (size_t e = 0; e < n; e++) {
        const int64_t j = (int64_t)(e % (size_t)skv), i = (int64_t)(e / (size_t)skv % (size_t)sq);
        int hide = 0;
        switch (c->mask) {
        case MASK_NEG_INF: hide = (mha_rng_next(rng) >> 62) == 0; break; /* one more draw per entry */
        case MASK_FULL_ROWS: hide = i % 5 == 1; break;
        case MASK_FULL_TILE: hide = (j >= 32 && j < 64) || (i >= 16 && i < 32); break;
        case MASK_INF_COLUMN: hide = j == skv / 2; break;
        default: break;
        }
        if (hide)
            in->mask[e] = -INFINITY;
    }
}

int case_make_inputs(const conf_case *c, case_inputs *in)
{
    const mha_shape *s = &c->shape;
    memset(in, 0, sizeof *in);
    const size_t nq = case_q_count(s), nkv = case_kv_count(s);
    in->q = malloc(nq * sizeof(float));
    in->k = malloc(nkv * sizeof(float));
    in->v = malloc(nkv * sizeof(float));
    if (c->mask != MASK_NONE) {
        in->mask_b = c->mask == MASK_PER_HEAD ? s->batch : 1;
        in->mask_h = c->mask == MASK_PER_HEAD ? s->heads : 1;
        in->mask = malloc((size_t)(in->mask_b * in->mask_h * s->q_len * s->kv_len) * sizeof(float));
    }
    if (!in->q || !in->k || !in->v || (c->mask != MASK_NONE && !in->mask)) {
        case_free_inputs(in);
        return -1;
    }
    /* Q, K, V uniform in [-1, 1) from one stream, in that order, logical order */
    mha_rng rng;
    mha_rng_seed(&rng, c->seed);
    mha_rng_fill(&rng, in->q, nq, 1.0f);
    mha_rng_fill(&rng, in->k, nkv, 1.0f);
    mha_rng_fill(&rng, in->v, nkv, 1.0f);
    if (in->mask)
        make_mask(c, &rng, in);

    /* then the recipe's change; every step is exact in fp32 */
    const char *r = c->recipe;
    if (strcmp(r, "uniform") == 0) {
    } else if (strcmp(r, "ints") == 0) { /* x = trunc(3x), in {-2, ..., 2} */
        for (size_t e = 0; e < nq; e++) in->q[e] = truncf(3.0f * in->q[e]);
        for (size_t e = 0; e < nkv; e++) in->k[e] = truncf(3.0f * in->k[e]);
        for (size_t e = 0; e < nkv; e++) in->v[e] = truncf(3.0f * in->v[e]);
    } else if (strcmp(r, "large") == 0) { /* Q, K times 128: |score| up to ~1e4 */
        for (size_t e = 0; e < nq; e++) in->q[e] *= 128.0f;
        for (size_t e = 0; e < nkv; e++) in->k[e] *= 128.0f;
    } else if (strcmp(r, "zero_q") == 0) {
        memset(in->q, 0, nq * sizeof(float));
    } else if (strcmp(r, "zero_v") == 0) {
        memset(in->v, 0, nkv * sizeof(float));
    } else if (strcmp(r, "nan_q") == 0) { /* Q[0, Sq/2, 0, 0] */
        in->q[at(s, s->q_len, s->heads, 0, s->q_len / 2, 0)] = NAN;
    } else if (strcmp(r, "nan_k") == 0) { /* K[0, Skv/2, 0, 0] */
        in->k[at(s, s->kv_len, s->kv_heads, 0, s->kv_len / 2, 0)] = NAN;
    } else if (strcmp(r, "nan_v") == 0) { /* V[0, Skv/2, 0, Dh-1] */
        in->v[at(s, s->kv_len, s->kv_heads, 0, s->kv_len / 2, 0) + (size_t)(s->head_dim - 1)] = NAN;
    } else {
        case_free_inputs(in);
        return -1;
    }
    /* last, a bf16 or fp16 case rounds Q, K and V to its dtype (nearest even): its inputs as given */
    if (c->dtype != MHA_F32) {
        case_round(c->dtype, in->q, nq);
        case_round(c->dtype, in->k, nkv);
        case_round(c->dtype, in->v, nkv);
    }
    return 0;
}

mha_args case_args(const conf_case *c, const case_inputs *in)
{
    mha_args a;
    memset(&a, 0, sizeof a);
    const mha_shape *s = &c->shape;
    a.shape = *s;
    a.q = in->q;
    a.q_strides = mha_strides_bshd(s->q_len, s->heads, s->head_dim);
    a.k = in->k;
    a.k_strides = mha_strides_bshd(s->kv_len, s->kv_heads, s->head_dim);
    a.v = in->v;
    a.v_strides = a.k_strides;
    a.out_strides = a.q_strides;
    a.scale = c->scale;
    a.causal = c->causal;
    a.dtype = c->dtype;
    a.out_dtype = c->out_dtype;
    a.mask = in->mask;
    if (in->mask) {
        a.mask_strides.row = s->kv_len;
        a.mask_strides.head = in->mask_h > 1 ? s->q_len * s->kv_len : 0;
        a.mask_strides.batch = in->mask_b > 1 ? in->mask_h * s->q_len * s->kv_len : 0;
    }
    return a;
}

static void transpose(const float *src, float *dst, int64_t B, int64_t S, int64_t H, int64_t Dh, int forward)
{
    for (int64_t b = 0; b < B; b++)
        for (int64_t s = 0; s < S; s++)
            for (int64_t h = 0; h < H; h++) {
                const size_t lo = (size_t)(((b * S + s) * H + h) * Dh), hm = (size_t)(((b * H + h) * S + s) * Dh);
                memcpy(dst + (forward ? hm : lo), src + (forward ? lo : hm), (size_t)Dh * sizeof(float));
            }
}

void case_to_layout(const float *src, float *dst, int64_t B, int64_t S, int64_t H, int64_t Dh, int layout)
{
    if (layout == CASE_LAYOUT_BHSD)
        transpose(src, dst, B, S, H, Dh, 1);
    else
        memcpy(dst, src, (size_t)(B * S * H * Dh) * sizeof(float));
}

void case_from_layout(const float *src, float *dst, int64_t B, int64_t S, int64_t H, int64_t Dh, int layout)
{
    if (layout == CASE_LAYOUT_BHSD)
        transpose(src, dst, B, S, H, Dh, 0);
    else
        memcpy(dst, src, (size_t)(B * S * H * Dh) * sizeof(float));
}
