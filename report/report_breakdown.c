/*
 * The GEMM path's time breakdown: mha-bench --breakdown's entries
 * (breakdown/IMPL/POINT, counters qk_seconds, softmax_seconds, pv_seconds
 * per call) as a table and a stacked-bar plot of each phase's share. The
 * rest of a call ("other") is its time minus the three phases.
 */
#include "bars.h"
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const phase_keys[3] = {"qk_seconds", "softmax_seconds", "pv_seconds"};

int rep_breakdown_add(rep_data *d, const rep_run *r, json_t *b, const char *path, char *err, size_t err_size)
{
    const char *name = json_string_value(json_object_get(b, "name"));
    rep_breakdown e = {*r, 0, 0, 0};
    double *phase[3] = {&e.qk, &e.softmax, &e.pv};
    for (int k = 0; k < 3 && !r->error[0]; k++) {
        json_t *v = json_object_get(b, phase_keys[k]);
        if (!json_is_number(v) || !(json_number_value(v) >= 0) || !isfinite(json_number_value(v))) {
            snprintf(err, err_size, "%s: benchmark \"%s\": expected \"%s\", a number of seconds >= 0 "
                     "(mha-bench --breakdown writes it)", path, name, phase_keys[k]);
            return -1;
        }
        *phase[k] = json_number_value(v);
    }
    /* the phases lie inside the call: their sum exceeds its time only by the JSON's rounding */
    const double sum = e.qk + e.softmax + e.pv;
    if (!r->error[0] && sum > r->seconds * (1 + 1e-6)) {
        snprintf(err, err_size, "%s: benchmark \"%s\": the phases add up to %.6g s, more than the call's %.6g s",
                 path, name, sum, r->seconds);
        return -1;
    }
    if (d->n_breakdowns % 64 == 0) {
        rep_breakdown *p = realloc(d->breakdowns, ((size_t)d->n_breakdowns + 64) * sizeof *p);
        if (!p) {
            snprintf(err, err_size, "%s: out of memory", path);
            return -1;
        }
        d->breakdowns = p;
    }
    d->breakdowns[d->n_breakdowns++] = e;
    return 0;
}

/* machine, implementation, most threads first, then S and the other dimensions; timed before failed, then time */
static int breakdown_order(const void *pa, const void *pb)
{
    const rep_run *a = &((const rep_breakdown *)pa)->run, *b = &((const rep_breakdown *)pb)->run;
    if (a->machine != b->machine)
        return a->machine - b->machine;
    if (a->threads != b->threads)
        return b->threads - a->threads;
    const int64_t ka[6] = {a->q_len, a->kv_len, a->batch, a->heads, a->kv_heads, a->head_dim};
    const int64_t kb[6] = {b->q_len, b->kv_len, b->batch, b->heads, b->kv_heads, b->head_dim};
    for (int i = 0; i < 6; i++)
        if (ka[i] != kb[i])
            return ka[i] < kb[i] ? -1 : 1;
    if (a->causal != b->causal)
        return a->causal - b->causal;
    int c = strcmp(a->impl, b->impl);
    if (c)
        return c;
    if (!a->error[0] != !b->error[0])
        return a->error[0] ? 1 : -1;
    return a->seconds < b->seconds ? -1 : a->seconds > b->seconds;
}

static int same_entry(const rep_run *a, const rep_run *b)
{
    return a->machine == b->machine && strcmp(a->impl, b->impl) == 0 && rep_same_point(a, b);
}

int rep_breakdown_finish(rep_data *d)
{
    if (d->n_breakdowns)
        qsort(d->breakdowns, (size_t)d->n_breakdowns, sizeof *d->breakdowns, breakdown_order);
    /* each group of repetitions: timed ones first, by call time; keep the median timed one (its phases add up
     * to its own time), or the first failure when none was timed */
    int kept = 0;
    for (int first = 0, end; first < d->n_breakdowns; first = end) {
        int timed = 0;
        for (end = first; end < d->n_breakdowns && same_entry(&d->breakdowns[end].run, &d->breakdowns[first].run);
             end++)
            timed += !d->breakdowns[end].run.error[0];
        d->breakdowns[kept] = d->breakdowns[first + (timed ? (timed - 1) / 2 : 0)];
        d->breakdowns[kept].run.reps = timed;
        kept++;
    }
    d->n_breakdowns = kept;
    return 0;
}

/* "gemm_avx2", or "gemm_avx2 @ host" when the report has several machines */
static void entry_label(const rep_data *d, const rep_run *r, char *buf, size_t size)
{
    if (d->n_machines > 1)
        snprintf(buf, size, "%s @ %s", r->impl, d->machines[r->machine].label);
    else
        snprintf(buf, size, "%s", r->impl);
}

/* The same implementation's attention run at the same point and machine (the phase clock off), or NULL. */
static const rep_run *attn_twin(const rep_data *d, const rep_run *r)
{
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *a = &d->runs[i];
        if (strcmp(a->kind, "attn") == 0 && !a->error[0] && same_entry(a, r))
            return a;
    }
    return NULL;
}

double rep_breakdown_other(const rep_breakdown *b)
{
    const double other = b->run.seconds - (b->qk + b->softmax + b->pv);
    return other > 0 ? other : 0;
}

void rep_ms_text(double seconds, char *buf, size_t size)
{
    snprintf(buf, size, 1e3 * seconds >= 100 ? "%.0f ms" : "%.3g ms", 1e3 * seconds);
}

