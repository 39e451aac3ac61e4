/* FMA throughput loop: iters x 12 FMAs x 8 lanes x 2 flops. Returns a value to keep it alive. */
#ifndef FMA_PEAK_H
#define FMA_PEAK_H
#include <stdint.h>
#define FMA_PEAK_FLOPS_PER_ITER (12.0 * 8.0 * 2.0)
#include <stddef.h>
float fma_peak_avx2(int64_t iters);
/* Sum of n floats (4 AVX2 accumulators), for the read-bandwidth loop. */
float read_sum_avx2(const float *p, size_t n);
#endif
