/*
 * flash_avx2's kernels: AVX2 + FMA microkernels. Register tile (16 ymm
 * registers):
 *   Q K^T: 6 query rows x 16 keys = 12 accumulators; per head dim d, two
 *          loads of the packed K strip and 6 broadcasts of Q feed 12 FMAs.
 *   P V:   6 query rows x 16 head dims = 12 accumulators; per key j, two
 *          loads of the packed V strip and 6 broadcasts of P feed 12 FMAs.
 * exp is mha_vexp_avx2 (impl/vec), fused with the row sum. K strips are
 * packed with an 8x8 transpose (flash_pack_avx2.h).
 */
#ifndef MHA_FLASH_AVX2_H
#define MHA_FLASH_AVX2_H

#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#include "../vec/vexp_avx2.h"
#include "flash_pack_avx2.h"

#define FLASH_MR 6
#define FLASH_NR 16
#define FLASH_DR 16

static inline void flash_pack_strip(const float *const *rows, int nk, int64_t dh, float *k)
{
    flash_pack_strip_avx2(rows, nk, dh, k, FLASH_NR);
}

/* s[r][0..16) = scale * sum_d q[r][d] * k[d][0..16),  r < 6 */
static inline void flash_qk_tile(const float *q, int64_t dh, const float *k, float scale,
                                 float *s, int64_t lds)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int64_t d = 0; d < dh; d++) {
        const __m256 k0 = _mm256_load_ps(k + d * 16), k1 = _mm256_load_ps(k + d * 16 + 8);
        __m256 b;
        /* c[r] += q[r][d] * k[d][:] */
        b = _mm256_broadcast_ss(q + 0 * dh + d);
        c00 = _mm256_fmadd_ps(b, k0, c00);
        c01 = _mm256_fmadd_ps(b, k1, c01);
        b = _mm256_broadcast_ss(q + 1 * dh + d);
        c10 = _mm256_fmadd_ps(b, k0, c10);
        c11 = _mm256_fmadd_ps(b, k1, c11);
        b = _mm256_broadcast_ss(q + 2 * dh + d);
        c20 = _mm256_fmadd_ps(b, k0, c20);
        c21 = _mm256_fmadd_ps(b, k1, c21);
        b = _mm256_broadcast_ss(q + 3 * dh + d);
        c30 = _mm256_fmadd_ps(b, k0, c30);
        c31 = _mm256_fmadd_ps(b, k1, c31);
        b = _mm256_broadcast_ss(q + 4 * dh + d);
        c40 = _mm256_fmadd_ps(b, k0, c40);
        c41 = _mm256_fmadd_ps(b, k1, c41);
        b = _mm256_broadcast_ss(q + 5 * dh + d);
        c50 = _mm256_fmadd_ps(b, k0, c50);
        c51 = _mm256_fmadd_ps(b, k1, c51);
    }
    /* s = scale * c */
    const __m256 sc = _mm256_set1_ps(scale);
    _mm256_store_ps(s + 0 * lds, _mm256_mul_ps(sc, c00));
    _mm256_store_ps(s + 0 * lds + 8, _mm256_mul_ps(sc, c01));
    _mm256_store_ps(s + 1 * lds, _mm256_mul_ps(sc, c10));
    _mm256_store_ps(s + 1 * lds + 8, _mm256_mul_ps(sc, c11));
    _mm256_store_ps(s + 2 * lds, _mm256_mul_ps(sc, c20));
    _mm256_store_ps(s + 2 * lds + 8, _mm256_mul_ps(sc, c21));
    _mm256_store_ps(s + 3 * lds, _mm256_mul_ps(sc, c30));
    _mm256_store_ps(s + 3 * lds + 8, _mm256_mul_ps(sc, c31));
    _mm256_store_ps(s + 4 * lds, _mm256_mul_ps(sc, c40));
    _mm256_store_ps(s + 4 * lds + 8, _mm256_mul_ps(sc, c41));
    _mm256_store_ps(s + 5 * lds, _mm256_mul_ps(sc, c50));
    _mm256_store_ps(s + 5 * lds + 8, _mm256_mul_ps(sc, c51));
}

