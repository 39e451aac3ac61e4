/* The report's Markdown: the sections in order, their tables. */
#include "report.h"
#include "shapes_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef double metric_fn(const rep_data *d, const rep_run *r);

static double m_gflops(const rep_data *d, const rep_run *r)
{
    (void)d;
    return r->error[0] ? NAN : rep_gflops(r);
}

static double m_peak(const rep_data *d, const rep_run *r)
{
    double p = rep_peak_pct(d, r);
    return p < 0 ? NAN : p;
}

static double m_isa_peak(const rep_data *d, const rep_run *r)
{
    double p = rep_isa_peak_pct(d, r);
    return p < 0 ? NAN : p;
}

static double m_speedup(const rep_data *d, const rep_run *r)
{
    return rep_speedup_vs_naive(d, r);
}

static double m_workspace(const rep_data *d, const rep_run *r)
{
    (void)d;
    return r->workspace >= 0 ? r->workspace : NAN;
}

typedef enum { ROWS_PREFILL, ROWS_DECODE, ROWS_ALL } row_filter;

static int row_wanted(const rep_run *r, const char *kind, row_filter rows)
{
    if (strcmp(r->kind, kind) != 0)
        return 0;
    return rows == ROWS_ALL || (rows == ROWS_DECODE) == (r->q_len == 1);
}

static const rep_run *cell(const rep_data *d, const rep_run *row, int series)
{
    for (int i = row->point_first; i < row->point_end; i++)
        if (d->runs[i].series == series)
            return &d->runs[i];
    return NULL;
}

/*
 * One table: a row per grid point, a column per series. best: 1 bolds the
 * largest value of each row, 0 bolds nothing. bytes: values are byte counts.
 */
