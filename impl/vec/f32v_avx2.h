/*
 * f32v for AVX2 + FMA: 8 fp32 lanes in a __m256. Include from a file
 * compiled with -mavx2 -mfma. f32v_avx512.h and f32v_neon.h define the same
 * names; a source includes exactly one of them.
 */
#ifndef MHA_F32V_AVX2_H
#define MHA_F32V_AVX2_H

#include <immintrin.h>

#include "sum8_m256.h"
#include "vexp_avx2.h"

typedef __m256 f32v;
#define F32V_LANES 8

/* lanes i < n set, n clamped to [0, 8] */
static inline __m256i f32v_avx2_tail_mask(int n)
{
    const int c = n < 0 ? 0 : n > F32V_LANES ? F32V_LANES : n;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* v[i] = p[i] */
static inline f32v f32v_load(const float *p)
{
    return _mm256_loadu_ps(p);
}

/* v[i] = i < n ? p[i] : 0; p[n..] is not read (n clamped to [0, 8]) */
static inline f32v f32v_load_tail(const float *p, int n)
{
    return _mm256_maskload_ps(p, f32v_avx2_tail_mask(n));
}

/* p[i] = v[i] */
static inline void f32v_store(float *p, f32v v)
{
    _mm256_storeu_ps(p, v);
}

/* p[i] = v[i] for i < n; p[n..] is not written (n clamped to [0, 8]) */
static inline void f32v_store_tail(float *p, f32v v, int n)
{
    _mm256_maskstore_ps(p, f32v_avx2_tail_mask(n), v);
}

/* v[i] = x */
static inline f32v f32v_set1(float x)
{
    return _mm256_set1_ps(x);
}

/* v[i] = 0 */
static inline f32v f32v_zero(void)
{
    return _mm256_setzero_ps();
}

/* a[i] + b[i] */
static inline f32v f32v_add(f32v a, f32v b)
{
    return _mm256_add_ps(a, b);
}

/* a[i] - b[i] */
static inline f32v f32v_sub(f32v a, f32v b)
{
    return _mm256_sub_ps(a, b);
}

/* a[i] * b[i] */
static inline f32v f32v_mul(f32v a, f32v b)
{
    return _mm256_mul_ps(a, b);
}

/* a[i] > b[i] ? a[i] : b[i]; b[i] when either is NaN */
static inline f32v f32v_max(f32v a, f32v b)
{
    return _mm256_max_ps(a, b);
}

/* a[i] * b[i] + c[i], one rounding */
static inline f32v f32v_fmadd(f32v a, f32v b, f32v c)
{
    return _mm256_fmadd_ps(a, b, c);
}

/* sum of the lanes: h = v[0:4] + v[4:8];  ((h0 + h2) + (h1 + h3)) */
static inline float f32v_hsum(f32v v)
{
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

/* max of the lanes, in the order of f32v_hsum (NaN handling: that of f32v_max) */
static inline float f32v_hmax(f32v v)
{
    __m128 x = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_max_ps(x, _mm_movehl_ps(x, x));
    x = _mm_max_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

/*
 * out[u] = scale * (sum of the lanes of a[u]), u < 8. Order per u:
 * ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) (sum8_m256.h).
 */
static inline void f32v_hsum8_scaled(const f32v a[8], float scale, float out[8])
{
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_set1_ps(scale), mha_sum8_m256(a)));
}

/* Per-lane NaN flags, accumulated: f32v_nan_none, f32v_nan_or, f32v_nan_any. */
typedef __m256 f32v_nan;

static inline f32v_nan f32v_nan_none(void)
{
    return _mm256_setzero_ps();
}

/* f[i] |= isnan(v[i]) */
static inline f32v_nan f32v_nan_or(f32v_nan f, f32v v)
{
    return _mm256_or_ps(f, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

/* any f[i] set */
static inline int f32v_nan_any(f32v_nan f)
{
    return _mm256_movemask_ps(f) != 0;
}

/* Lanes that are -inf (f32v_neg_inf_lanes), and v with those lanes set to +0 (f32v_zero_lanes). */
typedef __m256 f32v_lanes;

static inline f32v_lanes f32v_neg_inf_lanes(f32v v)
{
    return _mm256_cmp_ps(v, _mm256_set1_ps(-__builtin_inff()), _CMP_EQ_OQ);
}

static inline f32v f32v_zero_lanes(f32v v, f32v_lanes l)
{
    return _mm256_andnot_ps(l, v);
}

/* v[i] = expf(x[i]), vexp_avx2.h */
static inline f32v f32v_exp(f32v x)
{
    return mha_vexp_avx2(x);
}

#endif
