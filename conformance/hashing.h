/* XXH3-128 of byte buffers and files, as canonical (big-endian) hex. */
#ifndef MHA_CONF_HASHING_H
#define MHA_CONF_HASHING_H

#include <stddef.h>

/* 32 hex digits and a NUL into hex[33]. */
void hash_bytes(const void *data, size_t size, char hex[33]);

/* Reads the whole file into *data (malloc'd). Returns 0 or -1 (errno set). */
int read_file(const char *path, void **data, size_t *size);

/* Hash of a file; 0, or -1 if it cannot be read. */
int hash_file(const char *path, char hex[33]);

/* Writes bytes to path through path.tmp and rename. 0 or -1 (errno set). */
int write_file_atomic(const char *path, const void *data, size_t size);

#endif
