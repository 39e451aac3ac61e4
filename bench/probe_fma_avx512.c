/*
 * The AVX-512 peak loops (probe_loops.h): fp32 FMA on zmm registers and the
 * bf16 dot product vdpbf16ps. Built with -mavx512f (-mavx512bf16 for the
 * second) and run only when mha_cpu_detected() reports AVX512F (AVX512_BF16).
 * In a -Davx512_emulation=true build the intrinsics come from SIMDe
 * (impl/vec/avx512_intrinsics.h): tests/test_probe_loops checks the loops'
 * results there; their speed means nothing.
 */
#include "probe_loops.h"
#include "impl/vec/avx512_intrinsics.h"

#include <string.h>

float probe_loop_avx512(long iters)
{
    const __m512 a = _mm512_set1_ps(PROBE_A), b = _mm512_set1_ps(PROBE_B);
    __m512 acc[PROBE_CHAINS];
    for (int c = 0; c < PROBE_CHAINS; c++)
        acc[c] = _mm512_set1_ps(PROBE_START(c));
    for (long n = 0; n < iters; n++)
        for (int c = 0; c < PROBE_CHAINS; c++)
            acc[c] = _mm512_fmadd_ps(acc[c], a, b);
    float s = 0.0f;
    for (int c = 0; c < PROBE_CHAINS; c++)
        s += _mm_cvtss_f32(_mm512_castps512_ps128(acc[c]));
    return s;
}

#if defined(MHA_PROBE_HAVE_BF16)
float probe_loop_avx512_bf16(long iters)
{
    /* pairs (1, 1) x (2^-12, 2^-12): each lane adds 2 x 2^-12 per instruction.
     * bf16 bits: 1.0 = 0x3F80, 2^-12 = 0x3980; memcpy also fits SIMDe's struct type. */
    const __m512i one_bits = _mm512_set1_epi32(0x3F803F80), step_bits = _mm512_set1_epi32(0x39803980);
    __m512bh ones, step;
    memcpy(&ones, &one_bits, sizeof ones);
    memcpy(&step, &step_bits, sizeof step);
    __m512 acc[PROBE_CHAINS];
    for (int c = 0; c < PROBE_CHAINS; c++)
        acc[c] = _mm512_set1_ps(PROBE_START(c));
    for (long n = 0; n < iters; n++)
        for (int c = 0; c < PROBE_CHAINS; c++)
            acc[c] = _mm512_dpbf16_ps(acc[c], ones, step);
    float s = 0.0f;
    for (int c = 0; c < PROBE_CHAINS; c++)
        s += _mm_cvtss_f32(_mm512_castps512_ps128(acc[c]));
    return s;
}
#endif