/* o[r][0..16) = alpha[r] * o[r][0..16) + sum_{j<n} p[r][j] * v[j][0..16),  r < 6 */
static inline void flash_pv_tile(const float *p, int64_t ldp, const float *v, int64_t n,
                                 const float *alpha, int rescale, float *o, int64_t ldo)
{
    __m256 c00 = _mm256_load_ps(o + 0 * ldo), c01 = _mm256_load_ps(o + 0 * ldo + 8);
    __m256 c10 = _mm256_load_ps(o + 1 * ldo), c11 = _mm256_load_ps(o + 1 * ldo + 8);
    __m256 c20 = _mm256_load_ps(o + 2 * ldo), c21 = _mm256_load_ps(o + 2 * ldo + 8);
    __m256 c30 = _mm256_load_ps(o + 3 * ldo), c31 = _mm256_load_ps(o + 3 * ldo + 8);
    __m256 c40 = _mm256_load_ps(o + 4 * ldo), c41 = _mm256_load_ps(o + 4 * ldo + 8);
    __m256 c50 = _mm256_load_ps(o + 5 * ldo), c51 = _mm256_load_ps(o + 5 * ldo + 8);
    if (rescale) {
        /* c[r] = alpha[r] * o[r] */
        __m256 a;
        a = _mm256_broadcast_ss(alpha + 0);
        c00 = _mm256_mul_ps(a, c00);
        c01 = _mm256_mul_ps(a, c01);
        a = _mm256_broadcast_ss(alpha + 1);
        c10 = _mm256_mul_ps(a, c10);
        c11 = _mm256_mul_ps(a, c11);
        a = _mm256_broadcast_ss(alpha + 2);
        c20 = _mm256_mul_ps(a, c20);
        c21 = _mm256_mul_ps(a, c21);
        a = _mm256_broadcast_ss(alpha + 3);
        c30 = _mm256_mul_ps(a, c30);
        c31 = _mm256_mul_ps(a, c31);
        a = _mm256_broadcast_ss(alpha + 4);
        c40 = _mm256_mul_ps(a, c40);
        c41 = _mm256_mul_ps(a, c41);
        a = _mm256_broadcast_ss(alpha + 5);
        c50 = _mm256_mul_ps(a, c50);
        c51 = _mm256_mul_ps(a, c51);
    }
    for (int64_t j = 0; j < n; j++) {
        const __m256 v0 = _mm256_load_ps(v + j * 16), v1 = _mm256_load_ps(v + j * 16 + 8);
        __m256 b;
        /* c[r] += p[r][j] * v[j][:] */
        b = _mm256_broadcast_ss(p + 0 * ldp + j);
        c00 = _mm256_fmadd_ps(b, v0, c00);
        c01 = _mm256_fmadd_ps(b, v1, c01);
        b = _mm256_broadcast_ss(p + 1 * ldp + j);
        c10 = _mm256_fmadd_ps(b, v0, c10);
        c11 = _mm256_fmadd_ps(b, v1, c11);
        b = _mm256_broadcast_ss(p + 2 * ldp + j);
        c20 = _mm256_fmadd_ps(b, v0, c20);
        c21 = _mm256_fmadd_ps(b, v1, c21);
        b = _mm256_broadcast_ss(p + 3 * ldp + j);
        c30 = _mm256_fmadd_ps(b, v0, c30);
        c31 = _mm256_fmadd_ps(b, v1, c31);
        b = _mm256_broadcast_ss(p + 4 * ldp + j);
        c40 = _mm256_fmadd_ps(b, v0, c40);
        c41 = _mm256_fmadd_ps(b, v1, c41);
        b = _mm256_broadcast_ss(p + 5 * ldp + j);
        c50 = _mm256_fmadd_ps(b, v0, c50);
        c51 = _mm256_fmadd_ps(b, v1, c51);
    }
    _mm256_store_ps(o + 0 * ldo, c00);
    _mm256_store_ps(o + 0 * ldo + 8, c01);
    _mm256_store_ps(o + 1 * ldo, c10);
    _mm256_store_ps(o + 1 * ldo + 8, c11);
    _mm256_store_ps(o + 2 * ldo, c20);
    _mm256_store_ps(o + 2 * ldo + 8, c21);
    _mm256_store_ps(o + 3 * ldo, c30);
    _mm256_store_ps(o + 3 * ldo + 8, c31);
    _mm256_store_ps(o + 4 * ldo, c40);
    _mm256_store_ps(o + 4 * ldo + 8, c41);
    _mm256_store_ps(o + 5 * ldo, c50);
    _mm256_store_ps(o + 5 * ldo + 8, c51);
}

/* max_j s[j], n a multiple of 16 (a NaN score is caught by the exp pass) */
static inline float flash_row_max(const float *s, int64_t n)
{
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0;
    for (int64_t j = 0; j < n; j += 16) {
        m0 = _mm256_max_ps(m0, _mm256_load_ps(s + j));
        m1 = _mm256_max_ps(m1, _mm256_load_ps(s + j + 8));
    }
    /* horizontal max of 8 lanes */
    m0 = _mm256_max_ps(m0, m1);
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m0), _mm256_extractf128_ps(m0, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
}

/* s[j] = exp(s[j] - m);  returns sum_j s[j];  n a multiple of 16 */
static inline float flash_row_exp_sum(float *s, int64_t n, float m)
{
    const __m256 mv = _mm256_set1_ps(m);
    __m256 l0 = _mm256_setzero_ps(), l1 = l0;
    for (int64_t j = 0; j < n; j += 16) {
        const __m256 e0 = mha_vexp_avx2(_mm256_sub_ps(_mm256_load_ps(s + j), mv));
        const __m256 e1 = mha_vexp_avx2(_mm256_sub_ps(_mm256_load_ps(s + j + 8), mv));
        _mm256_store_ps(s + j, e0);
        _mm256_store_ps(s + j + 8, e1);
        l0 = _mm256_add_ps(l0, e0);
        l1 = _mm256_add_ps(l1, e1);
    }
    /* horizontal sum of 8 lanes */
    l0 = _mm256_add_ps(l0, l1);
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(l0), _mm256_extractf128_ps(l0, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
}

#endif
