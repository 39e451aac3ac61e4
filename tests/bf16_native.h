/* VDPBF16PS and VCVTNE2PS2BF16 themselves, for test_bf16_model (bf16_native.c, built with -mavx512bf16). */
#ifndef MHA_TEST_BF16_NATIVE_H
#define MHA_TEST_BF16_NATIVE_H

#include <stdint.h>

#ifdef MHA_TEST_BF16_NATIVE
/* acc[i] = vdpbf16ps lane i of (acc, a, b), i < 16 */
void bf16_native_dot(float acc[16], const uint32_t a[16], const uint32_t b[16]);
/* out[i] = vcvtne2ps2bf16 of x[i], i < 32 */
void bf16_native_round(const float x[32], uint16_t out[32]);
#define bf16_native_built() 1
#else
#define bf16_native_built() 0
#define bf16_native_dot(acc, a, b) ((void)(acc), (void)(a), (void)(b))
#define bf16_native_round(x, out) ((void)(x), (void)(out))
#endif

#endif
