/*
 * The vectors manifest (vectors/MANIFEST): a line format, one record per
 * line, fields "key=value" separated by one space. The exact grammar is in
 * vectors/README.md. manifest_format() and manifest_parse() are inverses.
 */
#ifndef MHA_CONF_MANIFEST_H
#define MHA_CONF_MANIFEST_H

#include "cases.h"
#include "tolerance.h"

#include <stddef.h>

/* Version 2 added the case fields dtype and out_dtype; version 1 files are read as fp32 cases. */
#define MANIFEST_VERSION 2
#define MANIFEST_MAX_FILES 6

typedef struct manifest_file {
    char role[8];    /* q, k, v, mask, out, probs */
    char name[80];   /* file name inside the vectors directory */
    char dtype[8];   /* f32, f64, f16 ('<f2') or bf16 (bit patterns as '<u2') */
    int ndim;
    int64_t shape[4];
    char xxh3[33];   /* XXH3-128 of the whole file, canonical (big-endian) hex */
} manifest_file;

typedef struct manifest_case {
    conf_case c;
    double max_abs_v;   /* max |V| over non-NaN entries */
    double err_out;     /* naive fp32 vs float64 reference, max abs over non-NaN outputs */
    double err_probs;   /* the same for the probabilities */
    int nfiles;
    manifest_file files[MANIFEST_MAX_FILES];
} manifest_case;

typedef struct manifest {
    int version;
    double factor, floor;
    size_t count;
    manifest_case *cases;  /* malloc'd */
} manifest;

/* Parse manifest text. Returns 0, or -1 with "line N: what" in err. */
int manifest_parse(const char *text, size_t len, manifest *m, char *err, size_t err_size);

/* Format to a malloc'd NUL-terminated string; *len excludes the NUL. NULL if out of memory. */
char *manifest_format(const manifest *m, size_t *len);

void manifest_free(manifest *m);

/* The file with that role, or NULL. */
const manifest_file *manifest_file_role(const manifest_case *mc, const char *role);

#endif
