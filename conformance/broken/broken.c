/*
 * Deliberately wrong implementations, each loadable as a port, that the
 * conformance suite must reject for the right reason (see
 * conformance/selftest/check_broken.py). One source: the naive algorithm,
 * with exactly one bug chosen by BROKEN_KIND at compile time.
 *
 *   1 wrong_scale      ignores args->scale, always uses 1/sqrt(Dh)
 *   2 no_max           does not subtract the row max before exp
 *   3 off_by_one_tail  drops the last key when Skv is not a multiple of 8
 *   4 wrong_gqa        query head h reads kv head h % Hkv instead of h / (H / Hkv)
 *   5 ignore_mask      ignores the additive mask (the causal flag still works)
 *   6 write_past       writes one element past the end of the output view
 *   7 bad_abi          descriptor claims ABI version 999
 *   8 no_symbol        does not export mha_port_impl
 *   9 crash            executes an illegal instruction on the shape of seqlen_s17
 *  10 scribble_input   scales Q in place by 1 + 2^-20 after reading it
 *  11 ws_overrun       writes one float past the workspace it asked for
 *  12 read_past_k      reads the float after the last element of K (never uses it)
 *  13 read_before_q    reads the float before the first element of Q (never uses it)
 *  14 ignore_strides   ignores the stride values of Q, K, V and out: takes each for
 *                      dense bshd if its head stride is Dh, else dense bhsd
 *  15 out_in_q_layout  writes out through Q's strides instead of out's
 *  16 odd_threads      declared deterministic, but an odd thread count above 1
 *                      moves out[0, 0, 0, 0] by one ulp (as an uneven split of a
 *                      sum would)
 *  17 mask_dense_rows  reads mask row i at i * Skv instead of i * the row stride
 *  18 reshape_dh_h     splits each token's H*Dh features as (Dh, H) instead of
 *                      (H, Dh): element d of head h is feature d*H + h, not
 *                      h*Dh + d (seed 001's reshape pitfall), for Q, K, V and out
 *  19 matmul_before_transpose
 *                      multiplies the (S, H, Dh) views before transposing them
 *                      to (H, S, Dh): the batched product runs over tokens, so
 *                      query head h of token i attends over the kv heads of the
 *                      same token (seed 001's transpose pitfall)
 *  20 bf16_accumulate  declares every dtype combination; on bf16 inputs it keeps the
 *                      dot products and the weighted sum of V in bf16 (each add
 *                      rounded to bf16) instead of fp32
 *
 * Every kind but 20 declares fp32 only; the shared row code (attend_row) reads
 * and writes Q, K, V and out in the call's dtypes.
 */
#include "internal.h"

#include <string.h>

#ifndef BROKEN_KIND
#error "BROKEN_KIND must be defined (1..20)"
#endif

#define WRONG_SCALE (BROKEN_KIND == 1)
#define NO_MAX (BROKEN_KIND == 2)
#define OFF_BY_ONE_TAIL (BROKEN_KIND == 3)
#define WRONG_GQA (BROKEN_KIND == 4)
#define IGNORE_MASK (BROKEN_KIND == 5)
#define WRITE_PAST (BROKEN_KIND == 6)
#define BF16_ACCUMULATE (BROKEN_KIND == 20)

/* Floats of workspace: the scores (kind 19 scores kv heads, the others keys), then O's accumulator (Dh). */
static size_t workspace_floats(const mha_shape *shape)
{
    const int64_t n = BROKEN_KIND == 19 && shape->kv_heads > shape->kv_len ? shape->kv_heads : shape->kv_len;
    return (size_t)(n + shape->head_dim);
}

static size_t broken_workspace(const mha_shape *shape, int threads, int want_probs)
{
    (void)threads;
    (void)want_probs;
    return workspace_floats(shape) * sizeof(float);
}

#if BROKEN_KIND != 18 && BROKEN_KIND != 19
/* An accumulator after an add: fp32, or (the bug of kind 20) rounded to bf16 when the inputs are bf16. */
static inline float kept(const mha_args *a, float x)
{
    return BF16_ACCUMULATE && a->dtype == MHA_BF16 ? mha_round_f32(MHA_BF16, x) : x;
}

