/* AArch64: applies mha_vexp_neon to an array. */
#include "vexp_blocks.h"
#include "impl/vec/vexp_neon.h"

void mha_test_vexp_neon(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i += 4)
        vst1q_f32(y + i, mha_vexp_neon(vld1q_f32(x + i)));
}
