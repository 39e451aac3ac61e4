/*
 * The row kernels (row.h's row_kernels), written once over the f32v shims
 * (impl/vec/f32v_*.h). row_<isa>.c includes its ISA's f32v header, defines
 * ROW_ISA (a bare token: avx2, avx512, neon), then includes this file,
 * which defines the table row_kernels_<ROW_ISA> (declared in row.h; the
 * ISA file passes it to row_attention, tests/checkasm calls its kernels).
 * LANES = F32V_LANES floats per vector; scores are computed ROW_KEYS keys
 * at a time; P V accumulates COLS = 8 vectors of columns, then the columns
 * left in one block sized to them (weighted_cols).
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

/* a[u] += p[j] * v_j[c + LANES*u : c + LANES*(u+1)], u < vecs (the last vector: `last` floats, tail set) */
static inline __attribute__((always_inline)) void weighted_key(int vecs, int tail, const float *p, int32_t j,
                                                               const float *v0, int64_t v_step, int64_t c, int last,
                                                               f32v a[8])
{
    const float *v = v0 + j * v_step + c;
    const f32v pj = f32v_set1(p[j]);
    for (int u = 0; u < vecs; u++)
        a[u] = f32v_fmadd(pj, tail && u == vecs - 1 ? f32v_load_tail(v + u * LANES, last) : f32v_load(v + u * LANES),
                          a[u]);
}

/*
 * o[c : c + w] = sum_t p[key[t]] * v_{key[t]}[c : c + w], w = vecs vectors of columns (with tail set,
 * the last one holds `last` floats, read and written through a tail mask). With 2 streams the
 * keys alternate between two sets of accumulators, added at the end: a block of 4 vectors or fewer
 * still has 8 independent multiply-add chains (2 FMA ports x latency 4).
 */
static inline __attribute__((always_inline)) void weighted_cols(int vecs, int streams, int tail, const float *p,
                                                                const int32_t *key, int64_t n, const float *v0,
                                                                int64_t v_step, int64_t c, int last, float *o)
{
    f32v a0[8], a1[8]; /* the two streams' accumulators (a1 unused with one stream) */
    for (int u = 0; u < vecs; u++)
        a0[u] = a1[u] = f32v_zero();
    /* a[u] += p_j * v_j[c + LANES*u : c + LANES*(u+1)]: key t to a0, with 2 streams key t + 1 to a1 */
    for (int64_t t = 0; t < n; t += streams) {
        weighted_key(vecs, tail, p, key[t], v0, v_step, c, last, a0);
        if (streams == 2 && t + 1 < n)
            weighted_key(vecs, tail, p, key[t + 1], v0, v_step, c, last, a1);
    }
    for (int u = 0; u < vecs; u++) {
        const f32v sum = streams == 2 ? f32v_add(a0[u], a1[u]) : a0[u];
        if (tail && u == vecs - 1)
            f32v_store_tail(o + c + u * LANES, sum, last);
        else
            f32v_store(o + c + u * LANES, sum);
    }
}

/* o[0:dh] = sum_t p[key[t]] * v_{key[t]}[0:dh], over the n visible keys; row j of V is v + j * v_step.
 * Columns in blocks of 8 vectors, then one block of the whole vectors left (2 streams when 4 or fewer),
 * then the last dh % LANES columns through a tail mask (2 streams). */
static void weighted_sum(const float *p, const int32_t *key, int64_t n, const float *v0, int64_t v_step,
                         int64_t dh, float *o)
{
    int64_t c = 0;
    for (; c + COLS <= dh; c += COLS)
        weighted_cols(8, 1, 0, p, key, n, v0, v_step, c, LANES, o);
    switch ((dh - c) / LANES) {
    case 0: break;
    case 1: weighted_cols(1, 2, 0, p, key, n, v0, v_step, c, LANES, o); break;
    case 2: weighted_cols(2, 2, 0, p, key, n, v0, v_step, c, LANES, o); break;
    case 3: weighted_cols(3, 2, 0, p, key, n, v0, v_step, c, LANES, o); break;
    case 4: weighted_cols(4, 2, 0, p, key, n, v0, v_step, c, LANES, o); break;
    case 5: weighted_cols(5, 1, 0, p, key, n, v0, v_step, c, LANES, o); break;
    case 6: weighted_cols(6, 1, 0, p, key, n, v0, v_step, c, LANES, o); break;
    default: weighted_cols(7, 1, 0, p, key, n, v0, v_step, c, LANES, o); break;
    }
    c = dh / LANES * LANES;
    if (c < dh)
        weighted_cols(1, 2, 1, p, key, n, v0, v_step, c, (int)(dh - c), o);
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
