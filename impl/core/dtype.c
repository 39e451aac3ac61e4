/* Element types: names, sizes, the input/output combinations and the public conversions. */
#include "dtype_convert.h"
#include "internal.h"

#include <string.h>

uint32_t mha_dtype_combo(mha_dtype in, mha_dtype out)
{
    switch (in) {
    case MHA_F32:  return out == MHA_F32 ? MHA_IO_F32 : 0;
    case MHA_BF16: return out == MHA_F32 ? MHA_IO_BF16_F32 : out == MHA_BF16 ? MHA_IO_BF16 : 0;
    case MHA_F16:  return out == MHA_F32 ? MHA_IO_F16_F32 : out == MHA_F16 ? MHA_IO_F16 : 0;
    case MHA_DTYPE_COUNT: break;
    }
    return 0;
}

const char *mha_dtype_name(mha_dtype dtype)
{
    switch (dtype) {
    case MHA_F32:  return "fp32";
    case MHA_BF16: return "bf16";
    case MHA_F16:  return "fp16";
    case MHA_DTYPE_COUNT: break;
    }
    return "?";
}

int mha_dtype_from_name(const char *name, mha_dtype *dtype)
{
    for (int d = 0; d < MHA_DTYPE_COUNT; d++)
        if (strcmp(name, mha_dtype_name((mha_dtype)d)) == 0) {
            *dtype = (mha_dtype)d;
            return 0;
        }
    return -1;
}

size_t mha_dtype_size(mha_dtype dtype)
{
    switch (dtype) {
    case MHA_F32:  return 4;
    case MHA_BF16: return 2;
    case MHA_F16:  return 2;
    case MHA_DTYPE_COUNT: break;
    }
    return 0;
}

float mha_bf16_to_f32(uint16_t x) { return mha_bf16_to_f32_inline(x); }
uint16_t mha_f32_to_bf16(float x) { return mha_f32_to_bf16_inline(x); }
float mha_f16_to_f32(uint16_t x) { return mha_f16_to_f32_inline(x); }
uint16_t mha_f32_to_f16(float x) { return mha_f32_to_f16_inline(x); }
