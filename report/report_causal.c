/*
 * Causal attention in time: a causal run against the non-causal run of the
 * same implementation and point. Its GFLOP/s count only the visible pairs,
 * so they hide that causal takes less time; the speedup in time does not.
 */
#include "report.h"
#include "shapes_math.h"

#include <math.h>
#include <string.h>

const rep_run *rep_causal_twin(const rep_data *d, const rep_run *r)
{
    if (!r->causal)
        return NULL;
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *o = &d->runs[i];
        if (o->series == r->series && !o->causal && strcmp(o->kind, r->kind) == 0 && o->batch == r->batch &&
            o->heads == r->heads && o->kv_heads == r->kv_heads && o->q_len == r->q_len && o->kv_len == r->kv_len &&
            o->head_dim == r->head_dim && o->threads == r->threads)
            return o;
    }
    return NULL;
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