static void attend_row(const mha_args *a, int64_t b, int64_t h, int64_t i, float *s)
{
    const mha_shape *sh = &a->shape;
    const int64_t dh = sh->head_dim;
    const int64_t g = WRONG_GQA ? h % sh->kv_heads : h / mha_group_size(sh);
    const int64_t skv = OFF_BY_ONE_TAIL && sh->kv_len % 8 ? sh->kv_len - 1 : sh->kv_len;
    const float scale = WRONG_SCALE ? 1.0f / sqrtf((float)dh) : a->scale;
    const mha_dtype dt = a->dtype;
    const void *q = mha_row_of(a->q, dt, a->q_strides, b, i, h);
    const float *mask = IGNORE_MASK ? NULL : mha_mask_row(a, b, h, i);
    const int64_t visible = mha_causal_limit(a, i);
    void *o = mha_row_of_mut(a->out, a->out_dtype, a->out_strides, b, i, h);
    float *acc = s + sh->kv_len;
    float *p = a->probs ? a->probs + ((b * sh->heads + h) * sh->q_len + i) * sh->kv_len : NULL;

    float m = -INFINITY;
    int any_nan = 0;
    for (int64_t j = 0; j < sh->kv_len; j++) {
        if (j >= skv || j >= visible || (mask && mask[j] == -INFINITY)) {
            s[j] = -INFINITY;
            continue;
        }
        const void *k = mha_row_of(a->k, dt, a->k_strides, b, j, g);
        float dot = 0.0f;
        for (int64_t d = 0; d < dh; d++)
            dot = kept(a, dot + mha_load_f32(q, dt, d) * mha_load_f32(k, dt, d));
        s[j] = scale * dot + (mask ? mask[j] : 0.0f);
        any_nan |= isnan(s[j]);
        if (s[j] > m)
            m = s[j];
    }
    if (any_nan)
        m = NAN;
    memset(acc, 0, (size_t)dh * sizeof *acc);
    if (m == -INFINITY) {
        for (int64_t d = 0; d < dh; d++)
            mha_store_f32(o, a->out_dtype, d, 0.0f);
        if (p)
            memset(p, 0, (size_t)sh->kv_len * sizeof *p);
        return;
    }
    const float shift = NO_MAX ? 0.0f : m;
    float l = 0.0f;
    for (int64_t j = 0; j < sh->kv_len; j++) {
        s[j] = s[j] == -INFINITY ? 0.0f : expf(s[j] - shift);
        l += s[j];
    }
    for (int64_t j = 0; j < sh->kv_len; j++) {
        const float pj = s[j] / l;
        if (p)
            p[j] = pj;
        if (j >= skv || j >= visible || (mask && mask[j] == -INFINITY))
            continue;
        const void *v = mha_row_of(a->v, dt, a->v_strides, b, j, g);
        for (int64_t d = 0; d < dh; d++)
            acc[d] = kept(a, acc[d] + pj * mha_load_f32(v, dt, d));
    }
    for (int64_t d = 0; d < dh; d++)
        mha_store_f32(o, a->out_dtype, d, acc[d]);
}
#endif

#if BROKEN_KIND == 18
/* Element d of head h as the reshape (S, Dh, H) sees it: feature f = d*H + h of
 * the token, which the (S, H, Dh) view holds in head f / Dh at element f % Dh. */
static int64_t reshaped_offset(mha_strides st, int64_t b, int64_t s, int64_t heads, int64_t dh, int64_t h, int64_t d)
{
    const int64_t f = d * heads + h;
    return b * st.batch + s * st.seq + (f / dh) * st.head + f % dh;
}

