/*
 * The AVX512_BF16 operations of the bf16 flash kernels, on integer
 * vectors of bf16 pairs (element 0 of a pair in the low half):
 *   mha_dpbf16(acc, a, b)   VDPBF16PS: acc[i] += a[i].1 * b[i].1, then += a[i].0 * b[i].0
 *   mha_cvt2_bf16(hi, lo)   VCVTNE2PS2BF16: 32 bf16, lo's 16 first (memory order), nearest even
 * Natively the instructions (files built with -mavx512bf16); in a SIMDe
 * build (MHA_AVX512_EMULATION) the scalar model of impl/vec/bf16_model.h,
 * lane by lane.
 */
#ifndef MHA_BF16_AVX512_H
#define MHA_BF16_AVX512_H

#include "avx512_intrinsics.h"
#include "bf16_model.h"

#ifdef MHA_AVX512_EMULATION
static inline __m512 mha_dpbf16(__m512 acc, __m512i a, __m512i b)
{
    float c[16];
    uint32_t x[16], y[16];
    _mm512_storeu_ps(c, acc);
    _mm512_storeu_si512(x, a);
    _mm512_storeu_si512(y, b);
    for (int i = 0; i < 16; i++)
        c[i] = mha_bf16m_dot_pair(c[i], x[i], y[i]);
    return _mm512_loadu_ps(c);
}

static inline __m512i mha_cvt2_bf16(__m512 hi, __m512 lo)
{
    float f[32];
    uint16_t h[32];
    _mm512_storeu_ps(f, lo);
    _mm512_storeu_ps(f + 16, hi);
    for (int i = 0; i < 32; i++)
        h[i] = mha_bf16m_round(f[i]);
    return _mm512_loadu_si512(h);
}
#else
static inline __m512 mha_dpbf16(__m512 acc, __m512i a, __m512i b)
{
    return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b);
}

static inline __m512i mha_cvt2_bf16(__m512 hi, __m512 lo)
{
    return (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
}
#endif

#endif
