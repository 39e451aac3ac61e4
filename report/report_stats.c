/* Repetitions of one benchmark entry: median and spread (report.h). */
#include "report.h"

#include <stdlib.h>
#include <string.h>

void rep_stats_first(rep_run *r)
{
    r->reps = 0;
    if (!r->error[0])
        r->rep_seconds[r->reps++] = r->seconds;
}

void rep_stats_add(rep_run *stored, const rep_run *repetition)
{
    if (repetition->error[0])
        return;                 /* a failed repetition beside timed ones: the timed ones count */
    if (stored->error[0]) {     /* the first timed repetition replaces an error */
        *stored = *repetition;
        rep_stats_first(stored);
        return;
    }
    if (stored->reps < REPORT_MAX_REPS)
        stored->rep_seconds[stored->reps++] = repetition->seconds;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void rep_stats_finish(rep_data *d)
{
    for (int i = 0; i < d->n_runs; i++) {
        rep_run *r = &d->runs[i];
        if (r->error[0] || r->reps == 0)
            continue;
        double t[REPORT_MAX_REPS];
        memcpy(t, r->rep_seconds, (size_t)r->reps * sizeof t[0]);
        qsort(t, (size_t)r->reps, sizeof t[0], cmp_double);
        r->min_seconds = t[0];
        r->max_seconds = t[r->reps - 1];
        r->seconds = r->reps % 2 ? t[r->reps / 2] : 0.5 * (t[r->reps / 2 - 1] + t[r->reps / 2]);
    }
}

double rep_spread(const rep_run *r)
{
    if (r->error[0] || r->reps < 2 || r->seconds <= 0)
        return 0;
    return (r->max_seconds - r->min_seconds) / r->seconds;
}
