/*
 * The simd kernels, written once over the f32v shims (impl/vec/f32v_*.h).
 * A variant's .c file includes its ISA's f32v header, defines SIMD_NAME,
 * SIMD_KEYS, SIMD_MR and SIMD_NR, then includes this file and simd_driver.h.
 * LANES = F32V_LANES floats per vector; P V accumulates COLS = 8 vectors of
 * columns; the matmul works in SIMD_MR x SIMD_NR blocks (2 vectors wide).
 */
#include <math.h>
#include <stdint.h>

enum {
    LANES = F32V_LANES,
    COLS = 8 * F32V_LANES, /* output columns accumulated in registers (8 vectors) */
};

/* dots[u] = scale * <q, k[u]> for 8 keys, over dh floats; one accumulator per key */
static void simd_dot_keys(const float *q, const float *const k[SIMD_KEYS], int64_t dh, float scale,
                          float dots[SIMD_KEYS])
{
    f32v acc[SIMD_KEYS];
    for (int u = 0; u < SIMD_KEYS; u++)
        acc[u] = f32v_zero();
    int64_t d = 0;
    /* acc[u] += q[d:d+LANES] * k[u][d:d+LANES] */
    for (; d + LANES <= dh; d += LANES) {
        const f32v qv = f32v_load(q + d);
        for (int u = 0; u < SIMD_KEYS; u++)
            acc[u] = f32v_fmadd(qv, f32v_load(k[u] + d), acc[u]);
    }
    /* the same on the last dh % LANES floats, zero-padded; floats past dh are not read */
    if (d < dh) {
        const int rest = (int)(dh - d);
        const f32v qv = f32v_load_tail(q + d, rest);
        for (int u = 0; u < SIMD_KEYS; u++)
            acc[u] = f32v_fmadd(qv, f32v_load_tail(k[u] + d, rest), acc[u]);
    }
    f32v_hsum8_scaled(acc, scale, dots);
}

/* s[j] = -inf, j < n */
static void simd_row_clear(float *s, int64_t n)
{
    const f32v neg_inf = f32v_set1(-INFINITY);
    for (int64_t j = 0; j < n; j += LANES)
        f32v_store(s + j, neg_inf);
}

/* max_j s[j], j < n; NaN if any s[j] is NaN */
static float simd_row_max(const float *s, int64_t n)
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
static float simd_row_exp_sum(float *s, int64_t n, float m)
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
static void simd_row_scale(float *s, int64_t n, float c)
{
    const f32v cv = f32v_set1(c);
    for (int64_t j = 0; j < n; j += LANES)
        f32v_store(s + j, f32v_mul(f32v_load(s + j), cv));
}

/* o[0:dh] = sum_t p[key[t]] * v_{key[t]}[0:dh], over the n visible keys;
 * row j of V is v + j * v_step */
static void simd_weighted_sum(const float *p, const int32_t *key, int64_t n, const float *v0,
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

/*
 * C[0:rows][0:cols] = A[0:rows][:] * B[:][0:cols], rows <= SIMD_MR,
 * cols <= SIMD_NR = 2 vectors. Each C element is one FMA chain over p in
 * ascending order, so every block shape gives the same bits.
 */
static void simd_matmul_block(int64_t rows, int64_t cols, int64_t k, const float *a, int64_t lda,
                              const float *b, int64_t ldb, float *c, int64_t ldc)
{
    f32v acc[SIMD_MR][2];
    for (int r = 0; r < SIMD_MR; r++)
        acc[r][0] = acc[r][1] = f32v_zero();
    if (rows == SIMD_MR && cols == SIMD_NR) {
        /* acc[r] += A[r][p] * B[p][0:SIMD_NR] */
        for (int64_t p = 0; p < k; p++) {
            const f32v b0 = f32v_load(b + p * ldb), b1 = f32v_load(b + p * ldb + LANES);
            for (int r = 0; r < SIMD_MR; r++) {
                const f32v ar = f32v_set1(a[r * lda + p]);
                acc[r][0] = f32v_fmadd(ar, b0, acc[r][0]);
                acc[r][1] = f32v_fmadd(ar, b1, acc[r][1]);
            }
        }
        for (int r = 0; r < SIMD_MR; r++) {
            f32v_store(c + r * ldc, acc[r][0]);
            f32v_store(c + r * ldc + LANES, acc[r][1]);
        }
        return;
    }
    /* edge block: the same with tail loads and stores */
    const int n0 = (int)cols, n1 = (int)cols - LANES;
    for (int64_t p = 0; p < k; p++) {
        const f32v b0 = f32v_load_tail(b + p * ldb, n0);
        const f32v b1 = f32v_load_tail(b + p * ldb + LANES, n1);
        for (int r = 0; r < rows; r++) {
            const f32v ar = f32v_set1(a[r * lda + p]);
            acc[r][0] = f32v_fmadd(ar, b0, acc[r][0]);
            acc[r][1] = f32v_fmadd(ar, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < rows; r++) {
        f32v_store_tail(c + r * ldc, acc[r][0], n0);
        f32v_store_tail(c + r * ldc + LANES, acc[r][1], n1);
    }
}
