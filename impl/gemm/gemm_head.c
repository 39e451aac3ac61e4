/*
 * Scores -> probabilities -> weighted sum for the rows of one head, shared
 * by `gemm` and `blas` (see gemm_head.h). Baseline flags: the loops over
 * keys are written lane by lane (LANES partial maxima and sums, combined
 * in a fixed order) so that the compiler vectorizes them without
 * reassociating anything; the result is the same for any thread count.
 */
#include "gemm_head.h"

#include "dtype_convert.h"

#include "parallel.h"
#include "../vec/vexp_consts.h"

#include <string.h>
#include <time.h>

/* Independent partial maxima and sums per row (4 SSE or 2 AVX vectors). */
#define LANES 16


/*
 * exp(x) for x <= 0 by the method and constants of the vectorized exp
 * (impl/vec/vexp_avx2.h, vexp_consts.h), in plain C for the baseline flags:
 *   n = round(x / ln2) by the 1.5 * 2^23 shifter, r = x - n*LN2_HI - n*LN2_LO
 *   (Cody-Waite), exp(r) ~ 1 + r + C2 r^2 + ... + C6 r^6 (minimax, Horner),
 *   exp(x) = p * 2^n with 2^n built from its exponent bits.
 * Without FMA at the baseline, each multiply and add rounds on its own, so
 * the bits may differ from the SIMD versions by an ulp.
 * For |x| > 87 (exp(-87) < 1.7e-38), -inf and NaN the result is 0: the
 * caller deals with NaN for the whole row.
 *
 * No floating-point comparison: the cut-off is an integer test on the
 * bits and a mask. gcc keeps floating-point compares out of vectorized
 * loops unless -fno-trapping-math (they may raise the invalid flag);
 * integer selects vectorize at the default flags.
 */
static inline float exp_nonpositive(float x)
{
    const float t = x * MHA_VEXP_LOG2E + MHA_VEXP_SHIFTER;
    const float n = t - MHA_VEXP_SHIFTER;
    const float r = (x - n * MHA_VEXP_LN2_HI) - n * MHA_VEXP_LN2_LO;
    float p = MHA_VEXP_C6;
    p = p * r + MHA_VEXP_C5;
    p = p * r + MHA_VEXP_C4;
    p = p * r + MHA_VEXP_C3;
    p = p * r + MHA_VEXP_C2;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    /* t's low mantissa bits hold n: bits(t) - bits(magic) = n in two's complement */
    const uint32_t ni = mha_f32_bits(t) - mha_f32_bits(MHA_VEXP_SHIFTER);
    const float y = p * mha_f32_from_bits((ni + 127u) << 23);
    /* keep y only where |x| <= 87 (0x42ae0000 = bits of 87.0f; inf and NaN are above) */
    const uint32_t keep = (mha_f32_bits(x) & 0x7fffffffu) <= 0x42ae0000u ? 0xffffffffu : 0u;
    return mha_f32_from_bits(mha_f32_bits(y) & keep);
}

/*
 * Integer key with the order of the floats (for everything but NaN):
 * non-negative floats keep their bits, negative ones get their magnitude
 * bits flipped. The row maximum runs on these keys for the same reason
 * as above.
 */
static inline int32_t order_key(float f)
{
    const int32_t b = (int32_t)mha_f32_bits(f);
    return b < 0 ? b ^ 0x7fffffff : b;
}

static inline float key_float(int32_t k)
{
    return mha_f32_from_bits((uint32_t)(k < 0 ? k ^ 0x7fffffff : k));
}

static inline int is_nan_bits(float f)
{
    return (mha_f32_bits(f) & 0x7fffffffu) > 0x7f800000u;
}

float mha_gemm_exp_nonpositive(float x)
{
    return exp_nonpositive(x);
}

/*
 * One row: s[0:keys) holds scale * <q, k_j>; keys >= visible are hidden by
 * the causal flag. Afterwards s[0:width) holds the probabilities (width >=
 * keys; entries past keys are hidden keys of the probability output).
 */
