/*
 * Buffers that end right at, or start right after, a PROT_NONE guard page,
 * and a SIGSEGV/SIGBUS handler that turns a touch of a watched guard page
 * into a failing result naming the tensor and the direction ("read past
 * the end of k", "read before the start of q"). Meant for the forked child
 * that runs one implementation: the handler ends that process.
 */
#ifndef MHA_CONF_GUARD_PAGES_H
#define MHA_CONF_GUARD_PAGES_H

#include "records.h"

#include <stddef.h>
#include <stdint.h>

typedef enum guard_side {
    GUARD_AFTER_END,    /* the guard page starts right after the buffer's last byte */
    GUARD_BEFORE_START, /* the guard page ends right before the buffer's first byte */
} guard_side;

typedef struct guard_buf {
    unsigned char *map;   /* the whole mapping: readable pages and the guard page */
    size_t map_bytes;
    unsigned char *data;  /* the readable pages */
    size_t data_bytes;
    unsigned char *p;     /* the buffer's first byte */
    size_t bytes;         /* what the caller asked for */
    unsigned char *guard; /* the PROT_NONE page */
    guard_side side;
} guard_buf;

/*
 * Maps a buffer of bytes with a guard page on side and at least slack
 * readable bytes on the other side. Every readable byte holds the 32-bit
 * little-endian pattern fill, repeated from the first page. p is 4-byte
 * aligned for a multiple of 4 bytes (then it starts a whole pattern), else
 * 2-byte aligned: a buffer of 2-byte elements ends right at the page too,
 * and its fill should repeat every 2 bytes. 0, or -1 with errno set.
 */
int guard_map(guard_buf *g, size_t bytes, guard_side side, size_t slack, uint32_t fill);
void guard_unmap(guard_buf *g);

/*
 * The first readable byte outside [p + skip_from, p + skip_to) that no
 * longer holds fill: returns 1 and its offset from p (negative: before the
 * buffer), or 0 when every one is intact.
 */
int guard_find_changed(const guard_buf *g, uint32_t fill, size_t skip_from, size_t skip_to, ptrdiff_t *at);

/*
 * Installs the handler (SA_SIGINFO, on an alternate stack) once per
 * process; fault records are written to fd (-1: none).
 */
void guard_install(int fd);

/*
 * Until guard_unwatch_all(): a touch of g's guard page writes r, with
 * pass = 0 and the reason ("read past the end of NAME", ...), to the
 * record fd, and head, the reason and tail to stdout as it was at
 * guard_install() (the report, even while fd 1 is redirected), then ends the
 * process with _exit(1). Up to GUARD_MAX_WATCHED pages at once.
 */
#define GUARD_MAX_WATCHED 8

/*
 * After a fault record, also write rec (n <= 4096 bytes, copied now) to fd
 * and end the process with _exit(0) instead of _exit(1): the harness's
 * child registers its final "done" message here, so that a fault that was
 * reported is not also judged an unexplained exit.
 */
void guard_set_final(int fd, const void *rec, size_t n);
int guard_watch(const guard_buf *g, const char *name, const run_result *r, const char *head, const char *tail);
void guard_unwatch_all(void);

#endif
