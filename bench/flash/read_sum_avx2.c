/* The read loop of flash_bench and flash_ab, compiled with -mavx2 -mfma. */
#include <immintrin.h>
#include <stddef.h>

#include "read_sum.h"

/* Sum n floats with 4 vector accumulators: the read rate a streaming kernel can reach. */
float read_sum_avx2(const float *p, size_t n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_add_ps(s0, _mm256_loadu_ps(p + i));
        s1 = _mm256_add_ps(s1, _mm256_loadu_ps(p + i + 8));
        s2 = _mm256_add_ps(s2, _mm256_loadu_ps(p + i + 16));
        s3 = _mm256_add_ps(s3, _mm256_loadu_ps(p + i + 24));
    }
    float out[8], t = 0.0f;
    _mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (int k = 0; k < 8; k++)
        t += out[k];
    for (; i < n; i++)
        t += p[i];
    return t;
}
