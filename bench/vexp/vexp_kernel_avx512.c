/* Compiled with the avx512 flags: the throughput loop of mha_vexp_avx512. */
#include "vexp_kernels.h"
#include "impl/vec/vexp_avx512.h"

void mha_bench_vexp_avx512(const float *x, float *y, size_t n, long reps)
{
    for (long r = 0; r < reps; r++)
        for (size_t i = 0; i < n; i += 16)
            _mm512_storeu_ps(y + i, mha_vexp_avx512(_mm512_loadu_ps(x + i)));
}
