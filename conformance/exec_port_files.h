/*
 * The files of one --exec request: dense .npy copies of the strided inputs
 * in the private folder, and the outputs the port writes there, checked
 * strictly and scattered into the caller's strided views.
 */
#ifndef MHA_CONF_EXEC_PORT_FILES_H
#define MHA_CONF_EXEC_PORT_FILES_H

#include "mha.h"

#include <stddef.h>

typedef struct exec_files {
    const char *dir;
    char q[80], k[80], v[80], mask[80], out[80], probs[80]; /* names inside dir */
} exec_files;

/* Creates the private folder ($TMPDIR or /tmp, mode 0700) into dir. 0 or -1 with why. */
int exec_files_make_dir(char *dir, size_t size, char *why, size_t why_size);

/* Removes the folder and every file left in it (nothing below it is a folder). */
void exec_files_remove_dir(const char *dir);

/* Names the files of request id ("ID.q.npy", ...). */
void exec_files_name(exec_files *f, const char *dir, const char *id);

/*
 * Writes q, k, v (logical (B, Sq, H, Dh) and (B, Skv, Hkv, Dh)) and the mask
 * when there is one ((mask_b, mask_h, Sq, Skv), 1 where its stride is 0),
 * float32 little-endian C order. 0 or -1 with why.
 */
int exec_files_write_inputs(const exec_files *f, const mha_args *a, char *why, size_t why_size);

/*
 * Reads out (float32, exactly (B, Sq, H, Dh)) and, when a->probs is set,
 * probs (float32, (B, H, Sq, Skv)); writes them into a's views only when
 * both are right. 0 or -1 with why.
 */
int exec_files_read_outputs(const exec_files *f, const mha_args *a, char *why, size_t why_size);

/* Removes the request's files (those that exist). */
void exec_files_remove(const exec_files *f);

#endif