static void table(FILE *f, const rep_data *d, const char *kind, row_filter rows, metric_fn *metric,
                  const char *fmt, int best, int bytes)
{
    int *used = calloc((size_t)d->n_series + 1, sizeof *used), any = 0;
    if (!used) {
        fprintf(f, "(out of memory)\n\n");
        return;
    }
    for (int i = 0; i < d->n_runs; i++)
        if (row_wanted(&d->runs[i], kind, rows) && d->runs[i].series >= 0) {
            double v = metric(d, &d->runs[i]);
            used[d->runs[i].series] |= !isnan(v) || d->runs[i].error[0];
            any |= !isnan(v);
        }
    if (!any) {
        fprintf(f, "(no data)\n\n");
        free(used);
        return;
    }
    fprintf(f, "| point |");
    for (int s = 0; s < d->n_series; s++)
        if (used[s])
            fprintf(f, " %s |", d->series[s].label);
    fprintf(f, "\n| --- |");
    for (int s = 0; s < d->n_series; s++)
        if (used[s])
            fprintf(f, " ---: |");
    fprintf(f, "\n");
    const rep_run *prev = NULL;
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *r = &d->runs[i];
        if (!row_wanted(r, kind, rows) || (prev && rep_same_point(prev, r)))
            continue;
        prev = r;
        char label[160];
        rep_point_label(r, label, sizeof label);
        double top = -INFINITY;
        for (int s = 0; s < d->n_series; s++) {
            const rep_run *c = used[s] ? cell(d, r, s) : NULL;
            double v = c ? metric(d, c) : NAN;
            if (!isnan(v) && v > top)
                top = v;
        }
        fprintf(f, "| %s |", label);
        for (int s = 0; s < d->n_series; s++) {
            if (!used[s])
                continue;
            const rep_run *c = cell(d, r, s);
            double v = c ? metric(d, c) : NAN;
            char text[64];
            if (!c)
                snprintf(text, sizeof text, "-");
            else if (bytes && !isnan(v)) /* a skipped point still knows its workspace */
                rep_bytes_text(v, text, sizeof text);
            else if (c->error[0])
                snprintf(text, sizeof text, strncmp(c->error, "skipped", 7) == 0 ? "skip" : "FAIL");
            else if (isnan(v))
                snprintf(text, sizeof text, "-");
            else if (bytes)
                rep_bytes_text(v, text, sizeof text);
            else if (metric == m_peak || metric == m_isa_peak)
                rep_pct_text(v, text, sizeof text);
            else
                snprintf(text, sizeof text, fmt, v);
            if (c && !c->error[0] && !bytes && rep_spread(c) > REPORT_WIDE_SPREAD)
                strncat(text, " ~", sizeof text - strlen(text) - 1);
            int bold = best && !isnan(v) && v == top && c && !c->error[0];
            fprintf(f, bold ? " **%s** |" : " %s |", text);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n");
    free(used);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void summary(FILE *f, const rep_data *d)
{
    fprintf(f, "| implementation | timed | skipped | wrong output | fastest on | best GFLOP/s | at | median %% of peak |"
               " largest workspace |\n| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |\n");
    int points = 0;
    const rep_run *prev = NULL;
    for (int i = 0; i < d->n_runs; i++)
        if (strcmp(d->runs[i].kind, "attn") == 0 && (!prev || !rep_same_point(prev, &d->runs[i])))
            prev = &d->runs[i], points++;
    for (int s = 0; s < d->n_series; s++) {
        int timed = 0, skipped = 0, failed = 0, wins = 0, n_pct = 0;
        double best = 0, ws = -1, *pct = malloc((size_t)d->n_runs * sizeof *pct);
        const rep_run *best_run = NULL;
        for (int i = 0; i < d->n_runs; i++) {
            const rep_run *r = &d->runs[i];
            if (r->series != s || strcmp(r->kind, "attn") != 0) /* full-layer runs: their own table */
                continue;
            if (r->workspace > ws)
                ws = r->workspace;
            if (r->error[0]) {
                if (strncmp(r->error, "skipped", 7) == 0)
                    skipped++;
                else
                    failed++;
                continue;
            }
            timed++;
            double g = rep_gflops(r), p = rep_peak_pct(d, r);
            if (g > best)
                best = g, best_run = r;
            if (p >= 0 && pct)
                pct[n_pct++] = p;
            int top = 1; /* fastest among the implementations of the same machine */
            for (int j = r->point_first; j < r->point_end; j++) {
                const rep_run *o = &d->runs[j];
                if (o != r && o->machine == r->machine && !o->error[0] && o->seconds < r->seconds)
                    top = 0;
            }
            wins += top;
        }
        char at[160] = "-", wst[32] = "-", med[32] = "-";
        if (best_run)
            rep_point_label(best_run, at, sizeof at);
        if (ws >= 0)
            rep_bytes_text(ws, wst, sizeof wst);
        if (n_pct && pct) {
            qsort(pct, (size_t)n_pct, sizeof *pct, cmp_double);
            snprintf(med, sizeof med, "%.1f", n_pct % 2 ? pct[n_pct / 2] : 0.5 * (pct[n_pct / 2 - 1] + pct[n_pct / 2]));
        }
        free(pct);
        if (!timed && !skipped && !failed)
            continue; /* a full-layer-only series */
        fprintf(f, "| %s | %d | %d | %d | %d of %d | %.2f | %s | %s | %s |\n", d->series[s].label, timed, skipped,
                failed, wins, points, best, at, med, wst);
    }
    fprintf(f, "\n");
}

static const char *ctx_str(const rep_machine *m, const char *key)
{
    const char *v = json_string_value(json_object_get(m->context, key));
    return v && *v ? v : "-";
}

static void machines(FILE *f, const rep_data *d)
{
    fprintf(f, "| machine | CPU | cores | caches L1d/L2/L3 | FMA peak 1 core | FMA peak all cores | read bandwidth |"
               " compiler | commit |\n| --- | --- | ---: | --- | ---: | ---: | ---: | --- | --- |\n");
    for (int i = 0; i < d->n_machines; i++) {
        const rep_machine *m = &d->machines[i];
        char l1[32], l2[32], l3[32];
        rep_bytes_text(strtod(ctx_str(m, "mha_l1d_bytes"), NULL), l1, sizeof l1);
        rep_bytes_text(strtod(ctx_str(m, "mha_l2_bytes"), NULL), l2, sizeof l2);
        rep_bytes_text(strtod(ctx_str(m, "mha_l3_bytes"), NULL), l3, sizeof l3);
        fprintf(f, "| %s | %s | %d | %s / %s / %s | %.1f GFLOP/s | %.1f GFLOP/s | %.1f GB/s | %s | %s |\n",
                m->label, m->cpu_model[0] ? m->cpu_model : "-", m->cores, l1, l2, l3, m->peak_gflops_1,
                m->peak_gflops_all, m->read_gbs, ctx_str(m, "mha_c_compiler"), ctx_str(m, "mha_git_commit"));
    }
    fprintf(f, "\n");
}

/* The timed run of impl on the first machine at p's point, or NULL. */
static const rep_run *run_at(const rep_data *d, const rep_run *p, const char *impl)
{
    for (int i = p ? p->point_first : 0; p && i < p->point_end; i++)
        if (d->runs[i].machine == 0 && !d->runs[i].error[0] && strcmp(d->runs[i].impl, impl) == 0)
            return &d->runs[i];
    return NULL;
}

/* Accuracy from the conformance summary beside speed at the headline point. */
static void accuracy(FILE *f, const rep_data *d)
{
    if (!d->check_file) {
        fprintf(f, "No conformance summary given (`mha report --check FILE`).\n\n");
        return;
    }
    rep_prose_accuracy(d, f);
    const rep_run *p = rep_headline(d);
    char point[160] = "the headline point";
    if (p)
        rep_point_label(p, point, sizeof point);
    fprintf(f, "From `%s` (`mha check --json`). Error unit: the max abs error of the plain fp32 algorithm\n"
               "(naive) on the same case; 1.0 means as accurate as naive, 2.0 twice its error. Over every\n"
               "CPU-feature level the implementation ran at. Speed beside it: %s on %s.\n\n"
               "| implementation | cases | failed | max error (fp32 units) | worst case | GFLOP/s | x naive |\n"
               "| --- | ---: | ---: | ---: | --- | ---: | ---: |\n",
            d->check_file, point, d->n_machines ? d->machines[0].label : "-");
    for (int i = 0; i < d->n_accuracy; i++) {
        const rep_accuracy *a = &d->accuracy[i];
        const rep_run *r = run_at(d, p, a->impl);
        char gf[32] = "-", sp[32] = "-";
        if (r)
            snprintf(gf, sizeof gf, "%.2f", rep_gflops(r));
        if (r && !isnan(m_speedup(d, r)))
            snprintf(sp, sizeof sp, "%.1fx", m_speedup(d, r));
        fprintf(f, "| %s | %d | %d | %.2f | %s | %s | %s |\n", a->impl, a->cases, a->failed, a->max_error_units,
                a->worst_case[0] ? a->worst_case : "-", gf, sp);
    }
    fprintf(f, "\n");
}

static void problems(FILE *f, const rep_data *d)
{
    int n = 0;
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *r = &d->runs[i];
        if (!r->error[0])
            continue;
        if (!n++)
            fprintf(f, "| implementation | point | reason |\n| --- | --- | --- |\n");
        char label[160];
        rep_point_label(r, label, sizeof label);
        fprintf(f, "| %s | %s | %s |\n", d->series[r->series].label, label, r->error);
    }
    fprintf(f, n ? "\n" : "None: every point was timed.\n\n");
}

int rep_write_markdown(const rep_data *d, FILE *f)
{
    fprintf(f, "# mhalab benchmark report\n\nInputs:");
    for (int i = 0; i < d->n_files; i++)
        fprintf(f, " `%s`", d->files[i]);
    fprintf(f, ". GFLOP/s counts `4*B*H*Dh` FLOPs per visible (query, key) pair (causal: S(S+1)/2 pairs);\n"
               "times are the median of the repetitions (~: spread above %.0f%%, see \"Spread\"); percent of peak\n"
               "divides by the fp32 peak of the machine's widest ISA level measured on the same machine for the\n"
               "same thread count (a second table: by the peak of the implementation's own ISA level).\n"
               "**Bold**: fastest in the row. skip: over the grid's time budget; FAIL: wrong output, never timed\n"
               "(see the last section). Full-layer figures (projections + attention) are only in their own table.\n\n",
            100.0 * REPORT_WIDE_SPREAD);
    fprintf(f, "## Machines\n\n");
    rep_prose_machines(d, f);
    machines(f, d);
    rep_write_machine_yardsticks(d, f);
    fprintf(f, "## Summary\n\n");
    rep_prose_gflops(d, f);
    summary(f, d);
    fprintf(f, "## Attention GFLOP/s (higher is better)\n\n");
    rep_prose_wins(d, f);
    table(f, d, "attn", ROWS_PREFILL, m_gflops, "%.2f", 1, 0);
    fprintf(f, "![GFLOP/s vs S, Dh 64](gflops_vs_s_dh64.svg)\n\n![GFLOP/s vs S, Dh 32](gflops_vs_s_dh32.svg)\n\n"
               "![GFLOP/s vs S, Dh 128](gflops_vs_s_dh128.svg)\n\n");
    fprintf(f, "## Percent of the machine's measured fp32 peak (its widest ISA level)\n\n");
    rep_prose_peak(d, f);
    rep_write_peak_note(d, f);
    table(f, d, "attn", ROWS_PREFILL, m_peak, "%.1f", 1, 0);
    fprintf(f, "![percent of peak](peak_pct_vs_s.svg)\n\n");
    fprintf(f, "## Percent of the peak of the implementation's own ISA level\n\n"
               "(the level each implementation is built for: `mha list`; blas and the peers choose their own\n"
               "kernels and have no column here)\n\n");
    table(f, d, "attn", ROWS_PREFILL, m_isa_peak, "%.1f", 1, 0);
    fprintf(f, "## Roofline\n\n");
    rep_prose_roofline(d, f);
    fprintf(f, "![roofline](roofline.svg)\n\n");
    fprintf(f, "## Speedup over naive (same machine, same point; naive's time / this one's)\n\n");
    rep_prose_speedup(d, f);
    table(f, d, "attn", ROWS_ALL, m_speedup, "%.1fx", 1, 0);
    fprintf(f, "## Thread scaling\n\n");
    rep_prose_threads(d, f);
    fprintf(f, "![thread scaling](thread_scaling.svg)\n\n");
    rep_write_breakdown(d, f);
    fprintf(f, "## Causal attention in time\n\n");
    rep_prose_causal(d, f);
    rep_write_causal(d, f);
    fprintf(f, "![causal speedup in time](causal.svg)\n\n");
    fprintf(f, "## Decode (Sq = 1): GB/s of Q, K, V, O moved\n\n");
    rep_prose_decode(d, f);
    rep_write_decode(d, f);
    fprintf(f, "![decode bandwidth](decode_bandwidth.svg)\n\n");
    fprintf(f, "## Workspace (bytes each implementation asks for)\n\n");
    rep_prose_workspace(d, f);
    table(f, d, "attn", ROWS_ALL, m_workspace, "", 0, 1);
    fprintf(f, "![workspace vs S](workspace_vs_s.svg)\n\n");
    fprintf(f, "## Full layer GFLOP/s (projections + attention; never mixed with the tables above)\n\n");
    rep_prose_layer(d, f);
    table(f, d, "layer", ROWS_ALL, m_gflops, "%.2f", 1, 0);
    fprintf(f, "## Accuracy\n\n");
    accuracy(f, d);
    fprintf(f, "## Accuracy against speed, per dtype\n\n");
    rep_write_dtype(d, f);
    rep_write_teaching(d, f);
    fprintf(f, "## Spread of the repetitions\n\n");
    rep_write_spread(d, f);
    fprintf(f, "## Skipped and failed points\n\n");
    problems(f, d);
    return ferror(f) ? -1 : 0;
}