static void cell(FILE *f, double seconds, double total)
{
    char t[32];
    rep_ms_text(seconds, t, sizeof t);
    fprintf(f, " %s (%.0f%%) |", t, 100.0 * seconds / total);
}

static void table(const rep_data *d, FILE *f)
{
    fprintf(f, "| implementation | point | call | QKᵀ | softmax | PV | other | same point, clock off |\n"
               "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (int i = 0; i < d->n_breakdowns; i++) {
        const rep_breakdown *b = &d->breakdowns[i];
        char label[240], point[160];
        entry_label(d, &b->run, label, sizeof label);
        rep_point_label(&b->run, point, sizeof point);
        if (b->run.error[0]) {
            fprintf(f, "| %s | %s | %s | - | - | - | - | - |\n", label, point,
                    strncmp(b->run.error, "skipped", 7) == 0 ? "skip" : "FAIL");
            continue;
        }
        const double t = b->run.seconds;
        char call[32];
        rep_ms_text(t, call, sizeof call);
        fprintf(f, "| %s | %s | %s |", label, point, call);
        cell(f, b->qk, t);
        cell(f, b->softmax, t);
        cell(f, b->pv, t);
        cell(f, rep_breakdown_other(b), t);
        const rep_run *a = attn_twin(d, &b->run);
        char off[32] = "-";
        if (a)
            rep_ms_text(a->seconds, off, sizeof off);
        fprintf(f, " %s |\n", off);
    }
    fprintf(f, "\n");
}

void rep_write_breakdown(const rep_data *d, FILE *f)
{
    fprintf(f, "## Where the GEMM path's time goes: QKᵀ, softmax, PV\n\n");
    if (!d->n_breakdowns) {
        fprintf(f, "No breakdown in these results (`mha-bench --breakdown`, which tools/run-bench.sh runs).\n\n"
                   "![GEMM-path time breakdown](breakdown.svg)\n\n");
        return;
    }
    rep_prose_breakdown(d, f);
    fprintf(f, "`mha-bench --breakdown` times whole calls of the GEMM path's implementations with their phase\n"
               "clock on (`impl/gemm/gemm_phase_clock.h`): each phase is the mean over the call's threads of their\n"
               "time in it, summed over the 64-row blocks; other = the call's time minus the three phases (packing\n"
               "K and V into panels in gemm and gemm_avx2, the output's finiteness check, thread start-up and\n"
               "waiting). The repetition of median call time is shown. The last column is the attention table's\n"
               "median for the same point, timed without the clock.\n\n");
    table(d, f);
    fprintf(f, "![GEMM-path time breakdown](breakdown.svg)\n\n");
}

/* The most threads of a timed breakdown of machine m (0: none). */
int rep_breakdown_most_threads(const rep_data *d, int m)
{
    int t = 0;
    for (int i = 0; i < d->n_breakdowns; i++) {
        const rep_run *r = &d->breakdowns[i].run;
        if (r->machine == m && !r->error[0] && r->threads > t)
            t = r->threads;
    }
    return t;
}

int rep_write_breakdown_plot(const rep_data *d, const char *dir, char names[][64], int *n_names, int max_names)
{
    static const char *const parts[4] = {"QKᵀ", "softmax", "PV", "other"};
    static const int32_t colours[4] = {0x0072b2, 0xe69f00, 0x009e73, 0x999999};
    bars_row *rows = calloc((size_t)d->n_breakdowns + 1, sizeof *rows);
    char (*labels)[400] = calloc((size_t)d->n_breakdowns + 1, sizeof *labels);
    char (*notes)[32] = calloc((size_t)d->n_breakdowns + 1, sizeof *notes);
    int n = 0, threads = -1;
    if (!rows || !labels || !notes) {
        free(rows), free(labels), free(notes);
        errno = ENOMEM;
        return -1;
    }
    /* each machine's most threads; a new group of bars per point */
    const rep_run *prev = NULL;
    for (int i = 0; i < d->n_breakdowns; i++) {
        const rep_breakdown *b = &d->breakdowns[i];
        const int most = rep_breakdown_most_threads(d, b->run.machine);
        if (b->run.error[0] || b->run.threads != most)
            continue;
        threads = threads < 0 || threads == most ? most : 0;
        char impl[200], point[160];
        entry_label(d, &b->run, impl, sizeof impl);
        rep_point_label(&b->run, point, sizeof point);
        snprintf(labels[n], sizeof labels[n], "%s  %s", point, impl);
        rep_ms_text(b->run.seconds, notes[n], sizeof notes[n]);
        rows[n] = (bars_row){labels[n], notes[n], {1e3 * b->qk, 1e3 * b->softmax, 1e3 * b->pv,
                                                   1e3 * rep_breakdown_other(b)},
                             prev && !rep_same_point(prev, &b->run)};
        prev = &b->run;
        n++;
    }
    char title[160];
    if (threads > 0)
        snprintf(title, sizeof title, "GEMM path: share of each phase in one call (%d thread%s)", threads,
                 threads == 1 ? "" : "s");
    else
        snprintf(title, sizeof title, "GEMM path: share of each phase in one call (each machine's most threads)");
    const bars_spec spec = {"breakdown", title, parts, colours, 4, "ms"};
    char path[8448];
    snprintf(path, sizeof path, "%s/breakdown.svg", dir);
    int rc = bars_write_svg(path, &spec, rows, n);
    free(rows), free(labels), free(notes);
    if (rc == 0 && *n_names < max_names)
        snprintf(names[(*n_names)++], 64, "breakdown.svg");
    return rc;
}
