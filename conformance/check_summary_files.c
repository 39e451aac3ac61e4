/* The JSON and JUnit XML files of `mha check`: see check_summary.h. */
#include "check_summary.h"

#include "markup_text.h"
#include "mha.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A JSON string of s (null for NULL); bytes of s that are not UTF-8 become U+FFFD. NULL: out of memory. */
static json_t *text(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    char *repaired = utf8_repaired(s);
    j = repaired ? json_string(repaired) : NULL;
    free(repaired);
    return j;
}

/* A measured error or tolerance: null when not measured (negative) or not finite. */
static json_t *measure(double x)
{
    return isfinite(x) && x >= 0 ? json_real(x) : json_null();
}

static const char *status_word(int status)
{
    static const char *const words[] = {"pass", "fail", "crash", "timeout", "skipped"};
    return status >= 0 && status < 5 ? words[status] : "unknown";
}

/* The command that reruns one result: the run's, plus --case unless the result is about the whole process. */
static void rerun_of(const check_run *run, const run_result *res, char *buf, size_t size)
{
    const int is_case = strcmp(res->group, "process") != 0;
    snprintf(buf, size, "%s%s%s", run->rerun, is_case ? " --case " : "", is_case ? res->id : "");
}

/* json_pack's "o" takes each value's reference, also when it fails (a NULL value fails it). */
static json_t *result_json(const check_run *run, const run_result *res)
{
    char rerun[1200];
    rerun_of(run, res, rerun, sizeof rerun);
    return json_pack("{s:o, s:o, s:o, s:o, s:b, s:b, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o}",
                     "case", text(res->id), "group", text(res->group), "level", text(run->level),
                     "dtypes", text(res->dtypes[0] ? res->dtypes : NULL), "pass", res->pass, "skipped", res->skipped,
                     "units", measure(res->units), "max_abs", measure(res->max_abs), "tolerance", measure(res->tol),
                     "max_rel", measure(res->max_rel), "ulps", (json_int_t)res->ulps, "worst", text(res->worst),
                     "variant", text(res->variant), "reason", text(res->reason), "rerun", text(rerun));
}

static json_t *run_json(const check_run *run)
{
    json_t *results = json_array();
    for (size_t j = 0; results && j < run->count; j++)
        if (json_array_append_new(results, result_json(run, &run->results[j])) != 0) {
            json_decref(results);
            results = NULL;
        }
    return json_pack("{s:o, s:o, s:s, s:o, s:I, s:o, s:o}", "implementation", text(run->name), "level",
                     text(run->level), "status", status_word(run->status), "note", text(run->note), "stdout_bytes",
                     (json_int_t)run->stdout_bytes, "rerun", text(run->rerun), "results", results);
}

static json_t *summary_json(const check_summary *r, const summary_meta *m)
{
    size_t passed, failed, skipped;
    summary_totals(r, &passed, &failed, &skipped);
    json_t *runs = json_array();
    for (size_t k = 0; runs && k < r->count; k++)
        if (json_array_append_new(runs, run_json(&r->runs[k])) != 0) {
            json_decref(runs);
            runs = NULL;
        }
    json_t *port = m->port ? json_pack("{s:o, s:o}", "path", text(m->port), "xxh3_128", text(m->port_hash))
                           : json_null();
    json_t *filters = json_pack("{s:o, s:o, s:o, s:b}", "impl", text(m->impl_filter), "case", text(m->case_filter),
                                "level", text(m->level_filter), "no_large", m->no_large);
    return json_pack("{s:i, s:s, s:i, s:o, s:o, s:o, s:o, s:b, s:I, s:I, s:I, s:I, s:i, s:b, s:o}",
                     "schema_version", SUMMARY_SCHEMA_VERSION, "mhalab_version", MHA_VERSION_STRING, "abi_version",
                     MHA_ABI_VERSION, "port", port, "exec", text(m->exec), "vectors", text(m->vectors), "filters",
                     filters, "partial", m->partial, "timeout_s", (json_int_t)m->timeout_s, "results_passed",
                     (json_int_t)passed, "results_failed", (json_int_t)failed, "results_skipped",
                     (json_int_t)skipped, "exit_status", m->exit_status, "passed", m->exit_status == 0, "runs",
                     runs);
}

int summary_write_json(const check_summary *r, const summary_meta *m, FILE *f)
{
    json_t *root = summary_json(r, m);
    if (!root)
        return -1;
    const int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    json_decref(root);
    fputc('\n', f);
    return rc != 0 || ferror(f) ? -1 : 0;
}

/* open, then text escaped, then close. */
static void xml_wrapped(FILE *f, const char *open, const char *text, const char *close)
{
    fputs(open, f);
    xml_write_text(f, text);
    fputs(close, f);
}

static void junit_result(FILE *f, const check_run *run, const run_result *res)
{
    xml_wrapped(f, "    <testcase classname=\"", run->label, "\"");
    xml_wrapped(f, " name=\"", res->id, "\">\n");
    if (res->dtypes[0])
        xml_wrapped(f, "      <properties><property name=\"dtypes\" value=\"", res->dtypes, "\"/></properties>\n");
    if (res->skipped) {
        xml_wrapped(f, "      <skipped message=\"", res->reason, "\"/>\n");
    } else if (!res->pass) {
        char rerun[1200];
        rerun_of(run, res, rerun, sizeof rerun);
        xml_wrapped(f, "      <failure message=\"", res->reason, "\">");
        xml_wrapped(f, "", res->reason, "&#10;call: ");
        xml_wrapped(f, "", res->variant, "&#10;rerun: ");
        xml_wrapped(f, "", rerun, "</failure>\n");
    }
    fputs("    </testcase>\n", f);
}

int summary_write_junit(const check_summary *r, FILE *f)
{
    size_t passed, failed, skipped;
    summary_totals(r, &passed, &failed, &skipped);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"mha check\" tests=\"%zu\" "
            "failures=\"%zu\" skipped=\"%zu\">\n", passed + failed + skipped, failed, skipped);
    for (size_t k = 0; k < r->count; k++) {
        const check_run *run = &r->runs[k];
        const int not_run = run->status == RUN_SKIP;
        xml_wrapped(f, "  <testsuite name=\"", run->label, "\"");
        fprintf(f, " tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n", not_run ? 1 : run->count, run->failed,
                not_run ? 1 : run->skipped);
        if (not_run) {
            xml_wrapped(f, "    <testcase classname=\"", run->label, "\" name=\"runnable\">");
            xml_wrapped(f, "<skipped message=\"", run->note, "\"/></testcase>\n");
        }
        for (size_t j = 0; j < run->count; j++)
            junit_result(f, run, &run->results[j]);
        fputs("  </testsuite>\n", f);
    }
    fputs("</testsuites>\n", f);
    return ferror(f) ? -1 : 0;
}
