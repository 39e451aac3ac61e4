/*
 * f32v for AVX-512F: 16 fp32 lanes in a __m512, tails by mask registers.
 * Intrinsics through avx512_intrinsics.h (the SIMDe build emulates them).
 * f32v_avx2.h and f32v_neon.h define the same names; a source includes
 * exactly one of them.
 */
#ifndef MHA_F32V_AVX512_H
#define MHA_F32V_AVX512_H

#include "avx512_intrinsics.h"
#include "sum8_m256.h"
#include "vexp_avx512.h"

typedef __m512 f32v;
#define F32V_LANES 16

/* bits i < n set, n clamped to [0, 16] */
static inline __mmask16 f32v_avx512_tail_mask(int n)
{
    const int c = n < 0 ? 0 : n > F32V_LANES ? F32V_LANES : n;
    return (__mmask16)((1u << c) - 1u);
}

/* v[i] = p[i] */
static inline f32v f32v_load(const float *p)
{
    return _mm512_loadu_ps(p);
}

/* v[i] = i < n ? p[i] : 0; p[n..] is not read (n clamped to [0, 16]) */
static inline f32v f32v_load_tail(const float *p, int n)
{
    return _mm512_maskz_loadu_ps(f32v_avx512_tail_mask(n), p);
}

/* p[i] = v[i] */
static inline void f32v_store(float *p, f32v v)
{
    _mm512_storeu_ps(p, v);
}

/* p[i] = v[i] for i < n; p[n..] is not written (n clamped to [0, 16]) */
static inline void f32v_store_tail(float *p, f32v v, int n)
{
    _mm512_mask_storeu_ps(p, f32v_avx512_tail_mask(n), v);
}

/* v[i] = x */
static inline f32v f32v_set1(float x)
{
    return _mm512_set1_ps(x);
}

/* v[i] = 0 */
static inline f32v f32v_zero(void)
{
    return _mm512_setzero_ps();
}

/* a[i] + b[i] */
static inline f32v f32v_add(f32v a, f32v b)
{
    return _mm512_add_ps(a, b);
}

/* a[i] - b[i] */
static inline f32v f32v_sub(f32v a, f32v b)
{
    return _mm512_sub_ps(a, b);
}

/* a[i] * b[i] */
static inline f32v f32v_mul(f32v a, f32v b)
{
    return _mm512_mul_ps(a, b);
}

/* a[i] > b[i] ? a[i] : b[i]; b[i] when either is NaN */
static inline f32v f32v_max(f32v a, f32v b)
{
    return _mm512_max_ps(a, b);
}

/* a[i] * b[i] + c[i], one rounding */
static inline f32v f32v_fmadd(f32v a, f32v b, f32v c)
{
    return _mm512_fmadd_ps(a, b, c);
}

/* sum of the lanes in GCC's _mm512_reduce_add_ps order: t = v[8:16] + v[0:8],
 * u = t[4:8] + t[0:4], w = u + (u2 u3 u0 u1), w0 + w1 */
static inline float f32v_hsum(f32v v)
{
    return _mm512_reduce_add_ps(v);
}

/* max of the lanes, _mm512_reduce_max_ps (the folds of f32v_hsum) */
static inline float f32v_hmax(f32v v)
{
    return _mm512_reduce_max_ps(v);
}

/*
 * out[u] = scale * (sum of the lanes of a[u]), u < 8. Order per u:
 * h = a[0:8] + a[8:16], then ((h0 + h1) + (h2 + h3)) + ((h4 + h5) + (h6 + h7))
 * (sum8_m256.h).
 */
static inline void f32v_hsum8_scaled(const f32v a[8], float scale, float out[8])
{
    /* h[u] = low 8 lanes + high 8 lanes of a[u] */
    __m256 h[8];
    for (int u = 0; u < 8; u++)
        h[u] = _mm256_add_ps(_mm512_castps512_ps256(a[u]),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a[u]), 1)));
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_set1_ps(scale), mha_sum8_m256(h)));
}

/* Per-lane NaN flags, accumulated: f32v_nan_none, f32v_nan_or, f32v_nan_any. */
typedef __mmask16 f32v_nan;

static inline f32v_nan f32v_nan_none(void)
{
    return 0;
}

/* f[i] |= isnan(v[i]) */
static inline f32v_nan f32v_nan_or(f32v_nan f, f32v v)
{
    return f | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
}

/* any f[i] set */
static inline int f32v_nan_any(f32v_nan f)
{
    return f != 0;
}

/* Lanes that are -inf (f32v_neg_inf_lanes), and v with those lanes set to +0 (f32v_zero_lanes). */
typedef __mmask16 f32v_lanes;

static inline f32v_lanes f32v_neg_inf_lanes(f32v v)
{
    return _mm512_cmp_ps_mask(v, _mm512_set1_ps(-__builtin_inff()), _CMP_EQ_OQ);
}

static inline f32v f32v_zero_lanes(f32v v, f32v_lanes l)
{
    return _mm512_maskz_mov_ps((__mmask16)~l, v);
}

/* v[i] = expf(x[i]), vexp_avx512.h */
static inline f32v f32v_exp(f32v x)
{
    return mha_vexp_avx512(x);
}

#endif
