/* Results of `mha check`: per (implementation, level) runs, the summary table and the JSON file. */
#ifndef MHA_CHECK_REPORT_H
#define MHA_CHECK_REPORT_H

#include "conformance/runner.h"

#include <stdio.h>

enum { RUN_PASS, RUN_FAIL, RUN_CRASH, RUN_SKIP };

typedef struct impl_run {
    char label[96];     /* "naive@avx2" */
    char name[64], level[32];
    int status;         /* RUN_* */
    char note[512];     /* crash signal, skip reason */
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

/* Implementation x case group: "ok 1.3" (worst error in units of err_fp32), "FAIL 2", "-". */
void report_print_table(const report *r, FILE *f);
int report_failed(const report *r);

/* 0, or -1 with errno. */
int report_write_json(const report *r, const char *path, const char *vectors, int vector_problems);
void report_free(report *r);

#endif
