/*
 * The row kernels (row.h's row_kernels), written once over the f32v shims
 * (impl/vec/f32v_*.h). row_<isa>.c includes its ISA's f32v header, defines
 * ROW_ISA (a bare token: avx2, avx512, neon), then includes this file,
 * which defines the table row_kernels_<ROW_ISA> (declared in row.h; the
 * ISA file passes it to row_attention, tests/checkasm calls its kernels).
 * LANES = F32V_LANES floats per vector; scores are computed ROW_KEYS keys
 * at a time; P V accumulates COLS = 8 vectors of columns.
 */
#include "row.h"

#include <math.h>
#include <stdint.h>

#ifndef ROW_ISA
#error "define ROW_ISA before including row_kernels_tmpl.h"
#endif

#define ROW_CAT2(a, b) a##b
#define ROW_CAT(a, b) ROW_CAT2(a, b)

enum {
    LANES = F32V_LANES,
    ROW_KEYS = 8,          /* keys whose scores are computed together */
    COLS = 8 * F32V_LANES, /* output columns accumulated in registers (8 vectors) */
};

/* dots[u] = scale * <q, k[u]> for 8 keys, over dh floats; one accumulator per key */
static inline void dot_keys(const float *q, const float *const k[ROW_KEYS], int64_t dh, float scale,
                            float dots[ROW_KEYS])
{
    f32v acc[ROW_KEYS];
    for (int u = 0; u < ROW_KEYS; u++)
        acc[u] = f32v_zero();
    int64_t d = 0;
    /* acc[u] += q[d:d+LANES] * k[u][d:d+LANES] */
    for (; d + LANES <= dh; d += LANES) {
        const f32v qv = f32v_load(q + d);
        for (int u = 0; u < ROW_KEYS; u++)
            acc[u] = f32v_fmadd(qv, f32v_load(k[u] + d), acc[u]);
    }
    /* the same on the last dh % LANES floats, zero-padded; floats past dh are not read */
    if (d < dh) {
        const int rest = (int)(dh - d);
        const f32v qv = f32v_load_tail(q + d, rest);
        for (int u = 0; u < ROW_KEYS; u++)
            acc[u] = f32v_fmadd(qv, f32v_load_tail(k[u] + d, rest), acc[u]);
    }
    f32v_hsum8_scaled(acc, scale, dots);
}

/* s[key[t]] = scale * <q, k_{key[t]}> + mask[key[t]], t < n, ROW_KEYS keys at a time.
 * A last group of fewer keys repeats its last key (result unused). */
static void scores(const float *q, const float *k0, int64_t k_step, const int32_t *key, int64_t n, int64_t dh,
                   float scale, const float *mask, float *s)
{
    const float *k[ROW_KEYS];
    float dots[ROW_KEYS];
    int64_t t = 0;
    for (; t + ROW_KEYS <= n; t += ROW_KEYS) {
        for (int u = 0; u < ROW_KEYS; u++)
            k[u] = k0 + key[t + u] * k_step;
        dot_keys(q, k, dh, scale, dots);
        for (int u = 0; u < ROW_KEYS; u++)
            s[key[t + u]] = dots[u] + (mask ? mask[key[t + u]] : 0.0f);
    }
    if (t < n) {
        for (int u = 0; u < ROW_KEYS; u++)
            k[u] = k0 + key[t + u < n ? t + u : n - 1] * k_step;
        dot_keys(q, k, dh, scale, dots);
        for (int u = 0; t + u < n; u++)
            s[key[t + u]] = dots[u] + (mask ? mask[key[t + u]] : 0.0f);
    }
}

/* s[j] = -inf, j < n */
static void row_clear(float *s, int64_t n)
{
    const f32v neg_inf = f32v_set1(-INFINITY);
    for (int64_t j = 0; j < n; j += LANES)
        f32v_store(s + j, neg_inf);
}

/* max_j s[j], j < n; NaN if any s[j] is NaN */
static float row_max(const float *s, int64_t n)
{
    f32v mv = f32v_set1(-INFINITY);
    f32v_nan nan = f32v_nan_none();
    for (int64_t j = 0; j < n; j += LANES) {
        const f32v sv = f32v_load(s + j);
        mv = f32v_max(mv, sv);
        nan = f32v_nan_or(nan, sv);
    }
    return f32v_nan_any(nan) ? NAN : f32v_hmax(mv);
}

/* s[j] = exp(s[j] - m), j < n;  returns sum_j s[j] */
static float row_exp_sum(float *s, int64_t n, float m)
{
    const f32v mb = f32v_set1(m);
    f32v lv = f32v_zero();
    for (int64_t j = 0; j < n; j += LANES) {
        const f32v e = f32v_exp(f32v_sub(f32v_load(s + j), mb));
        f32v_store(s + j, e);
        lv = f32v_add(lv, e);
    }
    return f32v_hsum(lv);
}

/* s[j] = s[j] * c, j < n */
static void row_scale(float *s, int64_t n, float c)
{
    const f32v cv = f32v_set1(c);
    for (int64_t j = 0; j < n; j += LANES)
        f32v_store(s + j, f32v_mul(f32v_load(s + j), cv));
}

/* o[0:dh] = sum_t p[key[t]] * v_{key[t]}[0:dh], over the n visible keys;
 * row j of V is v + j * v_step */
static void weighted_sum(const float *p, const int32_t *key, int64_t n, const float *v0,
                         int64_t v_step, int64_t dh, float *o)
{
    int64_t c = 0;
    /* COLS columns in 8 accumulators: acc[u] += p_j * v_j[c+LANES*u : c+LANES*(u+1)] */
    for (; c + COLS <= dh; c += COLS) {
        f32v acc[COLS / LANES];
        for (int u = 0; u < COLS / LANES; u++)
            acc[u] = f32v_zero();
        for (int64_t t = 0; t < n; t++) {
            const float *v = v0 + key[t] * v_step + c;
            const f32v pj = f32v_set1(p[key[t]]);
            for (int u = 0; u < COLS / LANES; u++)
                acc[u] = f32v_fmadd(pj, f32v_load(v + u * LANES), acc[u]);
        }
        for (int u = 0; u < COLS / LANES; u++)
            f32v_store(o + c + u * LANES, acc[u]);
    }
    /* the last dh % COLS columns: the same with tail loads and stores */
    if (c < dh) {
        const int vecs = (int)((dh - c + LANES - 1) / LANES);
        f32v acc[COLS / LANES];
        int rest[COLS / LANES]; /* floats left from vector u on */
        for (int u = 0; u < vecs; u++) {
            acc[u] = f32v_zero();
            rest[u] = (int)(dh - c) - u * LANES;
        }
        for (int64_t t = 0; t < n; t++) {
            const float *v = v0 + key[t] * v_step + c;
            const f32v pj = f32v_set1(p[key[t]]);
            for (int u = 0; u < vecs; u++)
                acc[u] = f32v_fmadd(pj, rest[u] >= LANES ? f32v_load(v + u * LANES) : f32v_load_tail(v + u * LANES, rest[u]),
                                    acc[u]);
        }
        for (int u = 0; u < vecs; u++)
            f32v_store_tail(o + c + u * LANES, acc[u], rest[u]);
    }
}

const row_kernels ROW_CAT(row_kernels_, ROW_ISA) = {
    .lanes = LANES,
    .scores = scores,
    .clear = row_clear,
    .max = row_max,
    .exp_sum = row_exp_sum,
    .scale = row_scale,
    .weighted_sum = weighted_sum,
};
