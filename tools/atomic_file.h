/*
 * The one way the `mha` program and the conformance suite write a file.
 *
 * A regular file (or a path not yet taken) is written to a temporary with
 * a unique name (.NAME.tmp-XXXXXX) in the folder of the file and renamed
 * into place, so a reader never sees half a file and a failed or
 * interrupted run (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE; see
 * signal_cleanup.h) leaves the previous file intact and no temporary
 * behind. Write, flush, fsync and close errors (a full disk) are reported.
 *  - A symlink is followed: the file it points to is replaced, in that
 *    file's folder; the link stays.
 *  - A replaced file keeps its permission bits; a new one gets 0666 less
 *    the umask.
 *  - A file without write permission (no write bit, or access(2) says no)
 *    is refused, also for root.
 *  - A character device (/dev/null, a terminal) is written in place and
 *    never replaced; its write errors (ENOSPC from /dev/full) are reported.
 *  - A fifo is written in place when a reader has it open, and refused
 *    (instead of waiting) when none has.
 *  - A block device, a socket and a folder are refused.
 */
#ifndef MHA_ATOMIC_FILE_H
#define MHA_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

typedef struct atomic_file {
    FILE *f;            /* write the contents here */
    const char *path;   /* as given; used in messages */
    char *target;       /* the file written: path with symlinks followed */
    char *tmp;          /* the temporary; NULL when written in place */
    char *backup;       /* the previous file while several land together */
    int in_place;       /* a character device or a fifo */
    int slot;           /* signal_cleanup slot of tmp, or -1 */
    int closed;         /* f flushed, synced and closed */
    mode_t mode;        /* permission bits the file gets */
} atomic_file;

/* Opens path for writing as described above. Returns 0, or -1 with err set (nothing to abort then). */
int atomic_open(atomic_file *a, const char *path, char *err, size_t err_size);

/* Flushes, syncs, closes and renames onto the target. Returns 0, or -1 with err set (the temporary is removed). */
int atomic_commit(atomic_file *a, char *err, size_t err_size);

/*
 * Several files that land together or not at all: each is flushed and
 * closed, then each is renamed onto its target while the previous file is
 * kept as a hard link; if a rename fails, the ones already renamed are
 * put back. Files written in place cannot be taken back. Returns 0, or -1
 * with err set (every temporary removed).
 */
int atomic_commit_all(atomic_file *const *files, int n, char *err, size_t err_size);

/* Closes and removes the temporary file. */
void atomic_abort(atomic_file *a);

/* atomic_open, one fwrite of size bytes, atomic_commit. */
int atomic_write(const char *path, const void *data, size_t size, char *err, size_t err_size);

#endif
