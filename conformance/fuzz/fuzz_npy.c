/*
 * libFuzzer target: the .npy reader (npy_parse). Any input must be
 * rejected with a message or parsed; a parsed array must encode and parse
 * back to the same shape and bytes.
 */
#include "tools/npy.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    npy_array a, b;
    char err[256];
    if (npy_parse(data, size, &a, err, sizeof err))
        return 0;
    void *bytes;
    size_t n;
    if (a.ndim > 0 && npy_encode(a.dtype, a.ndim, a.shape, a.data, &bytes, &n) == 0) {
        if (npy_parse(bytes, n, &b, err, sizeof err))
            abort();
        if (b.ndim != a.ndim || b.count != a.count || memcmp(a.data, b.data, a.count * (size_t)a.dtype) != 0)
            abort();
        npy_free(&b);
        free(bytes);
    }
    npy_free(&a);
    return 0;
}
