/*
 * The baseline peak loops (probe_loops.h), compiled without extra ISA flags
 * and with -ffp-contract=off, so the x86-64 loop is a multiply then an add
 * (SSE2) on every compiler and the NEON loop is an explicit vfmaq_f32.
 */
#include "probe_loops.h"

#if defined(__x86_64__) || defined(__i386__)
#include <emmintrin.h>

float probe_loop_sse2(long iters)
{
    const __m128 a = _mm_set1_ps(PROBE_A), b = _mm_set1_ps(PROBE_B);
    __m128 acc[PROBE_CHAINS];
    for (int c = 0; c < PROBE_CHAINS; c++)
        acc[c] = _mm_set1_ps(PROBE_START(c));
    for (long n = 0; n < iters; n++)
        for (int c = 0; c < PROBE_CHAINS; c++)
            acc[c] = _mm_add_ps(_mm_mul_ps(acc[c], a), b);
    float s = 0.0f;
    for (int c = 0; c < PROBE_CHAINS; c++)
        s += _mm_cvtss_f32(acc[c]);
    return s;
}
#endif

#if defined(__aarch64__)
#include <arm_neon.h>

float probe_loop_neon(long iters)
{
    const float32x4_t a = vdupq_n_f32(PROBE_A), b = vdupq_n_f32(PROBE_B);
    float32x4_t acc[PROBE_CHAINS];
    for (int c = 0; c < PROBE_CHAINS; c++)
        acc[c] = vdupq_n_f32(PROBE_START(c));
    for (long n = 0; n < iters; n++)
        for (int c = 0; c < PROBE_CHAINS; c++)
            acc[c] = vfmaq_f32(b, acc[c], a);   /* b + acc * a */
    float s = 0.0f;
    for (int c = 0; c < PROBE_CHAINS; c++)
        s += vgetq_lane_f32(acc[c], 0);
    return s;
}
#endif
