/*
 * The conformance harness behind `mha check`: every implementation under
 * test at every CPU-feature level, each in a child process of its own
 * (conformance/harness_proc.h). The implementation is loaded only inside
 * the child; the parent enforces the time limit and judges how each child
 * ended.
 */
#ifndef MHA_CONF_HARNESS_H
#define MHA_CONF_HARNESS_H

#include "check_summary.h"

/* Exit statuses of `mha check`. */
enum {
    CHECK_PASSED = 0,       /* every result passed */
    CHECK_FAILED = 1,       /* a conformance failure */
    CHECK_USAGE = 2,        /* bad options */
    CHECK_CANNOT_JUDGE = 3, /* vectors missing or corrupt, port failed to load, output unwritable */
};

/* Seconds one implementation may take at one level unless --timeout says otherwise. */
#define HARNESS_DEFAULT_TIMEOUT_S 600

typedef struct harness_options {
    const char *impl;      /* built-in names or globs, comma-separated; NULL or "all" for every one */
    const char *port;      /* a shared-library port (instead of built-ins), or NULL */
    const char *exec;      /* a port in any language, `/bin/sh -c exec` (instead of built-ins), or NULL */
    const char *pattern;   /* --case globs, or NULL */
    const char *level;     /* only this level, or NULL */
    const char *vectors;   /* the golden vectors' folder */
    const char *rerun;     /* how every rerun line starts: the program and the shared options, shell-quoted */
    int verbose;
    int no_large;
    unsigned timeout_s;    /* per implementation and level */
} harness_options;

/* Runs the check; fills rep (summary_init first). Returns CHECK_*; explains problems on stdout/stderr. */
int harness_check(const harness_options *o, check_summary *rep);

/* Appends " " and s to buf, in single quotes unless s is only [A-Za-z0-9_./=,:@%+-]. */
void shell_arg_append(char *buf, size_t size, const char *s);

#endif
