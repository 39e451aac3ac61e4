/*
 * The row kernels (row.h's row_kernels), written once over the f32v shims
 * (impl/vec/f32v_*.h). row_<isa>.c includes its ISA's f32v header, defines
 * ROW_ISA (a bare token: avx2, avx512, neon) and ROW_QROWS (the query rows
 * its registers serve at once, 1 to ROW_MAX_QROWS), then includes this
 * file, which defines the table row_kernels_<ROW_ISA> (declared in row.h;
 * the ISA file passes it to row_attention, tests/checkasm calls its
 * kernels). LANES = F32V_LANES floats per vector; scores are computed
 * ROW_KEYS keys at a time; P V accumulates COLS = 8 vectors of columns,
 * then the columns left in one block sized to them (weighted_cols). With
 * nq rows, each K or V vector loaded serves all nq rows: the row algorithm
 * reads all of a head's K and V for every query row, and with one vector
 * load per FMA it runs at the rate the L2 cache delivers, not at the FMA
 * units'.
 * Every row's sums are formed in the same order whatever nq is, so a row
 * gets the same bits alone or with others.
 */
#include "row.h"

#include <math.h>
#include <stdint.h>

#ifndef ROW_ISA
#error "define ROW_ISA before including row_kernels_tmpl.h"
#endif
#if !defined(ROW_QROWS) || ROW_QROWS < 1 || ROW_QROWS > ROW_MAX_QROWS
#error "define ROW_QROWS (1 to ROW_MAX_QROWS) before including row_kernels_tmpl.h"
#endif

#define ROW_CAT2(a, b) a##b
#define ROW_CAT(a, b) ROW_CAT2(a, b)
#define ROW_INLINE static inline __attribute__((always_inline))

enum {
    LANES = F32V_LANES,
    ROW_KEYS = 8,          /* keys whose scores are computed together */
    COLS = 8 * F32V_LANES, /* output columns accumulated in registers (8 vectors) */
};

/* dots[r][u] = scale * <q[r], k[u]> for nq rows and 8 keys, over dh floats; one accumulator per row and key */
ROW_INLINE void dot_keys(int nq, const float *const q[], const float *const k[ROW_KEYS], int64_t dh, float scale,
                         float dots[][ROW_KEYS])
{
    f32v acc[ROW_QROWS][ROW_KEYS];
    for (int r = 0; r < nq; r++)
        for (int u = 0; u < ROW_KEYS; u++)
            acc[r][u] = f32v_zero();
    int64_t d = 0;
    /* acc[r][u] += q[r][d:d+LANES] * k[u][d:d+LANES] */
    for (; d + LANES <= dh; d += LANES) {
        f32v qv[ROW_QROWS];
        for (int r = 0; r < nq; r++)
            qv[r] = f32v_load(q[r] + d);
        for (int u = 0; u < ROW_KEYS; u++) {
            const f32v kv = f32v_load(k[u] + d);
            for (int r = 0; r < nq; r++)
                acc[r][u] = f32v_fmadd(qv[r], kv, acc[r][u]);
        }
    }
    /* the same on the last dh % LANES floats, zero-padded; floats past dh are not read */
    if (d < dh) {
        const int rest = (int)(dh - d);
        f32v qv[ROW_QROWS];
        for (int r = 0; r < nq; r++)
            qv[r] = f32v_load_tail(q[r] + d, rest);
        for (int u = 0; u < ROW_KEYS; u++) {
            const f32v kv = f32v_load_tail(k[u] + d, rest);
            for (int r = 0; r < nq; r++)
                acc[r][u] = f32v_fmadd(qv[r], kv, acc[r][u]);
        }
    }
    for (int r = 0; r < nq; r++)
        f32v_hsum8_scaled(acc[r], scale, dots[r]);
}

/* s[r][key[t]] = scale * <q[r], k_{key[t]}> + mask[r][key[t]], r < nq, t < n[r], ROW_KEYS keys at a time
 * (mask[r] NULL: no mask; n[] does not decrease). A last group of fewer keys repeats its last key
 * (result unused); a row's scores past its n[r] are computed with the others' and not stored. */
