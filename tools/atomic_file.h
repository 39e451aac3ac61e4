/*
 * Output files written through a temporary file in the same directory and
 * renamed into place, so a reader never sees half a file and a failed run
 * leaves the previous file intact.
 */
#ifndef MHA_ATOMIC_FILE_H
#define MHA_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct atomic_file {
    FILE *f;
    const char *path;
    char tmp[4096];
} atomic_file;

/* Opens path.tmp.PID for writing. Returns 0, or -1 with err set. */
int atomic_open(atomic_file *a, const char *path, char *err, size_t err_size);

/* Flushes, closes and renames onto path. Returns 0, or -1 with err set (the temporary is removed). */
int atomic_commit(atomic_file *a, char *err, size_t err_size);

/* Closes and removes the temporary file. */
void atomic_abort(atomic_file *a);

#endif
