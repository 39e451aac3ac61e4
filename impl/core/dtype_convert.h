/*
 * Conversions between fp32 and the 16-bit dtypes, as inline integer code
 * so the library's loops (reference, naive) convert without a call. The
 * public mha_*_to_* functions (dtype.c) are these.
 *
 * To the narrow type: round to nearest, ties to even; NaN stays NaN with
 * its sign and the top bits of its payload, quiet bit set; an fp16
 * overflow (|x| >= 65520, halfway past the largest fp16 65504 and a tie
 * that goes to the even infinity) gives infinity; subnormals are kept.
 * To fp32: exact; bf16 is a shift, an fp16 NaN comes back quiet.
 */
#ifndef MHA_DTYPE_CONVERT_H
#define MHA_DTYPE_CONVERT_H

#include <stdint.h>
#include <string.h>

static inline uint32_t mha_f32_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline float mha_f32_from_bits(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static inline float mha_bf16_to_f32_inline(uint16_t x)
{
    return mha_f32_from_bits((uint32_t)x << 16);
}

static inline uint16_t mha_f32_to_bf16_inline(float x)
{
    uint32_t u = mha_f32_bits(x);
    if ((u & 0x7fffffffu) > 0x7f800000u)          /* NaN: keep sign and payload top, set quiet */
        return (uint16_t)((u >> 16) | 0x0040u);
    u += 0x7fffu + ((u >> 16) & 1u);              /* round to nearest even; may carry to infinity */
    return (uint16_t)(u >> 16);
}

static inline float mha_f16_to_f32_inline(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    if (exp == 0) {                               /* zero or subnormal: mant * 2^-24, exact */
        float mag = (float)mant * 0x1p-24f;
        return mha_f32_from_bits(mha_f32_bits(mag) | sign);
    }
    if (exp == 31)                                /* infinity, or NaN made quiet */
        return mha_f32_from_bits(sign | 0x7f800000u | (mant << 13) | (mant ? 0x00400000u : 0));
    return mha_f32_from_bits(sign | ((exp + 112u) << 23) | (mant << 13));
}

static inline uint16_t mha_f32_to_f16_inline(float x)
{
    const uint32_t u = mha_f32_bits(x);
    const uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    const uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u)                          /* NaN: keep sign and payload top, set quiet */
        return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
    if (a >= 0x477ff000u)                         /* >= 65520, infinity included */
        return (uint16_t)(sign | 0x7c00u);
    if (a >= 0x38800000u) {                       /* normal fp16 (>= 2^-14) */
        uint32_t h = ((a >> 13) - (112u << 10));  /* rebias 127 -> 15 */
        const uint32_t rest = a & 0x1fffu;
        if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
            h++;                                  /* a carry into the exponent is right */
        return (uint16_t)(sign | h);
    }
    if (a <= 0x33000000u)                         /* <= 2^-25, half the smallest subnormal: 0 */
        return sign;
    /* subnormal fp16: the result counts units of 2^-24 */
    const uint32_t mant = (a & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126u - (a >> 23);      /* 14 .. 24 */
    uint32_t q = mant >> shift;
    const uint32_t rest = mant & ((1u << shift) - 1u), half = 1u << (shift - 1u);
    if (rest > half || (rest == half && (q & 1u)))
        q++;                                      /* 0x400 is the smallest normal: still right */
    return (uint16_t)(sign | q);
}

#endif
