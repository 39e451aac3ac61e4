/*
 * Accuracy against speed, per dtype: every timed attention run that
 * carries its checked error (the counter "max_abs_error" of mha-bench and
 * the peer scripts: max |O - float64 reference| over the rows
 * bench/refcheck.c picks, the reference computed from the inputs as
 * rounded to the dtype) at a shape where the same machine timed a bf16 or
 * fp16 run; fp32 runs of the same shape stand beside them as the baseline.
 */
#include "plot.h"
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Series in the plot: (implementation, dtype) pairs, at most this many points each. */
#define MAX_SERIES 96
#define MAX_POINTS 128
/* The PNG beside the SVG: twice the SVG's size, as the teaching pictures. */
#define DTYPE_PNG_SCALE 2.0

static int low_precision(const rep_run *r)
{
    return r->dtype != MHA_F32;
}

/* Timed attention with a measured error. */
static int measured(const rep_run *r)
{
    return strcmp(r->kind, "attn") == 0 && !r->error[0] && r->seconds > 0 && r->max_abs_error >= 0;
}

/* Same shape, dtype aside (kind, dimensions, causal, threads). */
static int same_shape_any_dtype(const rep_run *a, const rep_run *b)
{
    rep_run x = *a;
    x.dtype = b->dtype;
    return strcmp(a->kind, b->kind) == 0 && rep_same_point(&x, b);
}

/*
 * For each run: 1 when it is in the section, a measured run at a shape where the same machine measured a
 * bf16 or fp16 run too (itself, or an fp32 baseline). rep_finish sorts runs of one shape next to each other
 * whatever their dtype (the dtype is the last key before the implementation), so one pass over those blocks
 * does it. malloc'ed; NULL when out of memory.
 */
static unsigned char *section_flags(const rep_data *d)
{
    unsigned char *in = calloc((size_t)d->n_runs + 1, 1);
    if (!in)
        return NULL;
    for (int first = 0, end; first < d->n_runs; first = end) {
        unsigned machines = 0; /* bit m: machine m measured a bf16 or fp16 run of this shape */
        for (end = first; end < d->n_runs && same_shape_any_dtype(&d->runs[end], &d->runs[first]); end++)
            if (low_precision(&d->runs[end]) && measured(&d->runs[end]))
                machines |= 1u << d->runs[end].machine;
        for (int i = first; i < end; i++)
            in[i] = measured(&d->runs[i]) && (machines >> d->runs[i].machine & 1u);
    }
    return in;
}

/* The point's label without its dtype (the table has a dtype column). */
static void shape_label(const rep_run *r, char *buf, size_t size)
{
    rep_run x = *r;
    x.dtype = MHA_F32;
    rep_point_label(&x, buf, size);
}

static void write_table(const rep_data *d, const unsigned char *in, FILE *f)
{
    fprintf(f, "| implementation | dtype | point | time (us) | GFLOP/s | max abs error | error / bound |\n"
               "| --- | --- | --- | ---: | ---: | ---: | ---: |\n");
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *r = &d->runs[i];
        if (!in[i])
            continue;
        char point[160], ratio[32] = "-";
        shape_label(r, point, sizeof point);
        if (r->error_bound > 0)
            snprintf(ratio, sizeof ratio, "%.3g", r->max_abs_error / r->error_bound);
        fprintf(f, "| %s | %s | %s | %.1f | %.2f | %.3g | %s |\n", d->series[r->series].label,
                mha_dtype_name((mha_dtype)r->dtype), point, r->seconds * 1e6, rep_gflops(r), r->max_abs_error, ratio);
    }
    fprintf(f, "\n");
}

/* Of dtype: the point with the most measured runs (then the most FLOPs); a run there, or NULL. */
static const rep_run *busiest_point(const rep_data *d, int dtype)
{
    const rep_run *best = NULL;
    int best_n = 0;
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *r = &d->runs[i];
        if (r->dtype != dtype || !measured(r))
            continue;
        int n = 0;
        for (int j = r->point_first; j < r->point_end; j++)
            n += measured(&d->runs[j]);
        if (n > best_n || (n == best_n && rep_flops(r) > rep_flops(best)))
            best = r, best_n = n;
    }
    return best;
}

