/*
 * The 8 horizontal sums of 8 __m256 vectors in one __m256, shared by
 * f32v_avx2.h and f32v_avx512.h (whose 16-lane vectors are folded to 8
 * lanes first). Needs AVX; include from a file compiled with it.
 */
#ifndef MHA_SUM8_M256_H
#define MHA_SUM8_M256_H

#include <immintrin.h>

/* r[u] = ((h0 + h1) + (h2 + h3)) + ((h4 + h5) + (h6 + h7)), h = a[u]: the
 * pairwise sums of neighbours of vhaddps, then the two 128-bit halves */
static inline __m256 mha_sum8_m256(const __m256 a[8])
{
    /* u0 = [a0 a1 a2 a3 | a0 a1 a2 a3] partial sums by 128-bit half */
    __m256 t0 = _mm256_hadd_ps(a[0], a[1]);
    __m256 t1 = _mm256_hadd_ps(a[2], a[3]);
    __m256 t2 = _mm256_hadd_ps(a[4], a[5]);
    __m256 t3 = _mm256_hadd_ps(a[6], a[7]);
    __m256 u0 = _mm256_hadd_ps(t0, t1);
    __m256 u1 = _mm256_hadd_ps(t2, t3);
    /* low 128-bit halves plus high halves */
    __m256 lo = _mm256_permute2f128_ps(u0, u1, 0x20);
    __m256 hi = _mm256_permute2f128_ps(u0, u1, 0x31);
    return _mm256_add_ps(lo, hi);
}

#endif
