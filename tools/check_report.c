/* The summary table and JSON of `mha check`. */
#include "check_report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void report_init(report *r)
{
    memset(r, 0, sizeof *r);
}

impl_run *report_add(report *r, const char *name, const char *level)
{
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        impl_run *p = realloc(r->runs, cap * sizeof *p);
        if (!p)
            return NULL;
        r->runs = p;
        r->cap = cap;
    }
    impl_run *run = &r->runs[r->count++];
    memset(run, 0, sizeof *run);
    snprintf(run->name, sizeof run->name, "%s", name);
    snprintf(run->level, sizeof run->level, "%s", level);
    snprintf(run->label, sizeof run->label, "%s@%s", name, level);
    return run;
}

void impl_run_add(impl_run *run, const run_result *res)
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
    if (res->pass)
        run->passed++;
    else
        run->failed++;
}

const char *run_status_name(int status)
{
    static const char *const names[] = {"pass", "FAIL", "CRASH", "skipped"};
    return status >= 0 && status < 4 ? names[status] : "?";
}

/* Groups in a fixed order; unknown ones are appended as met. */
static size_t collect_groups(const report *r, char groups[][16], size_t max)
{
    static const char *const order[] = {"tiny", "headdim", "seqlen", "batch", "heads", "gqa", "decode",
                                        "mask", "logits", "softmax", "special", "scale", "large", "property"};
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

void report_print_table(const report *r, FILE *f)
{
    char groups[32][16];
    const size_t ng = collect_groups(r, groups, 32);
    fprintf(f, "\nsummary: pass/fail per case group, with the worst error in units of err_fp32\n");
    fprintf(f, "(the plain fp32 algorithm's error on the same case; the limit is the tolerance factor)\n\n");
    fprintf(f, "%-32s %-8s", "implementation", "result");
    for (size_t g = 0; g < ng; g++)
        fprintf(f, " %-9.9s", groups[g]);
    fprintf(f, "\n");
    for (size_t k = 0; k < r->count; k++) {
        const impl_run *run = &r->runs[k];
        fprintf(f, "%-32s %-8s", run->label, run_status_name(run->status));
        for (size_t g = 0; g < ng; g++) {
            size_t n = 0, bad = 0;
            double worst = -1;
            for (size_t j = 0; j < run->count; j++) {
                const run_result *res = &run->results[j];
                if (strcmp(res->group, groups[g]) != 0)
                    continue;
                n++;
                bad += !res->pass;
                if (res->pass && res->units > worst && isfinite(res->units))
                    worst = res->units;
            }
            char cell[32];
            if (!n)
                snprintf(cell, sizeof cell, "-");
            else if (bad)
                snprintf(cell, sizeof cell, "FAIL %zu", bad);
            else if (worst < 0)
                snprintf(cell, sizeof cell, "ok");
            else
                snprintf(cell, sizeof cell, "ok %.2g", worst);
            fprintf(f, " %-9s", cell);
        }
        fprintf(f, "\n");
        if (run->status == RUN_CRASH || run->status == RUN_SKIP)
            fprintf(f, "%-32s   %s\n", "", run->note);
    }
    fprintf(f, "\n");
}

int report_failed(const report *r)
{
    for (size_t k = 0; k < r->count; k++)
        if (r->runs[k].status == RUN_FAIL || r->runs[k].status == RUN_CRASH)
            return 1;
    return 0;
}

/* JSON string body: ids and messages are printable ASCII, quotes and backslashes escaped. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
    }
    fputc('"', f);
}

static void json_num(FILE *f, double x)
{
    if (isfinite(x) && x >= 0)
        fprintf(f, "%.6g", x);
    else
        fprintf(f, "null");
}

int report_write_json(const report *r, const char *path, const char *vectors, int vector_problems)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "{\n  \"vectors\": ");
    json_str(f, vectors);
    fprintf(f, ",\n  \"vector_problems\": %d,\n  \"passed\": %s,\n  \"runs\": [", vector_problems,
            !vector_problems && !report_failed(r) ? "true" : "false");
    for (size_t k = 0; k < r->count; k++) {
        const impl_run *run = &r->runs[k];
        fprintf(f, "%s\n    {\"implementation\": ", k ? "," : "");
        json_str(f, run->name);
        fprintf(f, ", \"level\": ");
        json_str(f, run->level);
        fprintf(f, ", \"status\": \"%s\", \"note\": ", run->status == RUN_PASS ? "pass"
                                                        : run->status == RUN_FAIL ? "fail"
                                                        : run->status == RUN_CRASH ? "crash" : "skipped");
        json_str(f, run->note);
        fprintf(f, ",\n     \"results\": [");
        for (size_t j = 0; j < run->count; j++) {
            const run_result *res = &run->results[j];
            fprintf(f, "%s\n      {\"case\": ", j ? "," : "");
            json_str(f, res->id);
            fprintf(f, ", \"group\": ");
            json_str(f, res->group);
            fprintf(f, ", \"pass\": %s, \"units\": ", res->pass ? "true" : "false");
            json_num(f, res->units);
            fprintf(f, ", \"max_abs\": ");
            json_num(f, res->max_abs);
            fprintf(f, ", \"tolerance\": ");
            json_num(f, res->tol);
            fprintf(f, ", \"max_rel\": ");
            json_num(f, res->max_rel);
            fprintf(f, ", \"ulps\": %lld, \"worst\": ", res->ulps);
            json_str(f, res->worst);
            fprintf(f, ", \"reason\": ");
            json_str(f, res->reason);
            fprintf(f, "}");
        }
        fprintf(f, "]}");
    }
    fprintf(f, "\n  ]\n}\n");
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

void report_free(report *r)
{
    for (size_t k = 0; k < r->count; k++)
        free(r->runs[k].results);
    free(r->runs);
    memset(r, 0, sizeof *r);
}
