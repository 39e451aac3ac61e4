/* Compiled with -mavx2 -mfma: the throughput loop of mha_vexp_avx2. */
#include "vexp_kernels.h"
#include "impl/vec/vexp_avx2.h"

void mha_bench_vexp_avx2(const float *x, float *y, size_t n, long reps)
{
    for (long r = 0; r < reps; r++)
        for (size_t i = 0; i < n; i += 8)
            _mm256_storeu_ps(y + i, mha_vexp_avx2(_mm256_loadu_ps(x + i)));
}
