/* The AVX2+FMA peak loop (probe_loops.h); built with -mavx2 -mfma, run only when the CPU has both. */
#include "probe_loops.h"

#include <immintrin.h>

float probe_loop_avx2(long iters)
{
    const __m256 a = _mm256_set1_ps(PROBE_A), b = _mm256_set1_ps(PROBE_B);
    __m256 acc[PROBE_CHAINS];
    for (int c = 0; c < PROBE_CHAINS; c++)
        acc[c] = _mm256_set1_ps(PROBE_START(c));
    for (long n = 0; n < iters; n++)
        for (int c = 0; c < PROBE_CHAINS; c++)
            acc[c] = _mm256_fmadd_ps(acc[c], a, b);
    float s = 0.0f;
    for (int c = 0; c < PROBE_CHAINS; c++)
        s += _mm256_cvtss_f32(acc[c]);
    return s;
}
