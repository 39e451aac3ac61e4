/* Compiled with -mavx512f ...: applies mha_vexp_avx512 to an array. */
#include "vexp_blocks.h"
#include "impl/vec/vexp_avx512.h"

void mha_test_vexp_avx512(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i += 16)
        _mm512_storeu_ps(y + i, mha_vexp_avx512(_mm512_loadu_ps(x + i)));
}
