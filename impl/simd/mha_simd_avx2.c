/*
 * simd_avx2: the naive row algorithm (impl/naive/mha_naive.c) with AVX2+FMA
 * intrinsics, 8 fp32 lanes. Compiled with -mavx2 -mfma; registered only
 * where compiled, run only on CPUs with AVX2 and FMA.
 *
 * The row algorithm, the threads, the K/V packing and the matmul loop are
 * simd_driver.h; this file holds the kernels it calls. Tails by masked
 * loads and stores (vmaskmovps). P V accumulates 64 columns at a time; the
 * matmul works in 4 x 16 blocks.
 *
 * simd_avx512 and simd_neon define the same kernels, in the same order.
 */
#include "../core/internal.h"
#include "../vec/vexp_avx2.h"

#include <string.h>

enum {
    LANES = 8,  /* floats per __m256 */
    COLS = 64,  /* output columns accumulated in registers (8 vectors) */
};

#define SIMD_NAME simd_avx2
#define SIMD_KEYS 8 /* keys whose scores are computed together */
#define SIMD_MR 4   /* matmul block: rows */
#define SIMD_NR 16  /* matmul block: columns (2 vectors) */

/* Lanes 0 .. n-1 set (n clamped to [0, 8]): the mask of a tail of n floats. */
static __m256i tail_mask(int64_t n)
{
    const int c = n < 0 ? 0 : n > LANES ? LANES : (int)n;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* r[u] = sum of the 8 lanes of a[u], u = 0..7 */
static __m256 sum_lanes8(const __m256 a[SIMD_KEYS])
{
    /* pairwise sums of neighbours, then of pairs: u0 = [a0 a1 a2 a3 | a0 a1 a2 a3] halves */
    __m256 t0 = _mm256_hadd_ps(a[0], a[1]);
    __m256 t1 = _mm256_hadd_ps(a[2], a[3]);
    __m256 t2 = _mm256_hadd_ps(a[4], a[5]);
    __m256 t3 = _mm256_hadd_ps(a[6], a[7]);
    __m256 u0 = _mm256_hadd_ps(t0, t1);
    __m256 u1 = _mm256_hadd_ps(t2, t3);
    /* low 128-bit halves plus high halves */
    __m256 lo = _mm256_permute2f128_ps(u0, u1, 0x20);
    __m256 hi = _mm256_permute2f128_ps(u0, u1, 0x31);
    return _mm256_add_ps(lo, hi);
}

static float hmax(__m256 v)
{
    __m128 x = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_max_ps(x, _mm_movehl_ps(x, x));
    x = _mm_max_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

static float hsum(__m256 v)
{
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

/* dot[u] = <q, k[u]> for 8 keys, over dh floats; one accumulator per key. */
static __m256 dot8(const float *q, const float *const k[SIMD_KEYS], int64_t dh)
{
    __m256 acc[SIMD_KEYS];
    for (int u = 0; u < SIMD_KEYS; u++)
        acc[u] = _mm256_setzero_ps();
    int64_t d = 0;
    /* acc[u] += q[d:d+8] * k[u][d:d+8] */
    for (; d + LANES <= dh; d += LANES) {
        const __m256 qv = _mm256_loadu_ps(q + d);
        for (int u = 0; u < SIMD_KEYS; u++)
            acc[u] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k[u] + d), acc[u]);
    }
    /* the same on the last dh % 8 floats; masked lanes are not read */
    if (d < dh) {
        const __m256i m = tail_mask(dh - d);
        const __m256 qv = _mm256_maskload_ps(q + d, m);
        for (int u = 0; u < SIMD_KEYS; u++)
            acc[u] = _mm256_fmadd_ps(qv, _mm256_maskload_ps(k[u] + d, m), acc[u]);
    }
    return sum_lanes8(acc);
}

/* dots[u] = scale * <q, k[u]>, u = 0..7 */
static void simd_dot_keys(const float *q, const float *const k[SIMD_KEYS], int64_t dh, float scale,
                          float dots[SIMD_KEYS])
{
    _mm256_storeu_ps(dots, _mm256_mul_ps(_mm256_set1_ps(scale), dot8(q, k, dh)));
}

/* s[j] = -inf, j < n */
static void simd_row_clear(float *s, int64_t n)
{
    const __m256 neg_inf = _mm256_set1_ps(-INFINITY);
    for (int64_t j = 0; j < n; j += LANES)
        _mm256_storeu_ps(s + j, neg_inf);
}

/* max_j s[j], j < n; NaN if any s[j] is NaN */
static float simd_row_max(const float *s, int64_t n)
{
    __m256 mv = _mm256_set1_ps(-INFINITY), nan = _mm256_setzero_ps();
    for (int64_t j = 0; j < n; j += LANES) {
        const __m256 sv = _mm256_loadu_ps(s + j);
        mv = _mm256_max_ps(mv, sv);
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(sv, sv, _CMP_UNORD_Q));
    }
    return _mm256_movemask_ps(nan) ? NAN : hmax(mv);
}

/* s[j] = exp(s[j] - m), j < n;  returns sum_j s[j] */
static float simd_row_exp_sum(float *s, int64_t n, float m)
{
    const __m256 mb = _mm256_set1_ps(m);
    __m256 lv = _mm256_setzero_ps();
    for (int64_t j = 0; j < n; j += LANES) {
        const __m256 e = mha_vexp_avx2(_mm256_sub_ps(_mm256_loadu_ps(s + j), mb));
        _mm256_storeu_ps(s + j, e);
        lv = _mm256_add_ps(lv, e);
    }
    return hsum(lv);
}

