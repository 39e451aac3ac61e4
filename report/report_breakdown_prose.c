/*
 * The paragraph that opens the GEMM-path breakdown: each phase's share at
 * the largest point, how the softmax's share moves with S, the softmax
 * against QK^T per score with the size of the score block they pass
 * between them, and the spread between implementations of the phase they
 * share (the softmax) and of the ones they do not (the products). Every
 * number is in the section's table or follows from the point's shape.
 */
#include "impl/gemm/gemm_head.h" /* MHA_GEMM_ROW_BLOCK: the rows of one score block */
#include "report.h"

#include <string.h>

static int timed(const rep_breakdown *b)
{
    return !b->run.error[0] && b->run.seconds > 0;
}

/* Same machine, threads, batch, heads, kv heads and Dh (S may differ)? */
static int same_sweep(const rep_run *a, const rep_run *b)
{
    return a->machine == b->machine && a->threads == b->threads && a->batch == b->batch && a->heads == b->heads &&
           a->kv_heads == b->kv_heads && a->head_dim == b->head_dim && a->causal == b->causal;
}

/* The subject: the first machine with a timed breakdown, at its most threads, the largest S, the fastest call. */
static const rep_breakdown *subject(const rep_data *d)
{
    int machine = -1;
    for (int i = 0; i < d->n_breakdowns; i++)
        if (timed(&d->breakdowns[i]) && (machine < 0 || d->breakdowns[i].run.machine < machine))
            machine = d->breakdowns[i].run.machine;
    const int most = machine < 0 ? 0 : rep_breakdown_most_threads(d, machine);
    const rep_breakdown *best = NULL;
    for (int i = 0; i < d->n_breakdowns; i++) {
        const rep_breakdown *b = &d->breakdowns[i];
        if (!timed(b) || b->run.machine != machine || b->run.threads != most)
            continue;
        if (!best || b->run.kv_len > best->run.kv_len ||
            (b->run.kv_len == best->run.kv_len && b->run.seconds < best->run.seconds))
            best = b;
    }
    return best;
}

/* The subject implementation's timed entry of the same sweep with the smallest S, or NULL. */
static const rep_breakdown *smallest(const rep_data *d, const rep_breakdown *s)
{
    const rep_breakdown *low = NULL;
    for (int i = 0; i < d->n_breakdowns; i++) {
        const rep_breakdown *b = &d->breakdowns[i];
        if (timed(b) && strcmp(b->run.impl, s->run.impl) == 0 && same_sweep(&b->run, &s->run) &&
            b->run.q_len == b->run.kv_len && (!low || b->run.kv_len < low->run.kv_len))
            low = b;
    }
    return low;
}

static double share(const rep_breakdown *b, double seconds)
{
    return 100.0 * seconds / b->run.seconds;
}

static double softmax_of(const rep_breakdown *b) { return b->softmax; }
static double qk_of(const rep_breakdown *b) { return b->qk; }

/* The fastest and slowest implementation at s's point in one phase; returns how many were timed there. */
static int phase_range(const rep_data *d, const rep_breakdown *s, double (*phase)(const rep_breakdown *),
                       const rep_breakdown **lo, const rep_breakdown **hi)
{
    int n = 0;
    *lo = *hi = NULL;
    for (int i = 0; i < d->n_breakdowns; i++) {
        const rep_breakdown *b = &d->breakdowns[i];
        if (!timed(b) || b->run.machine != s->run.machine || !rep_same_point(&b->run, &s->run))
            continue;
        if (!*lo || phase(b) < phase(*lo))
            *lo = b;
        if (!*hi || phase(b) > phase(*hi))
            *hi = b;
        n++;
    }
    return n;
}

void rep_prose_breakdown(const rep_data *d, FILE *f)
{
    const rep_breakdown *s = subject(d);
    if (!s) {
        fprintf(f, "No GEMM-path call was timed.\n\n");
        return;
    }
    const rep_run *r = &s->run;
    char point[160];
    rep_point_label(r, point, sizeof point);
    if (d->n_machines > 1)
        fprintf(f, "On %s, at ", d->machines[r->machine].label);
    else
        fprintf(f, "At ");
    char t[4][32];
    rep_ms_text(r->seconds, t[0], sizeof t[0]);
    fprintf(f, "%s, the largest point timed, the fastest GEMM-path call is %s's at %s: QKᵀ %.0f%%, softmax %.0f%%, "
               "PV %.0f%% and %.0f%% in no phase (packing K and V where the implementation does, the output check, "
               "threads).",
            point, r->impl, t[0], share(s, s->qk), share(s, s->softmax), share(s, s->pv),
            share(s, rep_breakdown_other(s)));
    const rep_breakdown *low = smallest(d, s);
    if (low && low->run.kv_len < r->kv_len)
        fprintf(f, " Its softmax share is %.0f%% at S=%lld and %.0f%% at S=%lld.", share(low, low->softmax),
                (long long)low->run.kv_len, share(s, s->softmax), (long long)r->kv_len);
    if (s->qk > 0) {
        const double block = (double)MHA_GEMM_ROW_BLOCK * (double)r->kv_len * 4.0;
        char bytes[32];
        rep_bytes_text(block, bytes, sizeof bytes);
        fprintf(f, " The softmax takes %.2fx the time of QKᵀ, which does 2·Dh = %lld FLOPs per score against the "
                   "softmax's maximum, exponential, sum and scaling; the block of scores QKᵀ writes, the softmax "
                   "reads and rewrites and PV reads is %d rows x %lld keys x 4 B = %s",
                s->softmax / s->qk, 2 * (long long)r->head_dim, MHA_GEMM_ROW_BLOCK, (long long)r->kv_len, bytes);
        const double l2 = rep_ctx_number(&d->machines[r->machine], "mha_l2_bytes");
        char l2t[32];
        rep_bytes_text(l2, l2t, sizeof l2t);
        if (l2 > 0)
            fprintf(f, ", %s this machine's %s L2", block > l2 ? "larger than" : "within", l2t);
        fprintf(f, ".");
    }
    const rep_breakdown *lo, *hi, *qlo, *qhi;
    if (phase_range(d, s, softmax_of, &lo, &hi) > 1 && phase_range(d, s, qk_of, &qlo, &qhi) > 1) {
        rep_ms_text(lo->softmax, t[0], sizeof t[0]);
        rep_ms_text(hi->softmax, t[1], sizeof t[1]);
        rep_ms_text(qlo->qk, t[2], sizeof t[2]);
        rep_ms_text(qhi->qk, t[3], sizeof t[3]);
        fprintf(f, " The softmax is the same code in every GEMM-path implementation (impl/gemm/gemm_head.c): here "
                   "it takes from %s (%s) to %s (%s); QKᵀ, each one's own product, from %s (%s) to %s (%s).",
                t[0], lo->run.impl, t[1], hi->run.impl, t[2], qlo->run.impl, t[3], qhi->run.impl);
    }
    fprintf(f, "\n\n");
}
