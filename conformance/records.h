/*
 * The records a harness child sends its parent, and both ends of their
 * pipes: result records (one per case or property, plus a "started" marker
 * before each so that a crash names the case) on the results pipe, control
 * records (stages, the descriptor, skip, load error, done) on the control
 * pipe. Every record has a fixed size below PIPE_BUF, so one write(2) puts
 * it whole into the pipe, and the reader reassembles records from any
 * split of the bytes.
 */
#ifndef MHA_CONF_RECORDS_H
#define MHA_CONF_RECORDS_H

#include <stddef.h>
#include <stdint.h>

/* The outcome of one case or property at one CPU level. */
typedef struct run_result {
    int started;        /* 1: a "case started" marker, so a crash can name the case */
    char id[48];
    char group[16];
    int pass;
    int skipped;        /* 1: not run (reason says why, e.g. a dtype combination not declared); pass is 0 */
    char dtypes[16];    /* "bf16 -> fp32": the case's input and output dtypes; "" for properties */
    double units;       /* worst error in units of err_fp32; < 0 when not applicable (properties) */
    double max_abs, tol;
    double max_rel;     /* largest relative error seen */
    long long ulps;     /* fp32 ulps at the worst element */
    char worst[96];     /* "out[b=0,i=3,h=1,d=7]" */
    char reason[256];   /* empty on pass */
    char variant[96];   /* the call that failed (or the last run): layout, strides, threads */
} run_result;

/* What the child found in the implementation's descriptor; the parent never loads a port itself. */
typedef struct child_descriptor {
    char name[64];
    char summary[160];
    uint32_t cpu_features, caps;
} child_descriptor;

/* Kinds of control records. */
enum {
    MSG_STAGE,      /* text: the stage id now running (load stages, see STAGE_*) */
    MSG_DESCRIPTOR, /* desc */
    MSG_LOAD_ERROR, /* text: the loader's message (no such file, no symbol, ABI) */
    MSG_SKIP,       /* text: why the implementation cannot run at this level */
    MSG_DONE,       /* failures: the final record; a child that ends without it failed */
};

/* Pseudo-case ids of the stages before the first case, as reported when a child dies in one. */
#define STAGE_LOAD "port_load"   /* dlopen: the port's constructors */
#define STAGE_ENTRY "port_entry" /* the call of mha_port_impl() */
#define STAGE_SETUP "setup"      /* anything else before the first case */

typedef struct child_msg {
    int kind;
    int failures;
    child_descriptor desc;
    char text[1024];
} child_msg;

/*
 * Writes one record of n bytes (n <= PIPE_BUF) to fd with a single
 * write(2); async-signal-safe. 0, or -1 when fd is -1 or the write failed
 * (the reader is gone: nothing is left to tell).
 */
int record_write(int fd, const void *rec, size_t n);

/* The "started" marker of the case or property id in group. */
int record_started(int fd, const char *id, const char *group);

/* A control record of kind with text, failures and desc (may be NULL). */
int record_control(int fd, int kind, const char *text, int failures, const child_descriptor *desc);

/* The reading end of one pipe of records of one size. */
typedef struct record_inbox {
    int fd;          /* non-blocking */
    size_t size;     /* sizeof(run_result) or sizeof(child_msg) */
    char buf[16384]; /* bytes of a record not yet whole */
    size_t len;
} record_inbox;

void record_inbox_init(record_inbox *in, int fd, size_t size);

/*
 * Reads what fd holds now, without blocking, and hands every whole record
 * to take(ctx, record). Returns 0 at the pipe's end or on a read error,
 * 1 while it is open.
 */
int record_inbox_read(record_inbox *in, void (*take)(void *ctx, const void *rec), void *ctx);

#endif