static void softmax_row(float *restrict s, int64_t keys, int64_t width, int64_t visible,
                        const float *restrict mask)
{
    /* s[j] += M[j]; a -inf mask entry or the causal flag hides key j: s[j] = -inf */
    if (mask)
        for (int64_t j = 0; j < visible; j++)
            s[j] = mask[j] == -INFINITY ? -INFINITY : s[j] + mask[j];
    for (int64_t j = visible; j < keys; j++)
        s[j] = -INFINITY;

    /* m = max_j s[j] and whether any s[j] is NaN, lane by lane */
    int32_t kmax[LANES], nan[LANES];
    for (int t = 0; t < LANES; t++) {
        kmax[t] = order_key(-INFINITY);
        nan[t] = 0;
    }
    int64_t j0 = 0;
    for (; j0 + LANES <= keys; j0 += LANES)
        for (int t = 0; t < LANES; t++) {
            const int32_t k = order_key(s[j0 + t]);
            kmax[t] = k > kmax[t] ? k : kmax[t];
            nan[t] |= is_nan_bits(s[j0 + t]);
        }
    for (int64_t j = j0; j < keys; j++) {
        const int32_t k = order_key(s[j]);
        kmax[j - j0] = k > kmax[j - j0] ? k : kmax[j - j0];
        nan[j - j0] |= is_nan_bits(s[j]);
    }
    int32_t km = kmax[0];
    int any_nan = 0;
    for (int t = 0; t < LANES; t++) {
        km = kmax[t] > km ? kmax[t] : km;
        any_nan |= nan[t];
    }

    /* A NaN score (visible: hidden ones are -inf by now) makes every
     * probability of the row NaN, as exp(NaN - m) / NaN would. */
    if (any_nan) {
        for (int64_t j = 0; j < width; j++)
            s[j] = NAN;
        return;
    }
    const float m = key_float(km);
    /* Every key hidden: the row is zeros, never 0/0. */
    if (m == -INFINITY) {
        memset(s, 0, (size_t)width * sizeof *s);
        return;
    }

    /* e[j] = exp(s[j] - m) (hidden: exp(-inf) = 0) */
    for (int64_t j = 0; j < keys; j++)
        s[j] = exp_nonpositive(s[j] - m);

    /* l = sum_j e[j], over lanes */
    float lane[LANES];
    for (int t = 0; t < LANES; t++)
        lane[t] = 0.0f;
    for (j0 = 0; j0 + LANES <= keys; j0 += LANES)
        for (int t = 0; t < LANES; t++)
            lane[t] += s[j0 + t];
    for (int64_t j = j0; j < keys; j++)
        lane[j - j0] += s[j];
    float l = 0.0f;
    for (int t = 0; t < LANES; t++)
        l += lane[t];

    /* p[j] = e[j] / l (l >= 1: the maximum contributes exp(0)) */
    const float inv_l = 1.0f / l;
    for (int64_t j = 0; j < keys; j++)
        s[j] *= inv_l;
    for (int64_t j = keys; j < width; j++)
        s[j] = 0.0f;
}

static int row_finite(const float *o, int64_t n)
{
    int ok = 1;
    for (int64_t d = 0; d < n; d++)
        ok &= isfinite(o[d]) != 0;
    return ok;
}

/*
 * The weighted-sum product multiplied p = 0 by the values of hidden keys
 * (those between a row's causal limit and its block's, and -inf mask ones);
 * if one of those is inf or NaN the product is NaN where the contract
 * says the key is never read. Such rows (only rows whose output is not
 * finite) are recomputed here skipping hidden keys. A NaN that a visible
 * key brings stays NaN.
 */
static void refix_row(const mha_args *a, int64_t b, int64_t h, int64_t i, const float *p, int64_t keys)
{
    const int64_t dh = a->shape.head_dim, g = h / mha_group_size(&a->shape);
    float *o = mha_row_mut(a->out, a->out_strides, b, i, h);
    if (row_finite(o, dh))
        return;
    const float *mask = mha_mask_row(a, b, h, i);
    const int64_t visible = mha_causal_limit(a, i) < keys ? mha_causal_limit(a, i) : keys;
    memset(o, 0, (size_t)dh * sizeof *o);
    for (int64_t j = 0; j < visible; j++) {
        if (mask && mask[j] == -INFINITY)
            continue;
        const float *v = mha_row(a->v, a->v_strides, b, j, g);
        for (int64_t d = 0; d < dh; d++)
            o[d] += p[j] * v[d];
    }
}

mha_gemm_split mha_gemm_split_work(const mha_shape *s, int threads)
{
    mha_gemm_split w;
    const int64_t heads = s->batch * s->heads;
    int64_t chunks = heads >= threads ? 1 : (threads + heads - 1) / heads;
    if (chunks > s->q_len)
        chunks = s->q_len;
    w.chunk_rows = (s->q_len + chunks - 1) / chunks;
    w.chunk_rows = (w.chunk_rows + MHA_GEMM_ROW_BLOCK - 1) / MHA_GEMM_ROW_BLOCK * MHA_GEMM_ROW_BLOCK;
    w.chunks = (s->q_len + w.chunk_rows - 1) / w.chunk_rows;
    const int64_t items = heads * w.chunks;
    w.threads = items < threads ? (int)items : threads;
    return w;
}

