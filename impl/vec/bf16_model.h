/*
 * A scalar model of the two AVX512_BF16 instructions the bf16 flash
 * kernels use, written from the operation sections of the Intel SDM
 * (VDPBF16PS, VCVTNE2PS2BF16). The SIMDe build
 * (-Davx512_emulation=true) runs the kernels through it
 * (impl/vec/bf16_avx512.h); tests/test_bf16_model.c checks it against the
 * SDM's rules and, on a CPU with AVX512_BF16, against the instructions.
 *
 * VDPBF16PS, one fp32 lane: with a = (a0, a1), b = (b0, b1) bf16 pairs
 * (a0 in the low 16 bits),
 *     acc = acc + a1 * b1      (the odd pair first)
 *     acc = acc + a0 * b0
 * each step one fused multiply-add in fp32 rounded to nearest even (the
 * product of two bf16 is exact in fp32), input denormals read as zero
 * (DAZ: acc and every bf16), output denormals flushed to zero (FTZ),
 * MXCSR ignored. SIMDe 0.7.4's _mm512_dpbf16_ps instead adds a0 * b0 +
 * a1 * b1 in the opposite order and keeps denormals, which is why the
 * emulated build uses this model.
 *
 * VCVTNE2PS2BF16, one element: zero or denormal -> signed zero; infinity
 * -> its upper 16 bits; NaN -> its upper 16 bits with the quiet bit set;
 * otherwise round to nearest even on the upper 16 bits.
 *
 * Known approximation: FTZ is applied to the rounded fp32 result
 * (fmaf's), i.e. tininess after rounding.
 */
#ifndef MHA_BF16_MODEL_H
#define MHA_BF16_MODEL_H

#include "../core/dtype_convert.h"

#include <math.h>
#include <stdint.h>

/* x with a denormal replaced by a zero of its sign (DAZ on input, FTZ on output) */
static inline float mha_bf16m_flush(float x)
{
    const uint32_t u = mha_f32_bits(x);
    if ((u & 0x7f800000u) == 0)
        return mha_f32_from_bits(u & 0x80000000u);
    return x;
}

/* One lane of VDPBF16PS: acc + a1 * b1, then + a0 * b0 (a, b: bf16 pairs, element 0 in the low half). */
static inline float mha_bf16m_dot_pair(float acc, uint32_t a, uint32_t b)
{
    const float a0 = mha_bf16m_flush(mha_f32_from_bits(a << 16)), a1 = mha_bf16m_flush(mha_f32_from_bits(a & 0xffff0000u));
    const float b0 = mha_bf16m_flush(mha_f32_from_bits(b << 16)), b1 = mha_bf16m_flush(mha_f32_from_bits(b & 0xffff0000u));
    float t = mha_bf16m_flush(fmaf(a1, b1, mha_bf16m_flush(acc)));
    return mha_bf16m_flush(fmaf(a0, b0, t));
}

/* One element of VCVTNE2PS2BF16 / VCVTNEPS2BF16. */
static inline uint16_t mha_bf16m_round(float x)
{
    const uint32_t u = mha_f32_bits(x);
    if ((u & 0x7f800000u) == 0)
        return (uint16_t)((u >> 16) & 0x8000u); /* zero or denormal */
    if ((u & 0x7fffffffu) == 0x7f800000u)
        return (uint16_t)(u >> 16); /* infinity */
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x0040u); /* NaN, made quiet */
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

#endif
