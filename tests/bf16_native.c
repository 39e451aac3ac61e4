/* The AVX512_BF16 instructions for test_bf16_model; run only where mha_cpu_detected() reports them. */
#include "bf16_native.h"

#include <immintrin.h>

void bf16_native_dot(float acc[16], const uint32_t a[16], const uint32_t b[16])
{
    const __m512bh x = (__m512bh)_mm512_loadu_si512(a), y = (__m512bh)_mm512_loadu_si512(b);
    _mm512_storeu_ps(acc, _mm512_dpbf16_ps(_mm512_loadu_ps(acc), x, y));
}

void bf16_native_round(const float x[32], uint16_t out[32])
{
    _mm512_storeu_si512(out, (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + 16), _mm512_loadu_ps(x)));
}
