/* XXH3-128 hashing (xxHash, libxxhash-dev) and whole-file I/O. */
#include "hashing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

void hash_bytes(const void *data, size_t size, char hex[33])
{
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash(&canon, XXH3_128bits(data, size));
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", canon.digest[i]);
}

int read_file(const char *path, void **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            errno = ENOMEM;
            return -1;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger)
            free(buf);
        buf = bigger;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        errno = EIO;
        return -1;
    }
    *data = buf;
    *size = n;
    return 0;
}

int hash_file(const char *path, char hex[33])
{
    void *data;
    size_t size;
    if (read_file(path, &data, &size))
        return -1;
    hash_bytes(data, size, hex);
    free(data);
    return 0;
}

int write_file_atomic(const char *path, const void *data, size_t size)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    size_t put = fwrite(data, 1, size, f);
    if (fclose(f) != 0 || put != size || rename(tmp, path) != 0) {
        int e = errno ? errno : EIO;
        remove(tmp);
        errno = e;
        return -1;
    }
    return 0;
}