/* The fastest (rank 0) or second (1) measured run at p's point. */
static const rep_run *ranked(const rep_data *d, const rep_run *p, int rank)
{
    const rep_run *first = NULL, *second = NULL;
    for (int i = p->point_first; i < p->point_end; i++) {
        const rep_run *r = &d->runs[i];
        if (!measured(r))
            continue;
        if (!first || r->seconds < first->seconds)
            second = first, first = r;
        else if (!second || r->seconds < second->seconds)
            second = r;
    }
    return rank == 0 ? first : second;
}

/* One sentence per low-precision dtype: the fastest at its busiest point and the range of its errors. */
static void write_prose(const rep_data *d, const unsigned char *in, FILE *f)
{
    for (int t = MHA_BF16; t < MHA_DTYPE_COUNT; t++) {
        const rep_run *p = busiest_point(d, t);
        if (!p)
            continue;
        const char *name = mha_dtype_name((mha_dtype)t);
        const rep_run *a = ranked(d, p, 0), *b = ranked(d, p, 1), *worst = NULL, *best = NULL;
        double fp32_worst = -1;
        int n = 0;
        for (int i = 0; i < d->n_runs; i++) {
            const rep_run *r = &d->runs[i];
            if (!in[i])
                continue;
            if (r->dtype == MHA_F32) {
                fp32_worst = fmax(fp32_worst, r->max_abs_error);
                continue;
            }
            if (r->dtype != t)
                continue;
            n++;
            if (!worst || r->max_abs_error > worst->max_abs_error)
                worst = r;
            if (!best || r->max_abs_error < best->max_abs_error)
                best = r;
        }
        char label[160];
        shape_label(p, label, sizeof label);
        fprintf(f, "In %s, at %s, %s is the fastest: %.2f GFLOP/s with a max abs error of %.3g", name, label,
                d->series[a->series].label, rep_gflops(a), a->max_abs_error);
        if (b)
            fprintf(f, "; %s follows at %.2f GFLOP/s (%.1fx slower) with %.3g", d->series[b->series].label,
                    rep_gflops(b), b->seconds / a->seconds, b->max_abs_error);
        if (n == 1)
            fprintf(f, ". It is the only %s run", name);
        else
            fprintf(f, ". Over the %d %s runs the max abs error goes from %.3g (%s) to %.3g (%s)", n, name,
                    best->max_abs_error, d->series[best->series].label, worst->max_abs_error,
                    d->series[worst->series].label);
        if (fp32_worst > 0)
            fprintf(f, "%s %.0fx the largest fp32 error at the same points (%.3g)", n == 1 ? "; its error is" : ",",
                    worst->max_abs_error / fp32_worst, fp32_worst);
        fprintf(f, ".\n\n");
    }
}

void rep_write_dtype(const rep_data *d, FILE *f)
{
    int any = 0;
    for (int i = 0; i < d->n_runs; i++)
        any |= low_precision(&d->runs[i]) && measured(&d->runs[i]);
    unsigned char *in = any ? section_flags(d) : NULL;
    if (any && !in) {
        fprintf(f, "(out of memory)\n\n");
    } else if (any) {
        write_prose(d, in, f);
        fprintf(f, "Every timed attention run at a point where its machine timed a bf16 or fp16 run, fp32 runs of\n"
                   "the same point beside them. max abs error: max |O - reference| over the rows checked before timing\n"
                   "(every row of a small shape, else 8 from the first to the last), the float64 reference computed\n"
                   "from the inputs as rounded to the dtype; the same formula for mhalab and the peers. error /\n"
                   "bound: that error over the bound it was checked against (bench/refcheck.h; a peer's bf16 or\n"
                   "fp16 output adds its own rounding). The inputs are uniform in [-1, 1): mha-bench's and the\n"
                   "peers' come from different generators, so errors compare as statistics, not element by\n"
                   "element.\n\n");
        write_table(d, in, f);
    } else {
        fprintf(f, "No bf16 or fp16 run with a measured error in these results (mha-bench's dtype family;\n"
                   "the PyTorch peer: `tools/run.sh --with-torch`).\n\n");
    }
    free(in);
    fprintf(f, "![accuracy against speed, per dtype](dtype_accuracy.svg)\n\n");
#ifdef MHA_HAVE_CAIRO
    fprintf(f, "The same plot as a picture: [dtype_accuracy.png](dtype_accuracy.png).\n\n");
#endif
}

