/*
 * Results of `mha check`: one impl_run per (implementation, level), the
 * summary table, the totals and the JSON and JUnit files.
 */
#ifndef MHA_CHECK_REPORT_H
#define MHA_CHECK_REPORT_H

#include "runner.h"

#include <stdio.h>

enum { RUN_PASS, RUN_FAIL, RUN_CRASH, RUN_TIMEOUT, RUN_SKIP };

typedef struct impl_run {
    char label[96];     /* "naive@avx2" */
    char name[64], level[32];
    int status;         /* RUN_* */
    char note[512];     /* how the child ended when it did not report, skip reason */
    char rerun[1024];   /* the command that reruns this implementation at this level */
    size_t stdout_bytes; /* what the implementation wrote to stdout */
    run_result *results;
    size_t count, cap, passed, failed;
} impl_run;

typedef struct report {
    impl_run *runs;
    size_t count, cap;
} report;

void report_init(report *r);
impl_run *report_add(report *r, const char *name, const char *level);
void impl_run_add(impl_run *run, const run_result *res);
const char *run_status_name(int status);

/* Implementation x case group, with a legend: "ok 1.3", "FAIL 2/9", "-". */
void report_print_table(const report *r, FILE *f);
int report_failed(const report *r);

/* Results of (case, implementation, level) over the whole report. */
void report_totals(const report *r, size_t *passed, size_t *failed);

/* Everything the JSON file says about the run besides the results. */
typedef struct report_meta {
    const char *vectors;
    const char *port;         /* the port's path, or NULL */
    const char *port_hash;    /* its XXH3-128, or NULL */
    const char *exec;         /* the --exec command, or NULL */
    const char *impl_filter, *case_filter, *level_filter;
    int no_large;
    int partial;              /* a filter narrowed the run */
    unsigned timeout_s;
    int exit_status;
} report_meta;

#define REPORT_SCHEMA_VERSION 2

/* Write to f; return 0, or -1 when a write failed. */
int report_write_json(const report *r, const report_meta *m, FILE *f);
int report_write_junit(const report *r, FILE *f);

void report_free(report *r);

#endif