static void attend_row_reshaped(const mha_args *a, int64_t b, int64_t h, int64_t i, float *s)
{
    const mha_shape *sh = &a->shape;
    const int64_t dh = sh->head_dim, H = sh->heads, Hkv = sh->kv_heads;
    const int64_t g = h / mha_group_size(sh);
    const float *mask = mha_mask_row(a, b, h, i);
    const int64_t visible = mha_causal_limit(a, i);
    float *p = a->probs ? a->probs + ((b * H + h) * sh->q_len + i) * sh->kv_len : NULL;
    float m = -INFINITY;
    for (int64_t j = 0; j < sh->kv_len; j++) {
        s[j] = -INFINITY;
        if (j >= visible || (mask && mask[j] == -INFINITY))
            continue;
        float dot = 0.0f;
        for (int64_t d = 0; d < dh; d++)
            dot += ((const float *)a->q)[reshaped_offset(a->q_strides, b, i, H, dh, h, d)] *
                   ((const float *)a->k)[reshaped_offset(a->k_strides, b, j, Hkv, dh, g, d)];
        s[j] = a->scale * dot + (mask ? mask[j] : 0.0f);
        if (s[j] > m)
            m = s[j];
    }
    float l = 0.0f;
    for (int64_t j = 0; j < sh->kv_len; j++) {
        s[j] = m == -INFINITY || s[j] == -INFINITY ? 0.0f : expf(s[j] - m);
        l += s[j];
    }
    for (int64_t j = 0; j < sh->kv_len; j++) {
        s[j] = l > 0.0f ? s[j] / l : 0.0f;
        if (p)
            p[j] = s[j];
    }
    for (int64_t d = 0; d < dh; d++) {
        float acc = 0.0f;
        for (int64_t j = 0; j < sh->kv_len; j++)
            if (s[j] != 0.0f)
                acc += s[j] * ((const float *)a->v)[reshaped_offset(a->v_strides, b, j, Hkv, dh, g, d)];
        ((float *)a->out)[reshaped_offset(a->out_strides, b, i, H, dh, h, d)] = acc;
    }
}
#endif

#if BROKEN_KIND == 19
/* Query head h of token i against every kv head of the same token (bottom-right
 * aligned when Sq != Skv): softmax over the Hkv heads, then their values. Mask
 * and causal flag index keys, which this product never meets. The probabilities
 * put all of the row's weight on that one key. */
static void attend_row_untransposed(const mha_args *a, int64_t b, int64_t h, int64_t i, float *s)
{
    const mha_shape *sh = &a->shape;
    const int64_t dh = sh->head_dim;
    int64_t j = i + sh->kv_len - sh->q_len;
    j = j < 0 ? 0 : j >= sh->kv_len ? sh->kv_len - 1 : j;
    const float *q = mha_row(a->q, a->q_strides, b, i, h);
    float m = -INFINITY, l = 0.0f;
    for (int64_t g = 0; g < sh->kv_heads; g++) {
        const float *k = mha_row(a->k, a->k_strides, b, j, g);
        float dot = 0.0f;
        for (int64_t d = 0; d < dh; d++)
            dot += q[d] * k[d];
        s[g] = a->scale * dot;
        m = s[g] > m ? s[g] : m;
    }
    for (int64_t g = 0; g < sh->kv_heads; g++) {
        s[g] = expf(s[g] - m);
        l += s[g];
    }
    float *o = mha_row_mut(a->out, a->out_strides, b, i, h);
    memset(o, 0, (size_t)dh * sizeof *o);
    for (int64_t g = 0; g < sh->kv_heads; g++) {
        const float *v = mha_row(a->v, a->v_strides, b, j, g);
        for (int64_t d = 0; d < dh; d++)
            o[d] += s[g] / l * v[d];
    }
    if (a->probs) {
        float *p = a->probs + ((b * sh->heads + h) * sh->q_len + i) * sh->kv_len;
        memset(p, 0, (size_t)sh->kv_len * sizeof *p);
        p[j] = 1.0f;
    }
}
#endif

#if BROKEN_KIND == 14
/* The stride values unused: dense bshd when the head stride is Dh, else dense bhsd. */
static mha_strides guess_dense(mha_strides given, int64_t S, int64_t H, int64_t Dh)
{
    return given.head == Dh ? mha_strides_bshd(S, H, Dh) : mha_strides_bhsd(S, H, Dh);
}
#endif

