/* XXH3-128 of byte buffers and files, as canonical (big-endian) hex. */
#ifndef MHA_CONF_HASHING_H
#define MHA_CONF_HASHING_H

#include <stddef.h>

/* 32 hex digits and a NUL into hex[33]. */
void hash_bytes(const void *data, size_t size, char hex[33]);

/*
 * Reads a whole regular file into *data (malloc'd); anything else (a
 * folder, a device, a fifo) is refused. Returns 0, or -1 with
 * "PATH: missing: reason", "PATH: unreadable: reason" or "PATH: is ..." in err.
 */
int read_file(const char *path, void **data, size_t *size, char *err, size_t err_size);

/* Hash of a file; 0, or -1 with err as read_file's. */
int hash_file(const char *path, char hex[33], char *err, size_t err_size);

#endif