/* s[j] = s[j] * c, j < n */
static void simd_row_scale(float *s, int64_t n, float c)
{
    const __m256 cv = _mm256_set1_ps(c);
    for (int64_t j = 0; j < n; j += LANES)
        _mm256_storeu_ps(s + j, _mm256_mul_ps(_mm256_loadu_ps(s + j), cv));
}

/* o[0:dh] = sum_t p[key[t]] * v_{key[t]}[0:dh], over the n visible keys;
 * row j of V is v + j * v_step */
static void simd_weighted_sum(const float *p, const int32_t *key, int64_t n, const float *v0,
                              int64_t v_step, int64_t dh, float *o)
{
    int64_t c = 0;
    /* 64 columns in 8 accumulators: acc[u] += p_j * v_j[c+8u : c+8u+8] */
    for (; c + COLS <= dh; c += COLS) {
        __m256 acc[COLS / LANES];
        for (int u = 0; u < COLS / LANES; u++)
            acc[u] = _mm256_setzero_ps();
        for (int64_t t = 0; t < n; t++) {
            const float *v = v0 + key[t] * v_step + c;
            const __m256 pj = _mm256_set1_ps(p[key[t]]);
            for (int u = 0; u < COLS / LANES; u++)
                acc[u] = _mm256_fmadd_ps(pj, _mm256_loadu_ps(v + u * LANES), acc[u]);
        }
        for (int u = 0; u < COLS / LANES; u++)
            _mm256_storeu_ps(o + c + u * LANES, acc[u]);
    }
    /* the last dh % 64 columns: the same with masked loads and stores */
    if (c < dh) {
        const int vecs = (int)((dh - c + LANES - 1) / LANES);
        __m256 acc[COLS / LANES];
        __m256i m[COLS / LANES];
        for (int u = 0; u < vecs; u++) {
            acc[u] = _mm256_setzero_ps();
            m[u] = tail_mask(dh - c - u * LANES);
        }
        for (int64_t t = 0; t < n; t++) {
            const float *v = v0 + key[t] * v_step + c;
            const __m256 pj = _mm256_set1_ps(p[key[t]]);
            for (int u = 0; u < vecs; u++)
                acc[u] = _mm256_fmadd_ps(pj, _mm256_maskload_ps(v + u * LANES, m[u]), acc[u]);
        }
        for (int u = 0; u < vecs; u++)
            _mm256_maskstore_ps(o + c + u * LANES, m[u], acc[u]);
    }
}

/*
 * C[i0:i0+rows][j0:j0+16] = A[i0:i0+rows][:] * B[:][j0:j0+16], rows <= 4,
 * columns beyond n masked off. Each C element is one FMA chain over p in
 * ascending order, so every block shape gives the same bits.
 */
static void simd_matmul_block(int64_t rows, int64_t cols, int64_t k, const float *a, int64_t lda,
                              const float *b, int64_t ldb, float *c, int64_t ldc)
{
    __m256 acc[SIMD_MR][2];
    for (int r = 0; r < SIMD_MR; r++)
        acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    if (rows == SIMD_MR && cols == SIMD_NR) {
        /* acc[r] += A[r][p] * B[p][0:16] */
        for (int64_t p = 0; p < k; p++) {
            const __m256 b0 = _mm256_loadu_ps(b + p * ldb), b1 = _mm256_loadu_ps(b + p * ldb + LANES);
            for (int r = 0; r < SIMD_MR; r++) {
                const __m256 ar = _mm256_set1_ps(a[r * lda + p]);
                acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
            }
        }
        for (int r = 0; r < SIMD_MR; r++) {
            _mm256_storeu_ps(c + r * ldc, acc[r][0]);
            _mm256_storeu_ps(c + r * ldc + LANES, acc[r][1]);
        }
        return;
    }
    /* edge block: the same with masked loads and stores */
    const __m256i m0 = tail_mask(cols), m1 = tail_mask(cols - LANES);
    for (int64_t p = 0; p < k; p++) {
        const __m256 b0 = _mm256_maskload_ps(b + p * ldb, m0);
        const __m256 b1 = _mm256_maskload_ps(b + p * ldb + LANES, m1);
        for (int r = 0; r < rows; r++) {
            const __m256 ar = _mm256_set1_ps(a[r * lda + p]);
            acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < rows; r++) {
        _mm256_maskstore_ps(c + r * ldc, m0, acc[r][0]);
        _mm256_maskstore_ps(c + r * ldc + LANES, m1, acc[r][1]);
    }
}

#include "simd_driver.h"

const mha_impl mha_impl_simd_avx2 = {
    .abi_version = MHA_ABI_VERSION,
    .name = "simd_avx2",
    .algorithm = "simd",
    .isa = "avx2",
    .summary = "naive's row algorithm with AVX2+FMA intrinsics: 8 keys per dot block, vectorized exp",
    .cpu_features = MHA_CPU_AVX2 | MHA_CPU_FMA,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 40,
    .workspace = simd_avx2_workspace,
    .attention = simd_avx2_attention,
    .matmul = simd_avx2_matmul,
};
