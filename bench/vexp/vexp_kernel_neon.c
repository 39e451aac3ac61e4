/* Compiled with the neon flags: the throughput loop of mha_vexp_neon. */
#include "vexp_kernels.h"
#include "impl/vec/vexp_neon.h"

void mha_bench_vexp_neon(const float *x, float *y, size_t n, long reps)
{
    for (long r = 0; r < reps; r++)
        for (size_t i = 0; i < n; i += 4)
            vst1q_f32(y + i, mha_vexp_neon(vld1q_f32(x + i)));
}
