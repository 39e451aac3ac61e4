/*
 * simd_avx512: the naive row algorithm (impl/naive/mha_naive.c) with
 * AVX-512F intrinsics, 16 fp32 lanes, tails by mask registers. A line-by-
 * line mirror of mha_simd_avx2.c. Compiled with the avx512 flags of
 * meson.build (F, BW, DQ, VL, AVX2, FMA, which the compiler may use
 * anywhere), so it requires all of them; registered only where compiled.
 *
 * The row algorithm, the threads, the K/V packing and the matmul loop are
 * simd_driver.h; this file holds the kernels it calls. P V accumulates 128
 * columns at a time; the matmul works in 4 x 32 blocks.
 *
 * simd_avx2 and simd_neon define the same kernels, in the same order.
 */
#include "../core/internal.h"
#include "../vec/vexp_avx512.h"

#include <string.h>

enum {
    LANES = 16, /* floats per __m512 */
    COLS = 128, /* output columns accumulated in registers (8 vectors) */
};

#define SIMD_NAME simd_avx512
#define SIMD_KEYS 8 /* keys whose scores are computed together */
#define SIMD_MR 4   /* matmul block: rows */
#define SIMD_NR 32  /* matmul block: columns (2 vectors) */

/* Lanes 0 .. n-1 set (n clamped to [0, 16]): the mask of a tail of n floats. */
static __mmask16 tail_mask(int64_t n)
{
    const int c = n < 0 ? 0 : n > LANES ? LANES : (int)n;
    return (__mmask16)((1u << c) - 1u);
}

/* r[u] = sum of the 16 lanes of a[u], u = 0..7 */
static __m256 sum_lanes8(const __m512 a[SIMD_KEYS])
{
    /* h[u] = low 8 lanes + high 8 lanes of a[u] */
    __m256 h[SIMD_KEYS];
    for (int u = 0; u < SIMD_KEYS; u++)
        h[u] = _mm256_add_ps(_mm512_castps512_ps256(a[u]),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a[u]), 1)));
    /* pairwise sums of neighbours, then of pairs: u0 = [h0 h1 h2 h3 | h0 h1 h2 h3] halves */
    __m256 t0 = _mm256_hadd_ps(h[0], h[1]);
    __m256 t1 = _mm256_hadd_ps(h[2], h[3]);
    __m256 t2 = _mm256_hadd_ps(h[4], h[5]);
    __m256 t3 = _mm256_hadd_ps(h[6], h[7]);
    __m256 u0 = _mm256_hadd_ps(t0, t1);
    __m256 u1 = _mm256_hadd_ps(t2, t3);
    /* low 128-bit halves plus high halves */
    __m256 lo = _mm256_permute2f128_ps(u0, u1, 0x20);
    __m256 hi = _mm256_permute2f128_ps(u0, u1, 0x31);
    return _mm256_add_ps(lo, hi);
}

static float hmax(__m512 v)
{
    return _mm512_reduce_max_ps(v);
}

static float hsum(__m512 v)
{
    return _mm512_reduce_add_ps(v);
}

/* dot[u] = <q, k[u]> for 8 keys, over dh floats; one accumulator per key. */
static __m256 dot8(const float *q, const float *const k[SIMD_KEYS], int64_t dh)
{
    __m512 acc[SIMD_KEYS];
    for (int u = 0; u < SIMD_KEYS; u++)
        acc[u] = _mm512_setzero_ps();
    int64_t d = 0;
    /* acc[u] += q[d:d+16] * k[u][d:d+16] */
    for (; d + LANES <= dh; d += LANES) {
        const __m512 qv = _mm512_loadu_ps(q + d);
        for (int u = 0; u < SIMD_KEYS; u++)
            acc[u] = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k[u] + d), acc[u]);
    }
    /* the same on the last dh % 16 floats; masked lanes are not read */
    if (d < dh) {
        const __mmask16 m = tail_mask(dh - d);
        const __m512 qv = _mm512_maskz_loadu_ps(m, q + d);
        for (int u = 0; u < SIMD_KEYS; u++)
            acc[u] = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(m, k[u] + d), acc[u]);
    }
    return sum_lanes8(acc);
}

/* dots[u] = scale * <q, k[u]>, u = 0..7 (dot8 returns 8 scores in a __m256) */
static void simd_dot_keys(const float *q, const float *const k[SIMD_KEYS], int64_t dh, float scale,
                          float dots[SIMD_KEYS])
{
    _mm256_storeu_ps(dots, _mm256_mul_ps(_mm256_set1_ps(scale), dot8(q, k, dh)));
}

/* s[j] = -inf, j < n */
static void simd_row_clear(float *s, int64_t n)
{
    const __m512 neg_inf = _mm512_set1_ps(-INFINITY);
    for (int64_t j = 0; j < n; j += LANES)
        _mm512_storeu_ps(s + j, neg_inf);
}

/* max_j s[j], j < n; NaN if any s[j] is NaN */
static float simd_row_max(const float *s, int64_t n)
{
    __m512 mv = _mm512_set1_ps(-INFINITY);
    __mmask16 nan = 0;
    for (int64_t j = 0; j < n; j += LANES) {
        const __m512 sv = _mm512_loadu_ps(s + j);
        mv = _mm512_max_ps(mv, sv);
        nan |= _mm512_cmp_ps_mask(sv, sv, _CMP_UNORD_Q);
    }
    return nan ? NAN : hmax(mv);
}

