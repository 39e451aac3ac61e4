/* The report's SVG plots: which runs go into which line of which chart. */
#include "plot.h"
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAXP 256

typedef struct selection {
    int decode;            /* Sq == 1 instead of Sq == Skv */
    int64_t head_dim;
    int causal;
    int mha;               /* Hkv == H */
    int threads;           /* 0: the machine's largest thread count */
} selection;

static int max_threads(const rep_data *d, int machine)
{
    return d->machines[machine].max_threads;
}

static int selected(const rep_data *d, const rep_run *r, const selection *s)
{
    int t = s->threads ? s->threads : max_threads(d, r->machine);
    return strcmp(r->kind, "attn") == 0 && r->batch == 1 && (s->decode ? r->q_len == 1 : r->q_len == r->kv_len) &&
           r->head_dim == s->head_dim && r->causal == s->causal && (r->kv_heads == r->heads) == s->mha &&
           r->threads == t;
}

typedef double value_fn(const rep_data *d, const rep_run *r);

static double v_gflops(const rep_data *d, const rep_run *r) { (void)d; return r->error[0] ? NAN : rep_gflops(r); }
static double v_gbs(const rep_data *d, const rep_run *r) { (void)d; return r->error[0] ? NAN : rep_gbs(r); }
static double v_ws(const rep_data *d, const rep_run *r) { (void)d; return r->workspace >= 0 ? r->workspace : NAN; }
static double v_peak(const rep_data *d, const rep_run *r)
{
    double p = rep_peak_pct(d, r);
    return p < 0 ? NAN : p;
}

/* x = Skv, y = value, for one series and one selection; returns the count. */
static int points(const rep_data *d, int series, const selection *sel, value_fn *value, double *xs, double *ys)
{
    int n = 0;
    for (int i = 0; i < d->n_runs && n < MAXP; i++) {
        const rep_run *r = &d->runs[i];
        if (r->series != series || !selected(d, r, sel))
            continue;
        double y = value(d, r);
        if (isnan(y))
            continue;
        xs[n] = (double)r->kv_len, ys[n] = y;
        n++;
    }
    return n;
}

/* Lines in one plot: the first ones drawn, the tables hold every implementation. */
#define PLOT_MAX_LINES 128

typedef struct chart {
    plot_series s[PLOT_MAX_LINES];
    double x[PLOT_MAX_LINES][MAXP], y[PLOT_MAX_LINES][MAXP];
    char label[PLOT_MAX_LINES][240];
    int n;
} chart;

static void add_line(chart *c, const rep_data *d, int series, const selection *sel, value_fn *value,
                     const char *suffix, int dashed)
{
    int k = c->n;
    if (k == PLOT_MAX_LINES)
        return;
    int n = points(d, series, sel, value, c->x[k], c->y[k]);
    if (n == 0)
        return;
    snprintf(c->label[k], sizeof c->label[k], "%s%s", d->series[series].label, suffix);
    c->s[k] = (plot_series){c->label[k], c->x[k], c->y[k], n, series, dashed, 0};
    c->n++;
}

/* A line drawn exactly over an earlier one would vanish: its legend says so. */
static void mark_duplicates(chart *c)
{
    for (int k = 1; k < c->n; k++)
        for (int j = 0; j < k; j++) {
            const plot_series *a = &c->s[j], *b = &c->s[k];
            if (a->n != b->n || a->dashed != b->dashed || memcmp(a->x, b->x, (size_t)a->n * sizeof *a->x) != 0 ||
                memcmp(a->y, b->y, (size_t)a->n * sizeof *a->y) != 0)
                continue;
            char extra[240];
            snprintf(extra, sizeof extra, "%s (= %s)", c->label[k], c->label[j]);
            snprintf(c->label[k], sizeof c->label[k], "%s", extra);
            break;
        }
}

