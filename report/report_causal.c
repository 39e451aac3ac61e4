/*
 * Causal attention in time: a causal run against the non-causal run of the
 * same implementation and point. Its GFLOP/s count only the visible pairs,
 * so they hide that causal takes less time; the speedup in time does not.
 */
#include "report.h"
#include "shapes_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const rep_run *sort_base;

/* series, kind, dtype, B, H, Hkv, Sq, Skv, Dh, then threads, then causal */
static int by_shape(const void *pa, const void *pb)
{
    const rep_run *a = &sort_base[*(const int *)pa], *b = &sort_base[*(const int *)pb];
    const int64_t ka[10] = {a->series, a->dtype, a->batch, a->heads, a->kv_heads, a->q_len, a->kv_len, a->head_dim,
                            a->threads, a->causal};
    const int64_t kb[10] = {b->series, b->dtype, b->batch, b->heads, b->kv_heads, b->q_len, b->kv_len, b->head_dim,
                            b->threads, b->causal};
    int k = strcmp(a->kind, b->kind);
    for (int i = 0; i < 10 && !k; i++)
        if (ka[i] != kb[i])
            k = ka[i] < kb[i] ? -1 : 1;
    return k;
}

int *rep_order_by_shape(const rep_data *d)
{
    int *order = malloc(((size_t)d->n_runs + 1) * sizeof *order);
    if (!order)
        return NULL;
    for (int i = 0; i < d->n_runs; i++)
        order[i] = i;
    sort_base = d->runs;
    qsort(order, (size_t)d->n_runs, sizeof *order, by_shape);
    return order;
}

int rep_same_shape(const rep_run *a, const rep_run *b)
{
    return a->series == b->series && strcmp(a->kind, b->kind) == 0 && a->dtype == b->dtype && a->batch == b->batch &&
           a->heads == b->heads &&
           a->kv_heads == b->kv_heads && a->q_len == b->q_len && a->kv_len == b->kv_len &&
           a->head_dim == b->head_dim;
}

int rep_causal_link(rep_data *d)
{
    int *order = rep_order_by_shape(d);
    if (!order)
        return -1;
    for (int i = 0; i < d->n_runs; i++)
        d->runs[i].causal_twin = -1;
    /* a causal run follows its non-causal twin (same shape and threads) in this order */
    for (int i = 1; i < d->n_runs; i++) {
        rep_run *a = &d->runs[order[i - 1]], *b = &d->runs[order[i]];
        if (!a->causal && b->causal && rep_same_shape(a, b) && a->threads == b->threads)
            b->causal_twin = order[i - 1];
    }
    free(order);
    return 0;
}

const rep_run *rep_causal_twin(const rep_data *d, const rep_run *r)
{
    return r->causal && r->causal_twin >= 0 ? &d->runs[r->causal_twin] : NULL;
}

double rep_causal_speedup(const rep_data *d, const rep_run *r)
{
    const rep_run *t = rep_causal_twin(d, r);
    return t && !t->error[0] && !r->error[0] && r->seconds > 0 ? t->seconds / r->seconds : NAN;
}

double rep_causal_ideal(const rep_run *r)
{
    return (double)r->q_len * (double)r->kv_len / shapes_causal_pairs(r->q_len, r->kv_len);
}

void rep_write_causal(const rep_data *d, FILE *f)
{
    int n = 0;
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *r = &d->runs[i];
        double sp = strcmp(r->kind, "attn") == 0 ? rep_causal_speedup(d, r) : NAN;
        if (isnan(sp))
            continue;
        if (!n++)
            fprintf(f, "| implementation | point | non-causal | causal | speedup in time | ideal | time saved | "
                       "ideal saving |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        char label[160];
        rep_point_label(r, label, sizeof label);
        const rep_run *t = rep_causal_twin(d, r);
        double ideal = rep_causal_ideal(r);
        fprintf(f, "| %s | %s | %.3g ms | %.3g ms | %.2fx | %.2fx | %.0f%% | %.0f%% |\n", d->series[r->series].label,
                label, 1e3 * t->seconds, 1e3 * r->seconds, sp, ideal, 100.0 * (1 - 1 / sp), 100.0 * (1 - 1 / ideal));
    }
    fprintf(f, n ? "\n" : "(no causal point with a non-causal twin in these results)\n\n");
}
