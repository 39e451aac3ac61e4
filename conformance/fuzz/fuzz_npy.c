/*
 * libFuzzer target: the .npy reader (npy_parse). Any input must be
 * rejected with a message or parsed; a parsed array must encode and parse
 * back to the same shape and bytes. The file reader (npy_read, header
 * first) must agree with npy_parse on every input.
 */
#define _GNU_SOURCE
#include "tools/npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* npy_read of the bytes as a file: 0 or -1, the array in *out. */
static int read_as_file(const uint8_t *data, size_t size, npy_array *out)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz_npy", 0);
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (fd < 0 || ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    char err[512];
    return npy_read(path, out, err, sizeof err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    npy_array a, b, c;
    char err[256];
    int parsed = npy_parse(data, size, &a, err, sizeof err) == 0, read = read_as_file(data, size, &c) == 0;
    if (parsed != read)
        abort(); /* the file reader and the buffer parser disagree */
    if (read) {
        if (c.ndim != a.ndim || c.count != a.count || memcmp(a.data, c.data, a.count * npy_dtype_size(a.dtype)) != 0)
            abort();
        npy_free(&c);
    }
    if (!parsed)
        return 0;
    void *bytes;
    size_t n;
    if (a.ndim > 0 && npy_encode(a.dtype, a.ndim, a.shape, a.data, &bytes, &n) == 0) {
        if (npy_parse(bytes, n, &b, err, sizeof err))
            abort();
        if (b.ndim != a.ndim || b.count != a.count || memcmp(a.data, b.data, a.count * npy_dtype_size(a.dtype)) != 0)
            abort();
        npy_free(&b);
        free(bytes);
    }
    npy_free(&a);
    return 0;
}