ROW_INLINE void scores_nq(int nq, const float *const q[], const float *k0, int64_t k_step, const int32_t *key,
                          const int64_t n[], int64_t dh, float scale, const float *const mask[], float *const s[])
{
    const float *k[ROW_KEYS];
    float dots[ROW_QROWS][ROW_KEYS];
    const int64_t most = n[nq - 1];
    for (int64_t t = 0; t < most; t += ROW_KEYS) {
        const int64_t keys = most - t < ROW_KEYS ? most - t : ROW_KEYS;
        for (int u = 0; u < ROW_KEYS; u++)
            k[u] = k0 + key[t + (u < keys ? u : keys - 1)] * k_step;
        dot_keys(nq, q, k, dh, scale, dots);
        for (int r = 0; r < nq; r++)
            for (int u = 0; u < keys && t + u < n[r]; u++)
                s[r][key[t + u]] = dots[r][u] + (mask[r] ? mask[r][key[t + u]] : 0.0f);
    }
}

/* scores_nq with nq as a constant, so the accumulators stay in registers */
static void scores(int nq, const float *const q[], const float *k0, int64_t k_step, const int32_t *key,
                   const int64_t n[], int64_t dh, float scale, const float *const mask[], float *const s[])
{
    if (ROW_QROWS >= 3 && nq == 3)
        scores_nq(3, q, k0, k_step, key, n, dh, scale, mask, s);
    else if (ROW_QROWS >= 2 && nq == 2)
        scores_nq(2, q, k0, k_step, key, n, dh, scale, mask, s);
    else
        scores_nq(1, q, k0, k_step, key, n, dh, scale, mask, s);
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

/* a[r][u] += p[r][j] * v_j[c + LANES*u : c + LANES*(u+1)], r < nq with on[r] set, u < vecs (the last
 * vector: `last` floats, tail set); on NULL: every row */
ROW_INLINE void weighted_key(int vecs, int tail, int nq, const int *on, const float *const p[], int32_t j,
                             const float *v0, int64_t v_step, int64_t c, int last, f32v a[][8])
{
    const float *v = v0 + j * v_step + c;
    f32v pj[ROW_QROWS];
    for (int r = 0; r < nq; r++)
        pj[r] = f32v_set1(p[r][j]);
    for (int u = 0; u < vecs; u++) {
        const f32v vv = tail && u == vecs - 1 ? f32v_load_tail(v + u * LANES, last) : f32v_load(v + u * LANES);
        for (int r = 0; r < nq; r++)
            if (!on || on[r])
                a[r][u] = f32v_fmadd(pj[r], vv, a[r][u]);
    }
}

/*
 * o[r][c : c + w] = sum_{t < n[r]} p[r][key[t]] * v_{key[t]}[c : c + w], r < nq, w = vecs vectors of
 * columns (with tail set, the last one holds `last` floats, read and written through a tail mask).
 * With 2 streams the keys alternate between two sets of accumulators, added at the end: a block of
 * 4 vectors or fewer still has 8 independent multiply-add chains per row (2 FMA ports x latency 4).
 * Keys every row sees are one loop; the few past n[0] go to the rows that see them.
 */
ROW_INLINE void weighted_cols(int vecs, int streams, int tail, int nq, const float *const p[], const int32_t *key,
                              const int64_t n[], const float *v0, int64_t v_step, int64_t c, int last,
                              float *const o[])
{
    f32v a0[ROW_QROWS][8], a1[ROW_QROWS][8]; /* the two streams' accumulators (a1 unused with one stream) */
    for (int r = 0; r < nq; r++)
        for (int u = 0; u < vecs; u++)
            a0[r][u] = a1[r][u] = f32v_zero();
    /* a[r][u] += p_j * v_j[c + LANES*u : c + LANES*(u+1)]: key t to a0, with 2 streams key t + 1 to a1 */
    int64_t t = 0;
    for (; t + streams <= n[0]; t += streams) {
        weighted_key(vecs, tail, nq, NULL, p, key[t], v0, v_step, c, last, a0);
        if (streams == 2)
            weighted_key(vecs, tail, nq, NULL, p, key[t + 1], v0, v_step, c, last, a1);
    }
    for (; t < n[nq - 1]; t++) {
        int on[ROW_QROWS];
        for (int r = 0; r < nq; r++)
            on[r] = t < n[r];
        /* as in the loop above: with 2 streams, even keys to a0 and odd keys to a1 */
        weighted_key(vecs, tail, nq, on, p, key[t], v0, v_step, c, last, streams == 2 && t % 2 ? a1 : a0);
    }
    for (int r = 0; r < nq; r++)
        for (int u = 0; u < vecs; u++) {
            const f32v sum = streams == 2 ? f32v_add(a0[r][u], a1[r][u]) : a0[r][u];
            if (tail && u == vecs - 1)
                f32v_store_tail(o[r] + c + u * LANES, sum, last);
            else
                f32v_store(o[r] + c + u * LANES, sum);
        }
}

/* o[r][0:dh] = sum_{t < n[r]} p[r][key[t]] * v_{key[t]}[0:dh], r < nq (n[] does not decrease); row j of
 * V is v + j * v_step. Columns in blocks of 8 vectors, then one block of the whole vectors left (2
 * streams when 4 or fewer), then the last dh % LANES columns through a tail mask (2 streams). */
ROW_INLINE void weighted_sum_nq(int nq, const float *const p[], const int32_t *key, const int64_t n[],
                                const float *v0, int64_t v_step, int64_t dh, float *const o[])
{
    int64_t c = 0;
    for (; c + COLS <= dh; c += COLS)
        weighted_cols(8, 1, 0, nq, p, key, n, v0, v_step, c, LANES, o);
    switch ((dh - c) / LANES) {
    case 0: break;
    case 1: weighted_cols(1, 2, 0, nq, p, key, n, v0, v_step, c, LANES, o); break;
    case 2: weighted_cols(2, 2, 0, nq, p, key, n, v0, v_step, c, LANES, o); break;
    case 3: weighted_cols(3, 2, 0, nq, p, key, n, v0, v_step, c, LANES, o); break;
    case 4: weighted_cols(4, 2, 0, nq, p, key, n, v0, v_step, c, LANES, o); break;
    case 5: weighted_cols(5, 1, 0, nq, p, key, n, v0, v_step, c, LANES, o); break;
    case 6: weighted_cols(6, 1, 0, nq, p, key, n, v0, v_step, c, LANES, o); break;
    default: weighted_cols(7, 1, 0, nq, p, key, n, v0, v_step, c, LANES, o); break;
    }
    c = dh / LANES * LANES;
    if (c < dh)
        weighted_cols(1, 2, 1, nq, p, key, n, v0, v_step, c, (int)(dh - c), o);
}

/* weighted_sum_nq with nq as a constant, so the accumulators stay in registers */
static void weighted_sum(int nq, const float *const p[], const int32_t *key, const int64_t n[], const float *v0,
                         int64_t v_step, int64_t dh, float *const o[])
{
    if (ROW_QROWS >= 3 && nq == 3)
        weighted_sum_nq(3, p, key, n, v0, v_step, dh, o);
    else if (ROW_QROWS >= 2 && nq == 2)
        weighted_sum_nq(2, p, key, n, v0, v_step, dh, o);
    else
        weighted_sum_nq(1, p, key, n, v0, v_step, dh, o);
}

const row_kernels ROW_CAT(row_kernels_, ROW_ISA) = {
    .lanes = LANES,
    .qrows = ROW_QROWS,
    .scores = scores,
    .clear = row_clear,
    .max = row_max,
    .exp_sum = row_exp_sum,
    .scale = row_scale,
    .weighted_sum = weighted_sum,
};