static void broken_attention(const mha_args *args, void *workspace)
{
    const mha_shape *sh = &args->shape;
#if BROKEN_KIND == 9
    /* SIGILL, as code compiled for an ISA the CPU lacks would raise (not SIGSEGV: ASan would catch that) */
    if (sh->heads == 1 && sh->q_len == 17 && sh->kv_len == 17 && sh->head_dim == 16) {
#if defined(__aarch64__)
        __asm__ volatile("udf #0"); /* __builtin_trap() is brk here: SIGTRAP, not SIGILL */
#else
        __builtin_trap(); /* ud2 on x86-64 */
#endif
    }
#endif
    mha_args a = *args;
#if BROKEN_KIND == 12
    const float *k_last = mha_row(a.k, a.k_strides, sh->batch - 1, sh->kv_len - 1, sh->kv_heads - 1);
    volatile float past = k_last[sh->head_dim];
    (void)past;
#endif
#if BROKEN_KIND == 13
    volatile float before = ((const float *)a.q)[-1];
    (void)before;
#endif
#if BROKEN_KIND == 14
    a.q_strides = guess_dense(a.q_strides, sh->q_len, sh->heads, sh->head_dim);
    a.k_strides = guess_dense(a.k_strides, sh->kv_len, sh->kv_heads, sh->head_dim);
    a.v_strides = guess_dense(a.v_strides, sh->kv_len, sh->kv_heads, sh->head_dim);
    a.out_strides = guess_dense(a.out_strides, sh->q_len, sh->heads, sh->head_dim);
#endif
#if BROKEN_KIND == 15
    a.out_strides = a.q_strides;
#endif
#if BROKEN_KIND == 17
    a.mask_strides.row = sh->kv_len;
#endif
    for (int64_t b = 0; b < sh->batch; b++)
        for (int64_t h = 0; h < sh->heads; h++)
            for (int64_t i = 0; i < sh->q_len; i++)
#if BROKEN_KIND == 18
                attend_row_reshaped(&a, b, h, i, workspace);
#elif BROKEN_KIND == 19
                attend_row_untransposed(&a, b, h, i, workspace);
#else
                attend_row(&a, b, h, i, workspace);
#endif
#if BROKEN_KIND == 10
    float *q = (float *)args->q; /* casting away const: the bug */
    q[0] *= 1.0f + 0x1p-20f;
#endif
#if BROKEN_KIND == 11
    ((float *)workspace)[workspace_floats(sh)] = 0.0f;
#endif
#if BROKEN_KIND == 16
    float *first = mha_row_mut(args->out, args->out_strides, 0, 0, 0);
    if (args->threads > 1 && args->threads % 2 == 1 && isfinite(first[0]) && first[0] != 0.0f)
        first[0] = nextafterf(first[0], INFINITY);
#endif
#if WRITE_PAST
    /* the element after the last one of the view */
    float *last = mha_row_mut(args->out, args->out_strides, sh->batch - 1, sh->q_len - 1, sh->heads - 1);
    last[sh->head_dim] = 0.0f;
#endif
}

static const mha_impl broken_impl = {
    .abi_version = BROKEN_KIND == 7 ? 999 : MHA_ABI_VERSION,
    .name = "broken_" BROKEN_NAME,
    .algorithm = "naive",
    .isa = "c",
    .summary = "deliberately wrong: " BROKEN_NAME,
    .cpu_features = 0,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC,
    .priority = -1,
    .workspace = broken_workspace,
    .attention = broken_attention,
    .matmul = NULL,
    .dtypes = BF16_ACCUMULATE ? MHA_IO_F32 | MHA_IO_BF16_F32 | MHA_IO_BF16 | MHA_IO_F16_F32 | MHA_IO_F16 : 0,
};

#if BROKEN_KIND == 8
const mha_impl *mha_port_impl_misspelled(void);
const mha_impl *mha_port_impl_misspelled(void)
#else
const mha_impl *mha_port_impl(void);
const mha_impl *mha_port_impl(void)
#endif
{
    return &broken_impl;
}
