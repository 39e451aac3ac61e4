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
    int threads;           /* 0: the most threads timed at this selection on the run's machine */
    int most[REPORT_MAX_MACHINES]; /* filled by resolve(): the thread count chosen per machine */
} selection;

/* The selection's points without the thread count (fp32 only: bf16 and fp16 runs have their own plot). */
static int same_shape(const rep_run *r, const selection *s)
{
    return strcmp(r->kind, "attn") == 0 && r->dtype == MHA_F32 && r->batch == 1 &&
           (s->decode ? r->q_len == 1 : r->q_len == r->kv_len) &&
           r->head_dim == s->head_dim && r->causal == s->causal && (r->kv_heads == r->heads) == s->mha;
}

/* The most threads of a timed run of the machine at the selection (0: none). */
static int most_threads(const rep_data *d, int machine, const selection *s)
{
    int t = 0;
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *r = &d->runs[i];
        if (r->machine == machine && !r->error[0] && same_shape(r, s) && r->threads > t)
            t = r->threads;
    }
    return t;
}

/* Fixes each machine's thread count of the selection (one pass per machine, not one per run). */
static selection resolve(const rep_data *d, selection s)
{
    for (int m = 0; m < d->n_machines; m++)
        s.most[m] = s.threads ? s.threads : most_threads(d, m, &s);
    return s;
}

static int selected(const rep_run *r, const selection *s)
{
    return same_shape(r, s) && r->threads == s->most[r->machine];
}