/* The style whose colour is implementation s's (colour s mod 12, as in every plot) and whose marker is
 * dtype t's: styles cycle colours mod 12 and markers mod 7, so one of 0..83 has both (12 and 7 are coprime). */
static int style_for(int s, int t)
{
    for (int i = s % PLOT_PALETTE_SIZE;; i += PLOT_PALETTE_SIZE)
        if (i % PLOT_MARKER_COUNT == t)
            return i;
}

typedef struct dtype_chart {
    plot_series s[MAX_SERIES];
    double x[MAX_SERIES][MAX_POINTS], y[MAX_SERIES][MAX_POINTS];
    char label[MAX_SERIES][224];
    int n;
} dtype_chart;

/* Writes the scene to dir/name as SVG (png 0) or PNG (png 1); 0, or -1. */
static int write_scene(const scene *g, const char *dir, const char *name, int png, char names[][64], int *n_names,
                       int max_names)
{
    char path[8448], err[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, png ? "wb" : "w");
    if (!f)
        return -1;
    int rc = png ? scene_write_png(g, f, DTYPE_PNG_SCALE, err, sizeof err) : scene_write_svg(g, f);
    if (fclose(f) != 0)
        rc = -1;
    if (rc == 0 && *n_names < max_names)
        snprintf(names[(*n_names)++], 64, "%s", name);
    return rc;
}

int rep_write_dtype_plot(const rep_data *d, const char *dir, char names[][64], int *n_names, int max_names)
{
    dtype_chart *c = calloc(1, sizeof *c);
    unsigned char *in = section_flags(d);
    if (!c || !in) {
        free(c);
        free(in);
        return -1;
    }
    for (int s = 0; s < d->n_series; s++)
        for (int t = 0; t < MHA_DTYPE_COUNT && c->n < MAX_SERIES; t++) {
            int k = c->n, n = 0;
            for (int i = 0; i < d->n_runs && n < MAX_POINTS; i++) {
                const rep_run *r = &d->runs[i];
                if (r->series != s || r->dtype != t || !in[i])
                    continue;
                c->x[k][n] = rep_gflops(r);
                c->y[k][n] = r->max_abs_error;
                n++;
            }
            if (!n)
                continue;
            snprintf(c->label[k], sizeof c->label[k], "%s %s", d->series[s].label, mha_dtype_name((mha_dtype)t));
            c->s[k] = (plot_series){c->label[k], c->x[k], c->y[k], n, style_for(s, t), 1, 0, 0};
            c->n++;
        }
    plot_spec spec = {"dtype_accuracy",
                      "Accuracy against speed, per dtype (marker: dtype, colour: implementation)",
                      "GFLOP/s",
                      "max abs error against the float64 reference",
                      PLOT_LOG10,
                      PLOT_LOG10,
                      PLOT_NUMBER,
                      PLOT_NUMBER,
                      0,
                      NULL,
                      0};
    scene g;
    plot_lines(&g, &spec, c->s, c->n);
    free(c);
    free(in);
    int rc = g.failed ? -1 : write_scene(&g, dir, "dtype_accuracy.svg", 0, names, n_names, max_names);
#ifdef MHA_HAVE_CAIRO
    if (rc == 0)
        rc = write_scene(&g, dir, "dtype_accuracy.png", 1, names, n_names, max_names);
#endif
    scene_free(&g);
    return rc;
}
