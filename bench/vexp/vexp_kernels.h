/* One loop per ISA: y = vexp(x) over n floats (n a multiple of 16), reps times. */
#ifndef MHA_BENCH_VEXP_KERNELS_H
#define MHA_BENCH_VEXP_KERNELS_H

#include <stddef.h>

void mha_bench_vexp_avx2(const float *x, float *y, size_t n, long reps);
void mha_bench_vexp_avx512(const float *x, float *y, size_t n, long reps);
void mha_bench_vexp_neon(const float *x, float *y, size_t n, long reps);

#endif