/* ", 2 threads" for the title: the thread count of every machine's line, or each machine's own. */
static void threads_text(const rep_data *d, const selection *s, char *buf, size_t size)
{
    int t = -1;
    for (int m = 0; m < d->n_machines; m++) {
        int mt = s->threads ? s->threads : most_threads(d, m, s);
        if (mt && t >= 0 && mt != t) {
            snprintf(buf, size, ", each machine's most threads");
            return;
        }
        if (mt)
            t = mt;
    }
    snprintf(buf, size, t > 0 ? ", %d thread%s" : "", t, t == 1 ? "" : "s");
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
static double v_causal(const rep_data *d, const rep_run *r) { return rep_causal_speedup(d, r); }

/* x = Skv, y = value, for one series and one selection; returns the count. */
static int points(const rep_data *d, int series, const selection *sel, value_fn *value, double *xs, double *ys)
{
    int n = 0;
    for (int i = 0; i < d->n_runs && n < MAXP; i++) {
        const rep_run *r = &d->runs[i];
        if (r->series != series || !selected(r, sel))
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

/* A line per series at the selection; hollow markers for a second selection of the same series. */
static void add_lines(chart *c, const rep_data *d, const selection *unresolved, value_fn *value,
                      const char *suffix, int hollow)
{
    selection resolved = resolve(d, *unresolved);
    const selection *sel = &resolved;
    for (int s = 0; s < d->n_series && c->n < PLOT_MAX_LINES; s++) {
        int k = c->n;
        int n = points(d, s, sel, value, c->x[k], c->y[k]);
        if (n == 0)
            continue;
        snprintf(c->label[k], sizeof c->label[k], "%s%s", d->series[s].label, suffix);
        c->s[k] = (plot_series){c->label[k], c->x[k], c->y[k], n, s, 0, hollow, 0};
        c->n++;
    }
}

/* A line drawn exactly over an earlier one would vanish: its legend says so. */
static void mark_duplicates(chart *c)
{
    for (int k = 1; k < c->n; k++)
        for (int j = 0; j < k; j++) {
            const plot_series *a = &c->s[j], *b = &c->s[k];
            if (a->n != b->n || a->hollow != b->hollow || memcmp(a->x, b->x, (size_t)a->n * sizeof *a->x) != 0 ||
                memcmp(a->y, b->y, (size_t)a->n * sizeof *a->y) != 0)
                continue;
            char extra[240];
            snprintf(extra, sizeof extra, "%s (= %s)", c->label[k], c->label[j]);
            snprintf(c->label[k], sizeof c->label[k], "%s", extra);
            break;
        }
}

static int write_chart(const char *dir, const plot_spec *spec, chart *c, char names[][64], int *n_names,
                       int max_names)
{
    mark_duplicates(c);
    char path[8448];
    snprintf(path, sizeof path, "%s/%s.svg", dir, spec->id);
    if (plot_write_svg(path, spec, c->s, c->n) != 0)
        return -1;
    if (*n_names < max_names)
        snprintf(names[(*n_names)++], 64, "%s.svg", spec->id);
    return 0;
}

/* Thread scaling: GFLOP/s on the most threads over GFLOP/s on 1, same point otherwise. */
static int thread_scaling(const rep_data *d, chart *c, const char *dir, char names[][64], int *n_names, int max)
{
    selection base = {0, 64, 0, 1, 0, {0}}, one = base;
    one.threads = 1;
    base = resolve(d, base), one = resolve(d, one);
    int tmax = 1;
    c->n = 0;
    for (int s = 0; s < d->n_series && c->n < PLOT_MAX_LINES; s++) {
        int t = base.most[d->series[s].machine], k = c->n, n = 0;
        double x1[MAXP], y1[MAXP];
        int n1 = points(d, s, &one, v_gflops, x1, y1);
        if (t <= 1)
            continue;
        tmax = t > tmax ? t : tmax;
        for (int i = 0; i < d->n_runs && n < MAXP; i++) {
            const rep_run *r = &d->runs[i];
            if (r->series != s || !selected(r, &base) || r->error[0])
                continue;
            for (int j = 0; j < n1; j++)
                if (x1[j] == (double)r->kv_len && y1[j] > 0)
                    c->x[k][n] = x1[j], c->y[k][n++] = rep_gflops(r) / y1[j];
        }
        if (!n)
            continue;
        snprintf(c->label[k], sizeof c->label[k], "%s", d->series[s].label);
        c->s[k] = (plot_series){c->label[k], c->x[k], c->y[k], n, s, 0, 0, 0};
        c->n++;
    }
    char hl[64], title[160];
    snprintf(hl, sizeof hl, "ideal: %d x", tmax);
    snprintf(title, sizeof title, "Thread scaling: GFLOP/s on %d threads / on 1 (Dh 64, MHA)", tmax);
    plot_spec spec = {"thread_scaling", title, "sequence length S", "speedup", PLOT_LOG2, PLOT_LINEAR, PLOT_NUMBER,
                      PLOT_NUMBER, (double)tmax, hl, 1};
    return write_chart(dir, &spec, c, names, n_names, max);
}

/* Causal speedup in time: the non-causal time over the causal one, with the ideal 2S/(S+1). */
static int causal(const rep_data *d, chart *c, const char *dir, char names[][64], int *n_names, int max)
{
    selection sel = {0, 64, 1, 1, 0, {0}};
    c->n = 0;
    add_lines(c, d, &sel, v_causal, "", 0);
    /* every masked pair skipped: S^2 pairs become S(S+1)/2 */
    int k = c->n, n = 0;
    double lo = INFINITY, hi = 0;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < c->s[i].n; j++)
            lo = fmin(lo, c->x[i][j]), hi = fmax(hi, c->x[i][j]);
    if (k && k < PLOT_MAX_LINES) {
        for (double s = lo; s <= hi && n < MAXP; s *= 2)
            c->x[k][n] = s, c->y[k][n++] = 2 * s / (s + 1);
        snprintf(c->label[k], sizeof c->label[k], "ideal 2S/(S+1): every masked pair skipped");
        c->s[k] = (plot_series){c->label[k], c->x[k], c->y[k], n, 0, 0, 0, 1};
        c->n++;
    }
    char title[200], th[64];
    threads_text(d, &sel, th, sizeof th);
    snprintf(title, sizeof title, "Causal speedup in time: non-causal time / causal time (Dh 64, MHA%s)", th);
    plot_spec spec = {"causal", title, "sequence length S", "speedup (above 1: causal is faster)", PLOT_LOG2,
                      PLOT_LINEAR, PLOT_NUMBER, PLOT_NUMBER, 1, "1: same time", 1};
    return write_chart(dir, &spec, c, names, n_names, max);
}

/* The head dimension of the most decode runs (ties: the larger; the first 16 dimensions seen); 128 when none. */
static int64_t decode_head_dim(const rep_data *d)
{
    int64_t dims[16], best = 128;
    int counts[16] = {0}, n_dims = 0, best_n = 0;
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *r = &d->runs[i];
        int k = 0;
        while (k < n_dims && dims[k] != r->head_dim)
            k++;
        if (r->q_len != 1 || (k == n_dims && n_dims == 16))
            continue;
        if (k == n_dims)
            dims[n_dims++] = r->head_dim;
        if (++counts[k] > best_n || (counts[k] == best_n && dims[k] > best))
            best = dims[k], best_n = counts[k];
    }
    return best;
}

int rep_write_plots(const rep_data *d, const char *dir, char names[][64], int *n_names, int max_names)
{
    chart *c = malloc(sizeof *c);
    if (!c)
        return -1;
    int rc = 0;
    char title[200], name[64], th[64];
    static const int64_t dhs[] = {32, 64, 128};
    for (int k = 0; k < 3 && rc == 0; k++) {
        selection sel = {0, dhs[k], 0, 1, 0, {0}};
        c->n = 0;
        add_lines(c, d, &sel, v_gflops, "", 0);
        threads_text(d, &sel, th, sizeof th);
        snprintf(title, sizeof title, "Attention GFLOP/s vs S (Dh %lld, MHA, non-causal%s)", (long long)dhs[k], th);
        snprintf(name, sizeof name, "gflops_vs_s_dh%lld", (long long)dhs[k]);
        plot_spec spec = {name, title, "sequence length S (Sq = Skv)", "GFLOP/s", PLOT_LOG2, PLOT_AUTO, PLOT_NUMBER,
                          PLOT_NUMBER, 0, NULL, 1};
        rc = write_chart(dir, &spec, c, names, n_names, max_names);
    }
    selection base = {0, 64, 0, 1, 0, {0}};
    if (rc == 0) {
        c->n = 0;
        add_lines(c, d, &base, v_peak, "", 0);
        threads_text(d, &base, th, sizeof th);
        snprintf(title, sizeof title, "Percent of the measured FMA peak (Dh 64, MHA, non-causal%s)", th);
        plot_spec spec = {"peak_pct_vs_s", title, "sequence length S", "% of peak", PLOT_LOG2, PLOT_LINEAR,
                          PLOT_NUMBER, PLOT_NUMBER, 100, "100% of the peak", 1};
        rc = write_chart(dir, &spec, c, names, n_names, max_names);
    }
    if (rc == 0) {
        c->n = 0;
        add_lines(c, d, &base, v_ws, "", 0);
        /* a zero workspace cannot sit on a log axis: say so in the legend */
        for (int k = 0; k < c->n; k++) {
            int zero = 1;
            for (int i = 0; i < c->s[k].n; i++)
                zero &= c->s[k].y[i] <= 0;
            if (zero)
                snprintf(c->label[k], sizeof c->label[k], "%s (0 B, not drawn)", d->series[c->s[k].style].label);
        }
        plot_spec spec = {"workspace_vs_s", "Workspace vs S (Dh 64, MHA, log-log)", "sequence length S",
                          "workspace bytes", PLOT_LOG2, PLOT_LOG2, PLOT_NUMBER, PLOT_BYTES, 0, NULL, 0};
        rc = write_chart(dir, &spec, c, names, n_names, max_names);
    }
    if (rc == 0)
        rc = thread_scaling(d, c, dir, names, n_names, max_names);
    if (rc == 0)
        rc = causal(d, c, dir, names, n_names, max_names);
    if (rc == 0) {
        c->n = 0;
        selection dec = {1, decode_head_dim(d), 1, 1, 0, {0}}, gqa = dec;
        gqa.mha = 0;
        add_lines(c, d, &dec, v_gbs, "", 0);
        add_lines(c, d, &gqa, v_gbs, " GQA", 1);
        /* the first machine's read bandwidth on the thread count drawn: one thread, or all */
        int t = d->n_machines ? resolve(d, dec).most[0] : 0;
        double bw = !d->n_machines ? 0 : t <= 1 ? rep_ctx_number(&d->machines[0], "mha_read_gbs_1")
                                                : d->machines[0].read_gbs;
        char hl[256];
        snprintf(hl, sizeof hl, "read bandwidth on %s %.1f GB/s (%s)", t <= 1 ? "1 thread" : "all threads", bw,
                 d->n_machines ? d->machines[0].label : "");
        threads_text(d, &dec, th, sizeof th);
        snprintf(title, sizeof title, "Decode (Sq 1, Dh %lld%s): GB/s of Q, K, V, O (GQA: hollow markers)",
                 (long long)dec.head_dim, th);
        plot_spec spec = {"decode_bandwidth", title, "cached keys Skv", "GB/s", PLOT_LOG2, PLOT_LINEAR, PLOT_NUMBER,
                          PLOT_NUMBER, bw, hl, 1};
        rc = write_chart(dir, &spec, c, names, n_names, max_names);
    }
    if (rc == 0)
        rc = rep_write_roofline(d, dir, names, n_names, max_names);
    if (rc == 0)
        rc = rep_write_dtype_plot(d, dir, names, n_names, max_names);
    free(c);
    return rc;
}
