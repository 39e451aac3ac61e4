/* mha attend's element types: see attend_dtype.h. */
#include "attend_dtype.h"

#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int attend_parse_dtype(const char *cmd, const char *opt, const char *text, void *dst)
{
    if (mha_dtype_from_name(text, dst) == 0)
        return 0;
    cli_usage_error(cmd, "%s %s: expected fp32, bf16 or fp16", opt, text);
    return 1;
}

npy_dtype attend_npy_dtype(mha_dtype dtype)
{
    return dtype == MHA_BF16 ? NPY_U16 : dtype == MHA_F16 ? NPY_F16 : NPY_F32;
}

int attend_convert_input(const char *opt, const char *path, const npy_array *arr, mha_dtype dtype, void **data)
{
    *data = NULL;
    if (arr->dtype == NPY_U16 && dtype != MHA_BF16) {
        fprintf(stderr, "mha attend: %s %s: uint16 ('<u2') is how bf16 bit patterns are stored; expected a float "
                "array for --dtype %s, or --dtype bf16\n", opt, path, mha_dtype_name(dtype));
        return -1;
    }
    const size_t n = arr->count, size = mha_dtype_size(dtype);
    *data = malloc(n ? n * size : 1);
    if (!*data) {
        fprintf(stderr, "mha attend: %s %s: out of memory\n", opt, path);
        return -1;
    }
    if (arr->dtype == attend_npy_dtype(dtype)) { /* already in dtype: taken as it is */
        memcpy(*data, arr->data, n * size);
        return 0;
    }
    float *f32 = npy_to_f32(arr); /* exact, except float64, which is rounded */
    if (!f32) {
        fprintf(stderr, "mha attend: %s %s: out of memory\n", opt, path);
        free(*data);
        *data = NULL;
        return -1;
    }
    uint16_t *narrow = *data;
    for (size_t e = 0; e < n; e++) {
        if (dtype == MHA_F32)
            ((float *)*data)[e] = f32[e];
        else
            narrow[e] = dtype == MHA_BF16 ? mha_f32_to_bf16(f32[e]) : mha_f32_to_f16(f32[e]);
    }
    free(f32);
    if (dtype != MHA_F32 || arr->dtype == NPY_F16)
        fprintf(stderr, "mha attend: %s %s: %s converted to %s (%s)\n", opt, path, npy_dtype_name(arr->dtype),
                mha_dtype_name(dtype),
                dtype == MHA_F32 ? "exact"
                : arr->dtype == NPY_F64 ? "rounded to float32, then to nearest even"
                                        : "rounded to nearest even");
    return 0;
}

const mha_impl *attend_best_impl(mha_dtype in, mha_dtype out)
{
    const uint32_t combo = mha_dtype_combo(in, out);
    const mha_impl *best = NULL;
    for (size_t i = 0; i < mha_impl_count(); i++) {
        const mha_impl *impl = mha_impl_get(i);
        if (!(impl->dtypes ? impl->dtypes & combo : combo == MHA_IO_F32) || !mha_impl_runnable(impl, NULL, 0))
            continue;
        if (!best || impl->priority > best->priority)
            best = impl;
    }
    return best;
}