static int write_chart(const char *dir, const char *name, const plot_spec *spec, chart *c, char names[][64],
                       int *n_names, int max_names)
{
    mark_duplicates(c);
    char path[8448];
    snprintf(path, sizeof path, "%s/%s.svg", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    plot_lines(f, spec, c->s, c->n);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return -1;
    if (*n_names < max_names)
        snprintf(names[(*n_names)++], 64, "%s.svg", name);
    return 0;
}

int rep_write_plots(const rep_data *d, const char *dir, char names[][64], int *n_names, int max_names)
{
    chart *c = malloc(sizeof *c);
    if (!c)
        return -1;
    int rc = 0;
    char title[160], name[64];
    static const int64_t dhs[] = {32, 64, 128};
    for (int k = 0; k < 3 && rc == 0; k++) {
        selection sel = {0, dhs[k], 0, 1, 0};
        c->n = 0;
        for (int s = 0; s < d->n_series; s++)
            add_line(c, d, s, &sel, v_gflops, "", 0);
        snprintf(title, sizeof title, "Attention GFLOP/s vs S (Dh %lld, MHA, non-causal, most threads)",
                 (long long)dhs[k]);
        snprintf(name, sizeof name, "gflops_vs_s_dh%lld", (long long)dhs[k]);
        plot_spec spec = {title, "sequence length S (Sq = Skv)", "GFLOP/s", PLOT_LOG2, PLOT_LINEAR, PLOT_NUMBER,
                          PLOT_NUMBER, 0, NULL, 1};
        rc = write_chart(dir, name, &spec, c, names, n_names, max_names);
    }

    selection base = {0, 64, 0, 1, 0};
    if (rc == 0) {
        c->n = 0;
        for (int s = 0; s < d->n_series; s++)
            add_line(c, d, s, &base, v_peak, "", 0);
        plot_spec spec = {"Percent of the measured FMA peak (Dh 64, MHA, non-causal)", "sequence length S",
                          "% of peak", PLOT_LOG2, PLOT_LINEAR, PLOT_NUMBER, PLOT_NUMBER, 0, NULL, 1};
        rc = write_chart(dir, "peak_pct_vs_s", &spec, c, names, n_names, max_names);
    }
    if (rc == 0) {
        c->n = 0;
        for (int s = 0; s < d->n_series; s++) {
            add_line(c, d, s, &base, v_ws, "", 0);
            /* a zero workspace cannot sit on a log axis: say so in the legend */
            if (c->n && c->s[c->n - 1].color == s) {
                int zero = 1;
                for (int i = 0; i < c->s[c->n - 1].n; i++)
                    zero &= c->s[c->n - 1].y[i] <= 0;
                if (zero)
                    snprintf(c->label[c->n - 1], sizeof c->label[0], "%s (0 B, not drawn)", d->series[s].label);
            }
        }
        plot_spec spec = {"Workspace vs S (Dh 64, H 8, log-log)", "sequence length S", "workspace bytes",
                          PLOT_LOG2, PLOT_LOG2, PLOT_NUMBER, PLOT_BYTES, 0, NULL, 0};
        rc = write_chart(dir, "workspace_vs_s", &spec, c, names, n_names, max_names);
    }
    if (rc == 0) {
        /* speedup of the most threads over 1 thread, same point otherwise */
        c->n = 0;
        int tmax = 1;
        for (int s = 0; s < d->n_series && c->n < PLOT_MAX_LINES; s++) {
            int t = max_threads(d, d->series[s].machine);
            tmax = t > tmax ? t : tmax;
            selection one = base;
            one.threads = 1;
            double x1[MAXP], y1[MAXP];
            int n1 = points(d, s, &one, v_gflops, x1, y1);
            int k = c->n, n = 0;
            if (t == 1)
                continue;
            for (int i = 0; i < d->n_runs && n < MAXP; i++) {
                const rep_run *r = &d->runs[i];
                if (r->series != s || !selected(d, r, &base) || r->error[0])
                    continue;
                for (int j = 0; j < n1; j++)
                    if (x1[j] == (double)r->kv_len && y1[j] > 0) {
                        c->x[k][n] = x1[j], c->y[k][n] = rep_gflops(r) / y1[j];
                        n++;
                    }
            }
            if (!n)
                continue;
            snprintf(c->label[k], sizeof c->label[k], "%s", d->series[s].label);
            c->s[k] = (plot_series){c->label[k], c->x[k], c->y[k], n, s, 0, 0};
            c->n++;
        }
        char hl[64];
        snprintf(hl, sizeof hl, "ideal: %d x", tmax);
        plot_spec spec = {"Thread scaling: GFLOP/s on all threads / on 1 (Dh 64, MHA)", "sequence length S",
                          "speedup", PLOT_LOG2, PLOT_LINEAR, PLOT_NUMBER, PLOT_NUMBER, (double)tmax, hl, 1};
        rc = write_chart(dir, "thread_scaling", &spec, c, names, n_names, max_names);
    }
    if (rc == 0) {
        c->n = 0;
        selection causal = base;
        causal.causal = 1;
        for (int s = 0; s < d->n_series; s++) {
            add_line(c, d, s, &base, v_gflops, "", 0);
            add_line(c, d, s, &causal, v_gflops, " causal", 1);
        }
        plot_spec spec = {"Causal (dashed) vs non-causal (solid), Dh 64, MHA", "sequence length S",
                          "GFLOP/s (visible pairs only)", PLOT_LOG2, PLOT_LINEAR, PLOT_NUMBER, PLOT_NUMBER, 0, NULL,
                          1};
        rc = write_chart(dir, "causal", &spec, c, names, n_names, max_names);
    }
    if (rc == 0) {
        c->n = 0;
        selection dec = {1, 128, 1, 1, 0};
        for (int s = 0; s < d->n_series; s++)
            add_line(c, d, s, &dec, v_gbs, "", 0);
        selection dec_gqa = dec;
        dec_gqa.mha = 0;
        for (int s = 0; s < d->n_series; s++)
            add_line(c, d, s, &dec_gqa, v_gbs, " GQA", 1);
        double bw = d->n_machines ? d->machines[0].read_gbs : 0;
        char hl[256];
        snprintf(hl, sizeof hl, "measured read bandwidth %.1f GB/s (%s)", bw,
                 d->n_machines ? d->machines[0].label : "");
        plot_spec spec = {"Decode (Sq 1, Dh 128): GB/s of Q, K, V, O (GQA dashed)", "cached keys Skv",
                          "GB/s", PLOT_LOG2, PLOT_LINEAR, PLOT_NUMBER, PLOT_NUMBER, bw, hl, 1};
        rc = write_chart(dir, "decode_bandwidth", &spec, c, names, n_names, max_names);
    }
    if (rc == 0)
        rc = rep_write_roofline(d, dir, names, n_names, max_names);
    free(c);
    return rc;
}
