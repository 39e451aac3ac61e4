/* XXH3-128 hashing (xxHash, libxxhash-dev) and whole-file reading. */
#include "hashing.h"

#include "tools/err_text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

void hash_bytes(const void *data, size_t size, char hex[33])
{
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash(&canon, XXH3_128bits(data, size));
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", canon.digest[i]);
}

int read_file(const char *path, void **data, size_t *size, char *err, size_t err_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        err_path(err, err_size, path, "%s: %s", e == ENOENT ? "missing" : "unreadable", strerror(e));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    /* only a regular file has a size to check before reading: anything else could be endless (/dev/zero) */
    if (!S_ISREG(st.st_mode)) {
        err_path(err, err_size, path, "%s", S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file");
        close(fd);
        return -1;
    }
    size_t n = (size_t)st.st_size, got = 0;
    char *buf = malloc(n ? n : 1);
    if (!buf) {
        err_path(err, err_size, path, "out of memory for %zu bytes", n);
        close(fd);
        return -1;
    }
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            err_path(err, err_size, path, "unreadable: %s", r < 0 ? strerror(errno) : "shorter than its size");
            free(buf);
            close(fd);
            return -1;
        }
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *size = n;
    return 0;
}

int hash_file(const char *path, char hex[33], char *err, size_t err_size)
{
    void *data;
    size_t size;
    if (read_file(path, &data, &size, err, err_size))
        return -1;
    hash_bytes(data, size, hex);
    free(data);
    return 0;
}
