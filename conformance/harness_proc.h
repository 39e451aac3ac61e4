/*
 * The harness's two sides of one child process: what the parent asks the
 * child to do (a child_job) and the functions of each side (harness_proc.c
 * runs in the parent, harness_child.c in the child). The records the child
 * sends back are in records.h.
 */
#ifndef MHA_CONF_HARNESS_PROC_H
#define MHA_CONF_HARNESS_PROC_H

#include "check_summary.h"
#include "records.h"
#include "runner.h"

#include <stdint.h>

/*
 * Where the implementation under test comes from; loaded only in the child,
 * by load_implementation() in harness_child.c (one case per kind).
 */
typedef enum impl_kind {
    IMPL_BUILTIN, /* compiled into libmha; what = its name */
    IMPL_PORT,    /* a shared library exporting MHA_PORT_SYMBOL; what = its path */
    IMPL_EXEC,    /* a process speaking docs/porting-protocol.md; what = the /bin/sh command */
} impl_kind;

typedef struct impl_source {
    impl_kind kind;
    const char *what;
} impl_source;

typedef struct child_job {
    impl_source src;
    int probe;              /* 1: load, describe the implementation and stop */
    int name_from_port;     /* 1: ro.label takes the name the loaded port gives (an --exec port's handshake),
                               and the child prints the run's "== label" line */
    uint32_t mask;          /* CPU-feature mask of the level */
    const case_data *cases; /* the case suite's cases */
    size_t ncases;
    const char *props_pattern; /* the property suite runs the checks whose id matches these --case globs */
    run_opts ro;            /* ro.fd is set in the child */
} child_job;

/* Child side: loads, runs and reports; never returns. */
void harness_child_main(const child_job *job, int results_fd, int control_fd, int capture_fd)
    __attribute__((noreturn));

enum { CHILD_JUDGED, CHILD_LOAD_ERROR };

/*
 * Parent side: runs job in a child (own process group) for at most
 * timeout_s seconds; fills run (status, note, results) and *desc. Returns
 * CHILD_JUDGED, or CHILD_LOAD_ERROR with the loader's message in run->note.
 */
int harness_run_child(const child_job *job, unsigned timeout_s, check_run *run, child_descriptor *desc);

/* Installs the SIGINT/SIGTERM handler that kills the running child's group and exits 128 + signal. */
void harness_handle_signals(void);

#endif
