/* The JSON and JUnit XML files of `mha check`: see check_summary.h. */
#include "check_summary.h"

#include "mha.h"

#include <math.h>
#include <string.h>

/* JSON string: quotes and backslashes escaped, control characters as \u00XX. */
static void json_str(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", (unsigned char)*s);
        else
            fputc(*s, f);
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

static void json_result(FILE *f, const check_run *run, const run_result *res)
{
    char rerun[1200];
    rerun_of(run, res, rerun, sizeof rerun);
    fprintf(f, "\n      {\"case\": ");
    json_str(f, res->id);
    fprintf(f, ", \"group\": ");
    json_str(f, res->group);
    fprintf(f, ", \"level\": ");
    json_str(f, run->level);
    fprintf(f, ", \"dtypes\": ");
    if (res->dtypes[0])
        json_str(f, res->dtypes);
    else
        fprintf(f, "null");
    fprintf(f, ", \"pass\": %s, \"skipped\": %s, \"units\": ", res->pass ? "true" : "false",
            res->skipped ? "true" : "false");
    json_num(f, res->units);
    fprintf(f, ", \"max_abs\": ");
    json_num(f, res->max_abs);
    fprintf(f, ", \"tolerance\": ");
    json_num(f, res->tol);
    fprintf(f, ", \"max_rel\": ");
    json_num(f, res->max_rel);
    fprintf(f, ", \"ulps\": %lld, \"worst\": ", res->ulps);
    json_str(f, res->worst);
    fprintf(f, ",\n       \"variant\": ");
    json_str(f, res->variant);
    fprintf(f, ", \"reason\": ");
    json_str(f, res->reason);
    fprintf(f, ",\n       \"rerun\": ");
    json_str(f, rerun);
    fprintf(f, "}");
}

int summary_write_json(const check_summary *r, const summary_meta *m, FILE *f)
{
    size_t passed, failed, skipped;
    summary_totals(r, &passed, &failed, &skipped);
    fprintf(f, "{\n  \"schema_version\": %d,\n  \"mhalab_version\": ", SUMMARY_SCHEMA_VERSION);
    json_str(f, MHA_VERSION_STRING);
    fprintf(f, ",\n  \"abi_version\": %d,\n  \"port\": ", MHA_ABI_VERSION);
    if (m->port) {
        fprintf(f, "{\"path\": ");
        json_str(f, m->port);
        fprintf(f, ", \"xxh3_128\": ");
        json_str(f, m->port_hash);
        fprintf(f, "}");
    } else {
        fprintf(f, "null");
    }
    fprintf(f, ",\n  \"exec\": ");
    if (m->exec)
        json_str(f, m->exec);
    else
        fprintf(f, "null");
    fprintf(f, ",\n  \"vectors\": ");
    json_str(f, m->vectors);
    fprintf(f, ",\n  \"filters\": {\"impl\": ");
    json_str(f, m->impl_filter);
    fprintf(f, ", \"case\": ");
    json_str(f, m->case_filter);
    fprintf(f, ", \"level\": ");
    json_str(f, m->level_filter);
    fprintf(f, ", \"no_large\": %s},\n  \"partial\": %s,\n  \"timeout_s\": %u,\n", m->no_large ? "true" : "false",
            m->partial ? "true" : "false", m->timeout_s);
    fprintf(f, "  \"results_passed\": %zu,\n  \"results_failed\": %zu,\n  \"results_skipped\": %zu,\n"
               "  \"exit_status\": %d,\n", passed, failed, skipped, m->exit_status);
    fprintf(f, "  \"passed\": %s,\n  \"runs\": [", m->exit_status == 0 ? "true" : "false");
    for (size_t k = 0; k < r->count; k++) {
        const check_run *run = &r->runs[k];
        fprintf(f, "%s\n    {\"implementation\": ", k ? "," : "");
        json_str(f, run->name);
        fprintf(f, ", \"level\": ");
        json_str(f, run->level);
        fprintf(f, ", \"status\": \"%s\", \"note\": ", status_word(run->status));
        json_str(f, run->note);
        fprintf(f, ", \"stdout_bytes\": %zu,\n     \"rerun\": ", run->stdout_bytes);
        json_str(f, run->rerun);
        fprintf(f, ",\n     \"results\": [");
        for (size_t j = 0; j < run->count; j++) {
            fprintf(f, "%s", j ? "," : "");
            json_result(f, run, &run->results[j]);
        }
        fprintf(f, "]}");
    }
    fprintf(f, "\n  ]\n}\n");
    return ferror(f) ? -1 : 0;
}

/* XML text or attribute value. */
static void xml_str(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\n': fputs("&#10;", f); break;
        default: fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
        }
    }
}

int summary_write_junit(const check_summary *r, FILE *f)
{
    size_t passed, failed, skipped;
    summary_totals(r, &passed, &failed, &skipped);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"mha check\" tests=\"%zu\" "
            "failures=\"%zu\" skipped=\"%zu\">\n", passed + failed + skipped, failed, skipped);
    for (size_t k = 0; k < r->count; k++) {
        const check_run *run = &r->runs[k];
        const int skipped = run->status == RUN_SKIP;
        fprintf(f, "  <testsuite name=\"");
        xml_str(f, run->label);
        fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n", skipped ? 1 : run->count, run->failed,
                skipped ? 1 : run->skipped);
        if (skipped) {
            fprintf(f, "    <testcase classname=\"");
            xml_str(f, run->label);
            fprintf(f, "\" name=\"runnable\"><skipped message=\"");
            xml_str(f, run->note);
            fprintf(f, "\"/></testcase>\n");
        }
        for (size_t j = 0; j < run->count; j++) {
            const run_result *res = &run->results[j];
            fprintf(f, "    <testcase classname=\"");
            xml_str(f, run->label);
            fprintf(f, "\" name=\"");
            xml_str(f, res->id);
            fprintf(f, "\">\n");
            if (res->dtypes[0]) {
                fprintf(f, "      <properties><property name=\"dtypes\" value=\"");
                xml_str(f, res->dtypes);
                fprintf(f, "\"/></properties>\n");
            }
            if (res->pass) {
                fprintf(f, "    </testcase>\n");
                continue;
            }
            if (res->skipped) {
                fprintf(f, "      <skipped message=\"");
                xml_str(f, res->reason);
                fprintf(f, "\"/>\n    </testcase>\n");
                continue;
            }
            char rerun[1200];
            rerun_of(run, res, rerun, sizeof rerun);
            fprintf(f, "      <failure message=\"");
            xml_str(f, res->reason);
            fprintf(f, "\">");
            xml_str(f, res->reason);
            fprintf(f, "&#10;call: ");
            xml_str(f, res->variant);
            fprintf(f, "&#10;rerun: ");
            xml_str(f, rerun);
            fprintf(f, "</failure>\n    </testcase>\n");
        }
        fprintf(f, "  </testsuite>\n");
    }
    fprintf(f, "</testsuites>\n");
    return ferror(f) ? -1 : 0;
}
