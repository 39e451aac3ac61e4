/*
 * y[i] = mha_vexp_<isa>(x[i]) for i < n (n a multiple of 16), one function
 * per ISA, each in its own file compiled with that ISA's flags.
 */
#ifndef MHA_TEST_VEXP_BLOCKS_H
#define MHA_TEST_VEXP_BLOCKS_H

#include <stddef.h>

void mha_test_vexp_avx2(const float *x, float *y, size_t n);
void mha_test_vexp_avx512(const float *x, float *y, size_t n);
void mha_test_vexp_neon(const float *x, float *y, size_t n);

#endif
