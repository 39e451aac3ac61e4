/*
 * libFuzzer target: argument validation (mha_validate) and the workspace
 * query on arbitrary shapes, strides, scales, thread counts and pointer
 * placements. Validation reads no tensor data, so the pointers may point
 * anywhere inside one small arena.
 */
#include "mha.h"

#include <stdint.h>
#include <string.h>

static float arena[4096];

/* Next value from the input: small numbers are common, extremes possible. */
static int64_t take(const uint8_t **p, const uint8_t *end)
{
    if (*p >= end)
        return 1;
    uint8_t tag = *(*p)++;
    int64_t v = 0;
    if ((tag & 3) == 3) { /* a full 64-bit value */
        for (int i = 0; i < 8 && *p < end; i++)
            v = (int64_t)((uint64_t)v << 8 | *(*p)++);
        return v;
    }
    v = (int64_t)(tag >> 2) - 8; /* -8 .. 55 */
    return (tag & 3) == 2 ? v * 1000 : v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    mha_args a;
    memset(&a, 0, sizeof a);
    a.shape = (mha_shape){take(&p, end), take(&p, end), take(&p, end), take(&p, end), take(&p, end), take(&p, end)};
    mha_strides *views[] = {&a.q_strides, &a.k_strides, &a.v_strides, &a.out_strides};
    for (int i = 0; i < 4; i++)
        *views[i] = (mha_strides){take(&p, end), take(&p, end), take(&p, end)};
    const int64_t flags = take(&p, end);
    a.q = (flags & 1) ? NULL : arena + (take(&p, end) & 1023);
    a.k = (flags & 2) ? NULL : arena + (take(&p, end) & 1023);
    a.v = arena + (take(&p, end) & 1023);
    a.out = (flags & 4) ? NULL : arena + (take(&p, end) & 2047);
    a.probs = (flags & 8) ? arena + (take(&p, end) & 2047) : NULL;
    a.mask = (flags & 16) ? arena + (take(&p, end) & 1023) : NULL;
    a.mask_strides = (mha_mask_strides){take(&p, end), take(&p, end), take(&p, end)};
    a.causal = (flags & 32) != 0;
    uint32_t bits = (uint32_t)take(&p, end);
    memcpy(&a.scale, &bits, sizeof bits);
    a.threads = (int)take(&p, end);
    a.workspace = (flags & 64) ? arena + 3072 : NULL;
    a.workspace_bytes = (size_t)take(&p, end);
    for (size_t i = 0; i < mha_impl_count(); i++) {
        const mha_impl *impl = mha_impl_get(i);
        if (mha_validate(impl, &a) == MHA_OK)
            (void)mha_workspace_size(impl, &a);
        (void)mha_last_error();
    }
    return 0;
}
