/* Compiled with -mavx2 -mfma: applies mha_vexp_avx2 to an array. */
#include "vexp_blocks.h"
#include "impl/vec/vexp_avx2.h"

void mha_test_vexp_avx2(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i += 8)
        _mm256_storeu_ps(y + i, mha_vexp_avx2(_mm256_loadu_ps(x + i)));
}