static _Thread_local mha_gemm_phase_clock *phase_clock;

void mha_gemm_set_phase_clock(mha_gemm_phase_clock *clock)
{
    phase_clock = clock;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/*
 * Rows [r0, r1) of one item. s holds (r1 - r0) rows of Skv floats (the
 * probabilities of args->probs when it is set, else scratch). Rows go in
 * MHA_GEMM_ROW_BLOCK blocks (r0 is a multiple of it).
 */
static void head_rows(const mha_args *a, const mha_gemm_item *it, int64_t r0, int64_t r1, float *s,
                      const mha_gemm_products *prod, mha_gemm_phase_times *times)
{
    const int64_t skv = a->shape.kv_len;
    const int64_t block = MHA_GEMM_ROW_BLOCK;
    for (int64_t i0 = r0; i0 < r1; i0 += block) {
        const int64_t rows = r1 - i0 < block ? r1 - i0 : block;
        /* the causal limit grows with i: the block's last row sees the most keys */
        const int64_t keys = mha_causal_limit(a, i0 + rows - 1);
        const int64_t width = a->probs ? skv : keys;
        float *sb = s + (i0 - r0) * skv;

        const double t0 = times ? now_seconds() : 0;
        if (keys > 0)
            prod->scores(prod->ctx, it, i0, rows, keys, sb, skv);
        const double t1 = times ? now_seconds() : 0;
        for (int64_t r = 0; r < rows; r++) {
            const int64_t i = i0 + r;
            const int64_t lim = mha_causal_limit(a, i);
            softmax_row(sb + r * skv, keys, width, lim < keys ? lim : keys, mha_mask_row(a, it->b, it->h, i));
        }
        const double t2 = times ? now_seconds() : 0;
        prod->weighted_sum(prod->ctx, it, i0, rows, keys, sb, skv);
        if (times) {
            const double t3 = now_seconds();
            times->scores += t1 - t0;
            times->softmax += t2 - t1;
            times->values += t3 - t2;
            times->blocks++;
        }
        for (int64_t r = 0; r < rows; r++)
            refix_row(a, it->b, it->h, i0 + r, sb + r * skv, keys);
    }
}

typedef struct items_ctx {
    const mha_args *a;
    mha_gemm_split w;
    float *scores;
    size_t scores_stride;
    const mha_gemm_products *prod;
    mha_gemm_phase_times *times; /* per worker, or NULL: not timed */
} items_ctx;

/* (batch, head, row chunk) items [begin, end) */
static void items(void *ctx, int64_t begin, int64_t end, int worker)
{
    const items_ctx *x = ctx;
    const mha_args *a = x->a;
    const mha_shape *sh = &a->shape;
    for (int64_t t = begin; t < end; t++) {
        const int64_t bh = t / x->w.chunks, chunk = t % x->w.chunks;
        const int64_t b = bh / sh->heads, h = bh % sh->heads;
        const mha_gemm_item it = {b, h, h / mha_group_size(sh), worker};
        const int64_t r0 = chunk * x->w.chunk_rows;
        const int64_t r1 = r0 + x->w.chunk_rows < sh->q_len ? r0 + x->w.chunk_rows : sh->q_len;
        float *s = a->probs ? a->probs + mha_probs_offset(sh, b, h, r0) : x->scores + (size_t)worker * x->scores_stride;
        head_rows(a, &it, r0, r1, s, x->prod, x->times ? &x->times[worker] : NULL);
    }
}

void mha_gemm_attend(const mha_args *a, float *scores, size_t scores_stride, const mha_gemm_products *prod)
{
    const mha_shape *sh = &a->shape;
    items_ctx x = {a, mha_gemm_split_work(sh, a->threads), scores, scores_stride, prod, NULL};
    mha_gemm_phase_clock *clock = phase_clock;
    if (clock && clock->capacity >= x.w.threads)
        x.times = clock->per_worker;
    const int workers = mha_parallel_for(x.w.threads, sh->batch * sh->heads * x.w.chunks, 1, items, &x);
    if (clock)
        clock->workers = x.times ? workers : 0;
}
