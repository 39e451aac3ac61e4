/*
 * Results of `mha check`: one check_run per (implementation, level), the
 * summary table, the totals and the JSON and JUnit files.
 */
#ifndef MHA_CHECK_SUMMARY_H
#define MHA_CHECK_SUMMARY_H

#include "records.h"

#include <stdio.h>

enum { RUN_PASS, RUN_FAIL, RUN_CRASH, RUN_TIMEOUT, RUN_SKIP };

typedef struct check_run {
    char label[96];     /* "naive@avx2" */
    char name[64], level[32];
    int status;         /* RUN_* */
    char note[512];     /* how the child ended when it did not report, skip reason */
    char rerun[1024];   /* the command that reruns this implementation at this level */
    size_t stdout_bytes; /* what the implementation wrote to stdout */
    run_result *results;
    size_t count, cap, passed, failed, skipped; /* skipped: cases not run (dtypes not declared) */
} check_run;

typedef struct check_summary {
    check_run *runs;
    size_t count, cap;
} check_summary;

void summary_init(check_summary *r);
check_run *summary_add_run(check_summary *r, const char *name, const char *level);
void check_run_add(check_run *run, const run_result *res);
const char *run_status_name(int status);

/* Implementation x case group, with a legend: "ok 1.3", "FAIL 2/9", "-". */
void summary_print_table(const check_summary *r, FILE *f);
int summary_failed(const check_summary *r);

/* Results of (case, implementation, level) over the whole summary. */
void summary_totals(const check_summary *r, size_t *passed, size_t *failed, size_t *skipped);

/* Everything the JSON file says about the run besides the results. */
typedef struct summary_meta {
    const char *vectors;
    const char *port;         /* the port's path, or NULL */
    const char *port_hash;    /* its XXH3-128, or NULL */
    const char *exec;         /* the --exec command, or NULL */
    const char *impl_filter, *case_filter, *level_filter;
    int no_large;
    int partial;              /* a filter narrowed the run */
    unsigned timeout_s;
    int exit_status;
} summary_meta;

#define SUMMARY_SCHEMA_VERSION 3

/* Write to f; return 0, or -1 when a write failed. */
int summary_write_json(const check_summary *r, const summary_meta *m, FILE *f);
int summary_write_junit(const check_summary *r, FILE *f);

void summary_free(check_summary *r);

#endif
