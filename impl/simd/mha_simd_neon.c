/*
 * simd_neon: the naive row algorithm (impl/naive/mha_naive.c) with AArch64
 * Advanced SIMD intrinsics, 4 fp32 lanes. A line-by-line mirror of
 * mha_simd_avx2.c; NEON has no masked loads, so tails go through a small
 * zero-padded buffer (load_tail / store_tail). Registered only in aarch64
 * builds, run only where the CPU reports asimd.
 *
 * The row algorithm, the threads, the K/V packing and the matmul loop are
 * simd_driver.h; this file holds the kernels it calls. P V accumulates 32
 * columns at a time; the matmul works in 4 x 8 blocks.
 *
 * simd_avx2 and simd_avx512 define the same kernels, in the same order.
 */
#include "../core/internal.h"
#include "../vec/vexp_neon.h"

#include <string.h>

enum {
    LANES = 4,  /* floats per float32x4_t */
    COLS = 32,  /* output columns accumulated in registers (8 vectors) */
};

#define SIMD_NAME simd_neon
#define SIMD_KEYS 8 /* keys whose scores are computed together */
#define SIMD_MR 4   /* matmul block: rows */
#define SIMD_NR 8   /* matmul block: columns (2 vectors) */

/* The first n floats of x (n clamped to [0, 4]), zeros after; x[n..3] is not read. */
static float32x4_t load_tail(const float *x, int64_t n)
{
    float buf[LANES] = {0.0f, 0.0f, 0.0f, 0.0f};
    memcpy(buf, x, (size_t)(n < 0 ? 0 : n > LANES ? LANES : n) * sizeof(float));
    return vld1q_f32(buf);
}

/* Writes the first n lanes of v (n clamped to [0, 4]) to x; x[n..3] is not touched. */
static void store_tail(float *x, int64_t n, float32x4_t v)
{
    float buf[LANES];
    vst1q_f32(buf, v);
    memcpy(x, buf, (size_t)(n < 0 ? 0 : n > LANES ? LANES : n) * sizeof(float));
}

/* r.val[0][u] = sum of the 4 lanes of a[u], u = 0..3; r.val[1]: u = 4..7 */
static float32x4x2_t sum_lanes8(const float32x4_t a[SIMD_KEYS])
{
    /* pairwise sums of neighbours, then of pairs */
    float32x4x2_t r;
    r.val[0] = vpaddq_f32(vpaddq_f32(a[0], a[1]), vpaddq_f32(a[2], a[3]));
    r.val[1] = vpaddq_f32(vpaddq_f32(a[4], a[5]), vpaddq_f32(a[6], a[7]));
    return r;
}

static float hmax(float32x4_t v)
{
    return vmaxvq_f32(v);
}

static float hsum(float32x4_t v)
{
    return vaddvq_f32(v);
}

/* dot[u] = <q, k[u]> for 8 keys, over dh floats; one accumulator per key. */
static float32x4x2_t dot8(const float *q, const float *const k[SIMD_KEYS], int64_t dh)
{
    float32x4_t acc[SIMD_KEYS];
    for (int u = 0; u < SIMD_KEYS; u++)
        acc[u] = vdupq_n_f32(0.0f);
    int64_t d = 0;
    /* acc[u] += q[d:d+4] * k[u][d:d+4] */
    for (; d + LANES <= dh; d += LANES) {
        const float32x4_t qv = vld1q_f32(q + d);
        for (int u = 0; u < SIMD_KEYS; u++)
            acc[u] = vfmaq_f32(acc[u], qv, vld1q_f32(k[u] + d));
    }
    /* the same on the last dh % 4 floats, zero-padded; floats past dh are not read */
    if (d < dh) {
        const float32x4_t qv = load_tail(q + d, dh - d);
        for (int u = 0; u < SIMD_KEYS; u++)
            acc[u] = vfmaq_f32(acc[u], qv, load_tail(k[u] + d, dh - d));
    }
    return sum_lanes8(acc);
}

/* dots[u] = scale * <q, k[u]>, u = 0..7 */
static void simd_dot_keys(const float *q, const float *const k[SIMD_KEYS], int64_t dh, float scale,
                          float dots[SIMD_KEYS])
{
    const float32x4_t sv = vdupq_n_f32(scale);
    const float32x4x2_t dv = dot8(q, k, dh);
    vst1q_f32(dots, vmulq_f32(sv, dv.val[0]));
    vst1q_f32(dots + LANES, vmulq_f32(sv, dv.val[1]));
}

/* s[j] = -inf, j < n */
static void simd_row_clear(float *s, int64_t n)
{
    const float32x4_t neg_inf = vdupq_n_f32(-INFINITY);
    for (int64_t j = 0; j < n; j += LANES)
        vst1q_f32(s + j, neg_inf);
}

/* max_j s[j], j < n; NaN if any s[j] is NaN */
static float simd_row_max(const float *s, int64_t n)
{
    float32x4_t mv = vdupq_n_f32(-INFINITY);
    uint32x4_t nan = vdupq_n_u32(0);
    for (int64_t j = 0; j < n; j += LANES) {
        const float32x4_t sv = vld1q_f32(s + j);
        mv = vmaxq_f32(mv, sv);
        nan = vorrq_u32(nan, vmvnq_u32(vceqq_f32(sv, sv)));
    }
    return vmaxvq_u32(nan) ? NAN : hmax(mv);
}

