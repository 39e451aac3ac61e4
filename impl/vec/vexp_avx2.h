/*
 * mha_vexp_avx2: expf on 8 lanes, AVX2 + FMA. Header-only; include it from
 * a file compiled with -mavx2 -mfma.
 *
 * Method (the same in vexp_avx512.h and vexp_neon.h):
 *   n = round(x / ln2),  r = x - n*ln2  (Cody-Waite: ln2 = LN2_HI + LN2_LO,
 *       LN2_HI has 9 significant bits so n*LN2_HI is exact for |n| < 2^15),
 *       |r| <= ln2/2 + tiny
 *   exp(r) ~ p(r) = 1 + r + c2 r^2 + ... + c6 r^6, a degree-6 minimax fit of
 *       the relative error on [-ln2/2, ln2/2] (Remez exchange, see
 *       impl/vec/fit_exp.py; approximation error 1.9e-9 before and 1.7e-8
 *       after rounding the coefficients to fp32)
 *   exp(x) = p(r) * 2^n
 * Fast path: n is added to p's exponent bits; valid while the result is
 * normal, which holds for |x| <= 86. Lanes with |x| > 86 (results near or
 * beyond the subnormal and overflow thresholds), +-inf and NaN take a rare
 * path: x clamped to [-110, 100] (keeps n finite and small),
 * 2^n applied in two exact steps 2^(n>>1) * 2^(n - (n>>1)), so the one
 * rounding happens in the last multiply and subnormal results are
 * correctly scaled.
 *
 * Special values: exp(-inf) = 0, x < -103.97 gives 0 (never NaN),
 * x > 88.7228 and +inf give +inf, NaN gives NaN, exp(0) = 1 exactly.
 *
 * Accuracy over every float in [-104, 89]: the bounds of vexp_consts.h
 * (MHA_VEXP_MAX_ULP, MHA_VEXP_MAX_ERR), asserted by tests/checkasm (check_vec.c).
 * Requires round-to-nearest and no flush-to-zero (the C default).
 */
#ifndef MHA_VEXP_AVX2_H
#define MHA_VEXP_AVX2_H

#include <immintrin.h>

#include "vexp_consts.h"

/* p = 1 + r + c2 r^2 + ... + c6 r^6 (Horner), |r| <= ln2/2: exp(r) */
static inline __m256 mha_vexp_avx2_poly(__m256 r)
{
    __m256 p = _mm256_set1_ps(MHA_VEXP_C6);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(MHA_VEXP_C5));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(MHA_VEXP_C4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(MHA_VEXP_C3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(MHA_VEXP_C2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    return p;
}

/* Rare path: lanes with |x| > 86 (results subnormal, zero or infinite), +-inf, NaN. */
static inline __m256 mha_vexp_avx2_wide(__m256 x)
{
    /* x = clamp(x, -110, 100): n stays in [-159, 145]; max and min return
     * their second operand (x) for NaN, so NaN stays NaN */
    x = _mm256_max_ps(_mm256_set1_ps(MHA_VEXP_X_MIN), x);
    x = _mm256_min_ps(_mm256_set1_ps(MHA_VEXP_X_MAX), x);
    /* n = round(x / ln2);  r = x - n*ln2 */
    const __m256 shifter = _mm256_set1_ps(MHA_VEXP_SHIFTER);
    __m256 n = _mm256_sub_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(MHA_VEXP_LOG2E), shifter), shifter);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(MHA_VEXP_LN2_HI), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(MHA_VEXP_LN2_LO), r);
    __m256 p = mha_vexp_avx2_poly(r);
    /* p * 2^n1 * 2^n2 with n1 = n >> 1, n2 = n - n1, both in [-80, 73] */
    __m256i ni = _mm256_cvtps_epi32(n); /* exact: n is an integer */
    __m256i n1 = _mm256_srai_epi32(ni, 1);
    __m256i n2 = _mm256_sub_epi32(ni, n1);
    __m256i bias = _mm256_set1_epi32(127);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

static inline __m256 mha_vexp_avx2(__m256 x)
{
    /* t = x/ln2 + 1.5*2^23: adding the shifter rounds to an integer, and
     * t's low mantissa bits hold n = round(x / ln2) in two's complement */
    const __m256 shifter = _mm256_set1_ps(MHA_VEXP_SHIFTER);
    __m256 t = _mm256_fmadd_ps(x, _mm256_set1_ps(MHA_VEXP_LOG2E), shifter);
    __m256 n = _mm256_sub_ps(t, shifter);
    /* r = x - n*ln2 (Cody-Waite, two steps) */
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(MHA_VEXP_LN2_HI), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(MHA_VEXP_LN2_LO), r);
    __m256 p = mha_vexp_avx2_poly(r);
    /* y = p * 2^n by adding n to p's exponent field: (t << 23) is n << 23.
     * Exact and equal to the product while the result is normal, which
     * holds for |x| <= 86 (|n| <= 124, p in [0.70, 1.42]). */
    __m256i e = _mm256_slli_epi32(_mm256_castps_si256(t), 23);
    __m256 y = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p), e));
    /* |x| > 86, +-inf or NaN: redo those lanes. Tested on the bits, |x|
     * as an integer, off the floating-point pipes. */
    __m256i ax = _mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(0x7fffffff));
    __m256i wide = _mm256_cmpgt_epi32(ax, _mm256_set1_epi32(MHA_VEXP_FAST_MAX_BITS));
    if (__builtin_expect(_mm256_movemask_ps(_mm256_castsi256_ps(wide)) != 0, 0))
        y = _mm256_blendv_ps(y, mha_vexp_avx2_wide(x), _mm256_castsi256_ps(wide));
    return y;
}

#endif