/* s[j] = exp(s[j] - m), j < n;  returns sum_j s[j] */
static float simd_row_exp_sum(float *s, int64_t n, float m)
{
    const __m512 mb = _mm512_set1_ps(m);
    __m512 lv = _mm512_setzero_ps();
    for (int64_t j = 0; j < n; j += LANES) {
        const __m512 e = mha_vexp_avx512(_mm512_sub_ps(_mm512_loadu_ps(s + j), mb));
        _mm512_storeu_ps(s + j, e);
        lv = _mm512_add_ps(lv, e);
    }
    return hsum(lv);
}

/* s[j] = s[j] * c, j < n */
static void simd_row_scale(float *s, int64_t n, float c)
{
    const __m512 cv = _mm512_set1_ps(c);
    for (int64_t j = 0; j < n; j += LANES)
        _mm512_storeu_ps(s + j, _mm512_mul_ps(_mm512_loadu_ps(s + j), cv));
}

/* o[0:dh] = sum_t p[key[t]] * v_{key[t]}[0:dh], over the n visible keys;
 * row j of V is v + j * v_step */
static void simd_weighted_sum(const float *p, const int32_t *key, int64_t n, const float *v0,
                              int64_t v_step, int64_t dh, float *o)
{
    int64_t c = 0;
    /* 128 columns in 8 accumulators: acc[u] += p_j * v_j[c+16u : c+16u+16] */
    for (; c + COLS <= dh; c += COLS) {
        __m512 acc[COLS / LANES];
        for (int u = 0; u < COLS / LANES; u++)
            acc[u] = _mm512_setzero_ps();
        for (int64_t t = 0; t < n; t++) {
            const float *v = v0 + key[t] * v_step + c;
            const __m512 pj = _mm512_set1_ps(p[key[t]]);
            for (int u = 0; u < COLS / LANES; u++)
                acc[u] = _mm512_fmadd_ps(pj, _mm512_loadu_ps(v + u * LANES), acc[u]);
        }
        for (int u = 0; u < COLS / LANES; u++)
            _mm512_storeu_ps(o + c + u * LANES, acc[u]);
    }
    /* the last dh % 128 columns: the same with masked loads and stores */
    if (c < dh) {
        const int vecs = (int)((dh - c + LANES - 1) / LANES);
        __m512 acc[COLS / LANES];
        __mmask16 m[COLS / LANES];
        for (int u = 0; u < vecs; u++) {
            acc[u] = _mm512_setzero_ps();
            m[u] = tail_mask(dh - c - u * LANES);
        }
        for (int64_t t = 0; t < n; t++) {
            const float *v = v0 + key[t] * v_step + c;
            const __m512 pj = _mm512_set1_ps(p[key[t]]);
            for (int u = 0; u < vecs; u++)
                acc[u] = _mm512_fmadd_ps(pj, _mm512_maskz_loadu_ps(m[u], v + u * LANES), acc[u]);
        }
        for (int u = 0; u < vecs; u++)
            _mm512_mask_storeu_ps(o + c + u * LANES, m[u], acc[u]);
    }
}

/*
 * C[i0:i0+rows][j0:j0+32] = A[i0:i0+rows][:] * B[:][j0:j0+32], rows <= 4,
 * columns beyond n masked off. Each C element is one FMA chain over p in
 * ascending order, so every block shape gives the same bits.
 */
static void simd_matmul_block(int64_t rows, int64_t cols, int64_t k, const float *a, int64_t lda,
                              const float *b, int64_t ldb, float *c, int64_t ldc)
{
    __m512 acc[SIMD_MR][2];
    for (int r = 0; r < SIMD_MR; r++)
        acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    if (rows == SIMD_MR && cols == SIMD_NR) {
        /* acc[r] += A[r][p] * B[p][0:32] */
        for (int64_t p = 0; p < k; p++) {
            const __m512 b0 = _mm512_loadu_ps(b + p * ldb), b1 = _mm512_loadu_ps(b + p * ldb + LANES);
            for (int r = 0; r < SIMD_MR; r++) {
                const __m512 ar = _mm512_set1_ps(a[r * lda + p]);
                acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
            }
        }
        for (int r = 0; r < SIMD_MR; r++) {
            _mm512_storeu_ps(c + r * ldc, acc[r][0]);
            _mm512_storeu_ps(c + r * ldc + LANES, acc[r][1]);
        }
        return;
    }
    /* edge block: the same with masked loads and stores */
    const __mmask16 m0 = tail_mask(cols), m1 = tail_mask(cols - LANES);
    for (int64_t p = 0; p < k; p++) {
        const __m512 b0 = _mm512_maskz_loadu_ps(m0, b + p * ldb);
        const __m512 b1 = _mm512_maskz_loadu_ps(m1, b + p * ldb + LANES);
        for (int r = 0; r < rows; r++) {
            const __m512 ar = _mm512_set1_ps(a[r * lda + p]);
            acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < rows; r++) {
        _mm512_mask_storeu_ps(c + r * ldc, m0, acc[r][0]);
        _mm512_mask_storeu_ps(c + r * ldc + LANES, m1, acc[r][1]);
    }
}

#include "simd_driver.h"

const mha_impl mha_impl_simd_avx512 = {
    .abi_version = MHA_ABI_VERSION,
    .name = "simd_avx512",
    .algorithm = "simd",
    .isa = MHA_AVX512_ISA,
    .summary = "naive's row algorithm with AVX-512F intrinsics: 16 lanes, masked tails, vectorized exp",
    .cpu_features = MHA_CPU_AVX512_BUILD,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 45,
    .workspace = simd_avx512_workspace,
    .attention = simd_avx512_attention,
    .matmul = simd_avx512_matmul,
};
