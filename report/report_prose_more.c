/*
 * Opening sentences of the sections that rank many numbers: who wins most
 * prefill points, the highest share of the peak, the largest speedup over
 * naive, the best thread scaling, the fastest full layer, accuracy beside
 * speed. Each number printed is also in the section's table or plot.
 */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int timed(const rep_run *r, const char *kind)
{
    return !r->error[0] && strcmp(r->kind, kind) == 0;
}

void rep_prose_wins(const rep_data *d, FILE *f)
{
    int *wins = calloc((size_t)d->n_series + 1, sizeof *wins), points = 0;
    if (!wins)
        return;
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *r = &d->runs[i];
        if (r->point_first != i || r->q_len == 1 || strcmp(r->kind, "attn") != 0)
            continue; /* one visit per prefill point */
        const rep_run *top = NULL;
        for (int j = r->point_first; j < r->point_end; j++)
            if (d->runs[j].machine == 0 && timed(&d->runs[j], "attn") && (!top || d->runs[j].seconds < top->seconds))
                top = &d->runs[j];
        if (top)
            wins[top->series]++, points++;
    }
    int best = -1;
    for (int s = 0; s < d->n_series; s++)
        if (wins[s] && (best < 0 || wins[s] > wins[best]))
            best = s;
    if (best >= 0)
        fprintf(f, "On %s, %s is the fastest at %d of the %d prefill points timed there (bold: the fastest of each "
                   "row).\n\n", d->machines[0].label, d->series[best].label, wins[best], points);
    free(wins);
}

void rep_prose_peak(const rep_data *d, FILE *f)
{
    const rep_run *best = NULL;
    for (int i = 0; i < d->n_runs; i++)
        if (timed(&d->runs[i], "attn") && rep_peak_pct(d, &d->runs[i]) >= 0 &&
            (!best || rep_peak_pct(d, &d->runs[i]) > rep_peak_pct(d, best)))
            best = &d->runs[i];
    if (!best)
        return;
    char label[160];
    rep_point_label(best, label, sizeof label);
    fprintf(f, "The highest share of the measured peak is %.1f%%: %s at %s. GFLOP/s count only the two matrix "
               "products (4 FLOPs per pair and head dimension); the softmax's exponentials, row maxima and "
               "rescaling take time but count nothing.\n\n", rep_peak_pct(d, best), d->series[best->series].label,
            label);
}

void rep_prose_speedup(const rep_data *d, FILE *f)
{
    const rep_run *best = NULL;
    for (int i = 0; i < d->n_runs; i++) {
        double sp = strcmp(d->runs[i].kind, "attn") == 0 ? rep_speedup_vs_naive(d, &d->runs[i]) : NAN;
        if (!isnan(sp) && (!best || sp > rep_speedup_vs_naive(d, best)))
            best = &d->runs[i];
    }
    if (!best)
        return;
    char label[160];
    rep_point_label(best, label, sizeof label);
    fprintf(f, "The largest speedup over naive is %.1fx: %s at %s (naive %.3g ms, %s %.3g ms).\n\n",
            rep_speedup_vs_naive(d, best), d->series[best->series].label, label, 1e3 * rep_naive_twin(d, best)->seconds,
            d->series[best->series].label, 1e3 * best->seconds);
}

void rep_prose_threads(const rep_data *d, FILE *f)
{
    int *order = rep_order_by_shape(d);
    if (!order)
        return;
    /* per shape, the 1-thread run of each causal setting comes before the runs on more threads */
    const rep_run *one[2] = {NULL, NULL}, *best_one = NULL, *best_many = NULL;
    for (int k = 0; k < d->n_runs; k++) {
        const rep_run *r = &d->runs[order[k]];
        if (!timed(r, "attn"))
            continue;
        if (r->threads == 1) {
            one[r->causal] = r;
            continue;
        }
        const rep_run *o = one[r->causal];
        if (o && rep_same_shape(o, r) &&
            (!best_many || o->seconds / r->seconds > best_one->seconds / best_many->seconds))
            best_one = o, best_many = r;
    }
    free(order);
    if (!best_many) {
        fprintf(f, "No implementation was timed on one thread and on more at the same point in these results.\n\n");
        return;
    }
    char label[160];
    rep_point_label(best_many, label, sizeof label);
    fprintf(f, "The best scaling: %s takes %.3g ms on one thread and %.3g ms on %d at %s, %.2fx faster (ideal "
               "%dx).\n\n", d->series[best_one->series].label, 1e3 * best_one->seconds, 1e3 * best_many->seconds,
            best_many->threads, label, best_one->seconds / best_many->seconds, best_many->threads);
}

void rep_prose_layer(const rep_data *d, FILE *f)
{
    const rep_run *best = NULL;
    for (int i = 0; i < d->n_runs; i++)
        if (timed(&d->runs[i], "layer") && (!best || rep_gflops(&d->runs[i]) > rep_gflops(best)))
            best = &d->runs[i];
    if (!best)
        return;
    char label[160];
    rep_point_label(best, label, sizeof label);
    fprintf(f, "The fastest full layer (projections and attention) is %s at %s: %.2f GFLOP/s.\n\n",
            d->series[best->series].label, label, rep_gflops(best));
}

void rep_prose_accuracy(const rep_data *d, FILE *f)
{
    const rep_accuracy *worst = NULL;
    for (int i = 0; i < d->n_accuracy; i++)
        if (!worst || d->accuracy[i].max_error_units > worst->max_error_units)
            worst = &d->accuracy[i];
    if (!worst)
        return;
    int failed = 0; /* implementations with a failed case */
    for (int i = 0; i < d->n_accuracy; i++)
        failed += d->accuracy[i].failed > 0;
    fprintf(f, "%d of %d checked implementation%s failed a case; the largest error is %.2f times naive's "
               "(%s, case %s).\n\n",
            failed, d->n_accuracy, d->n_accuracy == 1 ? "" : "s", worst->max_error_units, worst->impl,
            worst->worst_case[0] ? worst->worst_case : "-");
}