/* s[j] = exp(s[j] - m), j < n;  returns sum_j s[j] */
static float simd_row_exp_sum(float *s, int64_t n, float m)
{
    const float32x4_t mb = vdupq_n_f32(m);
    float32x4_t lv = vdupq_n_f32(0.0f);
    for (int64_t j = 0; j < n; j += LANES) {
        const float32x4_t e = mha_vexp_neon(vsubq_f32(vld1q_f32(s + j), mb));
        vst1q_f32(s + j, e);
        lv = vaddq_f32(lv, e);
    }
    return hsum(lv);
}

/* s[j] = s[j] * c, j < n */
static void simd_row_scale(float *s, int64_t n, float c)
{
    const float32x4_t cv = vdupq_n_f32(c);
    for (int64_t j = 0; j < n; j += LANES)
        vst1q_f32(s + j, vmulq_f32(vld1q_f32(s + j), cv));
}

/* o[0:dh] = sum_t p[key[t]] * v_{key[t]}[0:dh], over the n visible keys;
 * row j of V is v + j * v_step */
static void simd_weighted_sum(const float *p, const int32_t *key, int64_t n, const float *v0,
                              int64_t v_step, int64_t dh, float *o)
{
    int64_t c = 0;
    /* 32 columns in 8 accumulators: acc[u] += p_j * v_j[c+4u : c+4u+4] */
    for (; c + COLS <= dh; c += COLS) {
        float32x4_t acc[COLS / LANES];
        for (int u = 0; u < COLS / LANES; u++)
            acc[u] = vdupq_n_f32(0.0f);
        for (int64_t t = 0; t < n; t++) {
            const float *v = v0 + key[t] * v_step + c;
            const float32x4_t pj = vdupq_n_f32(p[key[t]]);
            for (int u = 0; u < COLS / LANES; u++)
                acc[u] = vfmaq_f32(acc[u], pj, vld1q_f32(v + u * LANES));
        }
        for (int u = 0; u < COLS / LANES; u++)
            vst1q_f32(o + c + u * LANES, acc[u]);
    }
    /* the last dh % 32 columns: the same with tail loads and stores */
    if (c < dh) {
        const int vecs = (int)((dh - c + LANES - 1) / LANES);
        float32x4_t acc[COLS / LANES];
        int64_t m[COLS / LANES];
        for (int u = 0; u < vecs; u++) {
            acc[u] = vdupq_n_f32(0.0f);
            m[u] = dh - c - u * LANES; /* floats left from vector u on */
        }
        for (int64_t t = 0; t < n; t++) {
            const float *v = v0 + key[t] * v_step + c;
            const float32x4_t pj = vdupq_n_f32(p[key[t]]);
            for (int u = 0; u < vecs; u++)
                acc[u] = vfmaq_f32(acc[u], pj, m[u] >= LANES ? vld1q_f32(v + u * LANES)
                                                             : load_tail(v + u * LANES, m[u]));
        }
        for (int u = 0; u < vecs; u++)
            store_tail(o + c + u * LANES, m[u], acc[u]);
    }
}

/*
 * C[i0:i0+rows][j0:j0+8] = A[i0:i0+rows][:] * B[:][j0:j0+8], rows <= 4,
 * columns beyond n masked off. Each C element is one FMA chain over p in
 * ascending order, so every block shape gives the same bits.
 */
static void simd_matmul_block(int64_t rows, int64_t cols, int64_t k, const float *a, int64_t lda,
                              const float *b, int64_t ldb, float *c, int64_t ldc)
{
    float32x4_t acc[SIMD_MR][2];
    for (int r = 0; r < SIMD_MR; r++)
        acc[r][0] = acc[r][1] = vdupq_n_f32(0.0f);
    if (rows == SIMD_MR && cols == SIMD_NR) {
        /* acc[r] += A[r][p] * B[p][0:8] */
        for (int64_t p = 0; p < k; p++) {
            const float32x4_t b0 = vld1q_f32(b + p * ldb), b1 = vld1q_f32(b + p * ldb + LANES);
            for (int r = 0; r < SIMD_MR; r++) {
                const float32x4_t ar = vdupq_n_f32(a[r * lda + p]);
                acc[r][0] = vfmaq_f32(acc[r][0], ar, b0);
                acc[r][1] = vfmaq_f32(acc[r][1], ar, b1);
            }
        }
        for (int r = 0; r < SIMD_MR; r++) {
            vst1q_f32(c + r * ldc, acc[r][0]);
            vst1q_f32(c + r * ldc + LANES, acc[r][1]);
        }
        return;
    }
    /* edge block: the same with tail loads and stores */
    for (int64_t p = 0; p < k; p++) {
        const float32x4_t b0 = load_tail(b + p * ldb, cols);
        const float32x4_t b1 = load_tail(b + p * ldb + LANES, cols - LANES);
        for (int r = 0; r < rows; r++) {
            const float32x4_t ar = vdupq_n_f32(a[r * lda + p]);
            acc[r][0] = vfmaq_f32(acc[r][0], ar, b0);
            acc[r][1] = vfmaq_f32(acc[r][1], ar, b1);
        }
    }
    for (int r = 0; r < rows; r++) {
        store_tail(c + r * ldc, cols, acc[r][0]);
        store_tail(c + r * ldc + LANES, cols - LANES, acc[r][1]);
    }
}

#include "simd_driver.h"

const mha_impl mha_impl_simd_neon = {
    .abi_version = MHA_ABI_VERSION,
    .name = "simd_neon",
    .algorithm = "simd",
    .isa = "neon",
    .summary = "naive's row algorithm with NEON intrinsics: 8 keys per dot block, vectorized exp",
    .cpu_features = MHA_CPU_NEON,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 40,
    .workspace = simd_neon_workspace,
    .attention = simd_neon_attention,
    .matmul = simd_neon_matmul,
};
