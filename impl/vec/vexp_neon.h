/*
 * mha_vexp_neon: expf on 4 lanes, AArch64 Advanced SIMD. Header-only.
 *
 * Same method, constants and operation order as vexp_avx2.h (see there and
 * vexp_consts.h): n = round(x / ln2) by the 1.5*2^23 shifter, r = x -
 * n*LN2_HI - n*LN2_LO, p = p(r) (degree 6, fused multiply-adds),
 * exp(x) = p * 2^n by adding n to p's exponent bits when |x| <= 86;
 * lanes with |x| > 86 take the rare path (x clamped to [-110, 100], 2^n applied in
 * two exact steps). Both give the same bits as the AVX2 version.
 *
 * Special values: exp(-inf) = 0, x < -103.97 gives 0 (never NaN),
 * x > 88.7228 and +inf give +inf, NaN gives NaN, exp(0) = 1 exactly.
 * Accuracy: the bound of vexp_consts.h (MHA_VEXP_MAX_ULP, MHA_VEXP_MAX_ERR),
 * asserted by tests/checkasm (under qemu-aarch64 in the cross build).
 * Requires round-to-nearest and no flush-to-zero (the Linux default).
 */
#ifndef MHA_VEXP_NEON_H
#define MHA_VEXP_NEON_H

#include <arm_neon.h>

#include "vexp_consts.h"

/* p = 1 + r + c2 r^2 + ... + c6 r^6 (Horner; vfmaq_f32(a, b, c) = a + b*c) */
static inline float32x4_t mha_vexp_neon_poly(float32x4_t r)
{
    float32x4_t p = vdupq_n_f32(MHA_VEXP_C6);
    p = vfmaq_f32(vdupq_n_f32(MHA_VEXP_C5), p, r);
    p = vfmaq_f32(vdupq_n_f32(MHA_VEXP_C4), p, r);
    p = vfmaq_f32(vdupq_n_f32(MHA_VEXP_C3), p, r);
    p = vfmaq_f32(vdupq_n_f32(MHA_VEXP_C2), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    return vfmaq_f32(vdupq_n_f32(1.0f), p, r);
}

/* Rare path: lanes with |x| > 86 (results subnormal, zero or infinite), +-inf, NaN. */
static inline float32x4_t mha_vexp_neon_wide(float32x4_t x)
{
    /* x = clamp(x, -110, 100): n stays in [-159, 145] (NaN stays NaN) */
    x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(MHA_VEXP_X_MIN)), vdupq_n_f32(MHA_VEXP_X_MAX));
    /* n = round(x / ln2);  r = x - n*ln2 */
    const float32x4_t shifter = vdupq_n_f32(MHA_VEXP_SHIFTER);
    float32x4_t n = vsubq_f32(vfmaq_f32(shifter, x, vdupq_n_f32(MHA_VEXP_LOG2E)), shifter);
    int32x4_t ni = vcvtq_s32_f32(n); /* exact: n is an integer */
    float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(MHA_VEXP_LN2_HI));
    r = vfmsq_f32(r, n, vdupq_n_f32(MHA_VEXP_LN2_LO));
    float32x4_t p = mha_vexp_neon_poly(r);
    /* p * 2^n1 * 2^n2 with n1 = n >> 1, n2 = n - n1, both in [-80, 73] */
    int32x4_t n1 = vshrq_n_s32(ni, 1);
    int32x4_t n2 = vsubq_s32(ni, n1);
    int32x4_t bias = vdupq_n_s32(127);
    float32x4_t s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n1, bias), 23));
    float32x4_t s2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n2, bias), 23));
    return vmulq_f32(vmulq_f32(p, s1), s2);
}

static inline float32x4_t mha_vexp_neon(float32x4_t x)
{
    /* t = x/ln2 + 1.5*2^23: t's low mantissa bits hold n = round(x / ln2) */
    const float32x4_t shifter = vdupq_n_f32(MHA_VEXP_SHIFTER);
    float32x4_t t = vfmaq_f32(shifter, x, vdupq_n_f32(MHA_VEXP_LOG2E));
    float32x4_t n = vsubq_f32(t, shifter);
    /* r = x - n*ln2 (Cody-Waite, two steps) */
    float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(MHA_VEXP_LN2_HI));
    r = vfmsq_f32(r, n, vdupq_n_f32(MHA_VEXP_LN2_LO));
    float32x4_t p = mha_vexp_neon_poly(r);
    /* y = p * 2^n by adding n to p's exponent field: (t << 23) is n << 23.
     * Exact and equal to the product while the result is normal, which
     * holds for |x| <= 86 (|n| <= 124, p in [0.70, 1.42]). */
    int32x4_t e = vshlq_n_s32(vreinterpretq_s32_f32(t), 23);
    float32x4_t y = vreinterpretq_f32_s32(vaddq_s32(vreinterpretq_s32_f32(p), e));
    /* |x| > 86, +-inf or NaN (whose payload could turn the exponent sum
     * into a number): redo those lanes. Tested on the bits, |x| as an integer. */
    uint32x4_t ax = vandq_u32(vreinterpretq_u32_f32(x), vdupq_n_u32(0x7fffffff));
    uint32x4_t wide = vcgtq_u32(ax, vdupq_n_u32(MHA_VEXP_FAST_MAX_BITS));
    if (__builtin_expect(vmaxvq_u32(wide) != 0, 0))
        y = vbslq_f32(wide, mha_vexp_neon_wide(x), y);
    return y;
}

#endif

