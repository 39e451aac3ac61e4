/*
 * mha_vexp_avx512: expf on 16 lanes, AVX-512F. Header-only; include it from
 * a file compiled with -mavx512f.
 *
 * Same method and constants as vexp_avx2.h (see there and vexp_consts.h):
 *   n = round(x / ln2) (1.5*2^23 shifter), r = x - n*LN2_HI - n*LN2_LO, p = p(r) (degree 6),
 *   exp(x) = p * 2^n
 * but 2^n is applied by vscalefps, which computes p * 2^floor(n) with one
 * rounding, including subnormal results and overflow to +inf, so there is
 * no separate rare path: x is clamped to [-110, 100] first to keep r finite
 * for +-inf. Every operation matches the AVX2 fast path, so both give the
 * same bits for every input.
 *
 * Special values: exp(-inf) = 0, x < -103.97 gives 0 (never NaN),
 * x > 88.7228 and +inf give +inf, NaN gives NaN, exp(0) = 1 exactly.
 * Accuracy: the bound of vexp_consts.h (MHA_VEXP_MAX_ULP, MHA_VEXP_MAX_ERR),
 * asserted by tests/checkasm on a CPU with AVX-512F (and through SIMDe by
 * tools/test-avx512-simde.sh).
 * Requires round-to-nearest and no flush-to-zero (the C default).
 */
#ifndef MHA_VEXP_AVX512_H
#define MHA_VEXP_AVX512_H

#include "avx512_intrinsics.h"

#include "vexp_consts.h"

static inline __m512 mha_vexp_avx512(__m512 x)
{
    /* x = clamp(x, -110, 100); max/min return their second operand (x) for NaN */
    x = _mm512_min_ps(_mm512_set1_ps(MHA_VEXP_X_MAX), x);
    x = _mm512_max_ps(_mm512_set1_ps(MHA_VEXP_X_MIN), x);
    /* n = round(x / ln2): adding 1.5*2^23 rounds to an integer (as in AVX2) */
    const __m512 shifter = _mm512_set1_ps(MHA_VEXP_SHIFTER);
    __m512 n = _mm512_sub_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(MHA_VEXP_LOG2E), shifter), shifter);
    /* r = x - n*ln2 (Cody-Waite, two steps) */
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(MHA_VEXP_LN2_HI), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(MHA_VEXP_LN2_LO), r);
    /* p = 1 + r + c2 r^2 + ... + c6 r^6 (Horner) */
    __m512 p = _mm512_set1_ps(MHA_VEXP_C6);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(MHA_VEXP_C5));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(MHA_VEXP_C4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(MHA_VEXP_C3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(MHA_VEXP_C2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    /* y = p * 2^n */
    return _mm512_scalef_ps(p, n);
}

#endif
