/* The results and summary table of `mha check`. */
#include "check_summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void summary_init(check_summary *r)
{
    memset(r, 0, sizeof *r);
}

check_run *summary_add_run(check_summary *r, const char *name, const char *level)
{
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        check_run *p = realloc(r->runs, cap * sizeof *p);
        if (!p)
            return NULL;
        r->runs = p;
        r->cap = cap;
    }
    check_run *run = &r->runs[r->count++];
    memset(run, 0, sizeof *run);
    snprintf(run->name, sizeof run->name, "%s", name);
    snprintf(run->level, sizeof run->level, "%s", level);
    snprintf(run->label, sizeof run->label, "%s@%s", name, level);
    return run;
}

void check_run_add(check_run *run, const run_result *res)
{
    if (run->count == run->cap) {
        size_t cap = run->cap ? run->cap * 2 : 128;
        run_result *p = realloc(run->results, cap * sizeof *p);
        if (!p)
            return;
        run->results = p;
        run->cap = cap;
    }
    run->results[run->count++] = *res;
    if (res->skipped)
        run->skipped++;
    else if (res->pass)
        run->passed++;
    else
        run->failed++;
}

const char *run_status_name(int status)
{
    static const char *const names[] = {"pass", "FAIL", "CRASH", "TIMEOUT", "skipped"};
    return status >= 0 && status < 5 ? names[status] : "?";
}

/* Groups in a fixed order; unknown ones are appended as met. */
static size_t collect_groups(const check_summary *r, char groups[][16], size_t max)
{
    static const char *const order[] = {"tiny", "headdim", "seqlen", "batch", "heads", "gqa", "decode",
                                        "mask", "logits", "softmax", "special", "scale", "bf16", "fp16", "large", "property",
                                        "process"};
    size_t n = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        for (size_t k = 0; k < r->count; k++) {
            int found = 0;
            for (size_t j = 0; j < r->runs[k].count && !found; j++)
                found = strcmp(r->runs[k].results[j].group, order[i]) == 0;
            if (found) {
                snprintf(groups[n++], 16, "%s", order[i]);
                break;
            }
        }
    for (size_t k = 0; k < r->count; k++)
        for (size_t j = 0; j < r->runs[k].count && n < max; j++) {
            size_t g = 0;
            while (g < n && strcmp(groups[g], r->runs[k].results[j].group) != 0)
                g++;
            if (g == n)
                snprintf(groups[n++], 16, "%s", r->runs[k].results[j].group);
        }
    return n;
}

void summary_print_table(const check_summary *r, FILE *f)
{
    char groups[32][16];
    const size_t ng = collect_groups(r, groups, 32);
    fprintf(f, "\nsummary: one row per implementation@level, one column per case group\n"
               "  result   pass: every case passed; FAIL: a case failed; CRASH: the child died or exited early;\n"
               "           TIMEOUT: no final result within --timeout; skipped: cannot run at that level\n"
               "  ok X     every case of the group passed; X = the worst error among them in units of err_fp32,\n"
               "           the plain fp32 algorithm's error on the same case (the limit is the tolerance factor)\n"
               "  ok       every check passed; the group (property checks) has no error in those units\n"
               "  FAIL n/N n of the group's N cases failed\n"
               "  skip     the group's cases need dtypes the implementation does not declare\n"
               "  -        no case of the group ran\n\n");
    fprintf(f, "%-32s %-8s", "implementation", "result");
    for (size_t g = 0; g < ng; g++)
        fprintf(f, " %-10.10s", groups[g]);
    fprintf(f, "\n");
    for (size_t k = 0; k < r->count; k++) {
        const check_run *run = &r->runs[k];
        fprintf(f, "%-32s %-8s", run->label, run_status_name(run->status));
        for (size_t g = 0; g < ng; g++) {
            size_t n = 0, bad = 0, skipped = 0;
            double worst = -1;
            for (size_t j = 0; j < run->count; j++) {
                const run_result *res = &run->results[j];
                if (strcmp(res->group, groups[g]) != 0)
                    continue;
                if (res->skipped) {
                    skipped++;
                    continue;
                }
                n++;
                bad += !res->pass;
                if (res->pass && res->units > worst && isfinite(res->units))
                    worst = res->units;
            }
            char cell[48];
            if (!n)
                snprintf(cell, sizeof cell, "%s", skipped ? "skip" : "-");
            else if (bad)
                snprintf(cell, sizeof cell, "FAIL %zu/%zu", bad, n);
            else if (worst < 0)
                snprintf(cell, sizeof cell, "ok");
            else
                snprintf(cell, sizeof cell, "ok %.2g", worst);
            fprintf(f, " %-10s", cell);
        }
        fprintf(f, "\n");
        if (run->status == RUN_CRASH || run->status == RUN_TIMEOUT || run->status == RUN_SKIP)
            fprintf(f, "%-32s   %s\n", "", run->note);
    }
    fprintf(f, "\n");
}

int summary_failed(const check_summary *r)
{
    for (size_t k = 0; k < r->count; k++)
        if (r->runs[k].status != RUN_PASS && r->runs[k].status != RUN_SKIP)
            return 1;
    return 0;
}

void summary_totals(const check_summary *r, size_t *passed, size_t *failed, size_t *skipped)
{
    *passed = *failed = *skipped = 0;
    for (size_t k = 0; k < r->count; k++) {
        *passed += r->runs[k].passed;
        *failed += r->runs[k].failed;
        *skipped += r->runs[k].skipped;
    }
}

void summary_free(check_summary *r)
{
    for (size_t k = 0; k < r->count; k++)
        free(r->runs[k].results);
    free(r->runs);
    memset(r, 0, sizeof *r);
}
