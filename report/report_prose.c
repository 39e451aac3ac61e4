/*
 * The paragraph that opens each section of the report: sentences built
 * from the measured numbers (which implementation is fastest where, by how
 * much, and what the shape says about why: the bytes of the score matrix,
 * the machine's balance of FLOPs and bandwidth, the pairs a causal mask
 * hides). Every number printed here is also in a table or a plot.
 */
#include "report.h"
#include "shapes_math.h"

#include <math.h>
#include <string.h>

static int timed_attn(const rep_run *r)
{
    return !r->error[0] && strcmp(r->kind, "attn") == 0;
}

/* Timed runs of machine 0 at the point of run p (the point's group). */
static int timed_at(const rep_data *d, const rep_run *p)
{
    int n = 0;
    for (int i = p->point_first; i < p->point_end; i++)
        n += d->runs[i].machine == 0 && timed_attn(&d->runs[i]);
    return n;
}

const rep_run *rep_headline(const rep_data *d)
{
    const rep_run *best = NULL;
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *r = &d->runs[i];
        if (!timed_attn(r) || r->machine != 0 || r->causal || r->q_len != r->kv_len || timed_at(d, r) < 2)
            continue;
        if (!best || r->kv_len > best->kv_len || (r->kv_len == best->kv_len && r->threads > best->threads) ||
            (r->kv_len == best->kv_len && r->threads == best->threads && r->kv_heads == r->heads &&
             best->kv_heads != best->heads))
            best = r;
    }
    return best;
}

/* The fastest (rank 0), second (1) or slowest (-1) timed run of machine 0 at p's point. */
static const rep_run *ranked(const rep_data *d, const rep_run *p, int rank)
{
    const rep_run *first = NULL, *second = NULL, *last = NULL;
    for (int i = p->point_first; i < p->point_end; i++) {
        const rep_run *r = &d->runs[i];
        if (r->machine != 0 || !timed_attn(r))
            continue;
        if (!first || r->seconds < first->seconds)
            second = first, first = r;
        else if (!second || r->seconds < second->seconds)
            second = r;
        if (!last || r->seconds > last->seconds)
            last = r;
    }
    return rank == 0 ? first : rank == 1 ? second : last;
}

/* "keeps the score matrix of a head (64 MiB) in its 64 MiB workspace" or "never holds it (workspace 96 KiB)" */
static void score_clause(const rep_data *d, const rep_run *r, double score, FILE *f)
{
    char ws[32];
    rep_bytes_text(r->workspace, ws, sizeof ws);
    if (r->workspace >= score)
        fprintf(f, "%s asks for a %s workspace, room for the whole score matrix", d->series[r->series].label, ws);
    else
        fprintf(f, "%s never holds the whole score matrix: its workspace is %s", d->series[r->series].label, ws);
}

void rep_prose_gflops(const rep_data *d, FILE *f)
{
    const rep_run *p = rep_headline(d);
    if (!p) {
        fprintf(f, "No point has two implementations timed on the same machine: nothing to compare.\n\n");
        return;
    }
    const rep_run *a = ranked(d, p, 0), *b = ranked(d, p, 1), *z = ranked(d, p, -1);
    char label[160];
    rep_point_label(p, label, sizeof label);
    fprintf(f, "At %s, the largest point timed by two or more implementations, %s is the fastest: %.2f GFLOP/s, "
               "%.1fx %s (%.2f GFLOP/s)", label, d->series[a->series].label, rep_gflops(a),
            b->seconds / a->seconds, d->series[b->series].label, rep_gflops(b));
    if (z != b)
        fprintf(f, " and %.1fx %s (%.2f GFLOP/s)", z->seconds / a->seconds, d->series[z->series].label, rep_gflops(z));
    fprintf(f, ".");
    /* one head's S x S scores in fp32: what an implementation that forms QK^T whole must write and read back */
    double score = shapes_score_matrix_bytes(1, p->q_len, p->kv_len);
    char sb[32];
    rep_bytes_text(score, sb, sizeof sb);
    fprintf(f, " The score matrix QKᵀ of one head is Sq x Skv x 4 bytes = %s here", sb);
    /* the fastest one whose workspace holds a head's scores, when the fastest of all does not */
    const rep_run *holder = NULL;
    for (int i = p->point_first; i < p->point_end && a->workspace >= 0 && a->workspace < score; i++) {
        const rep_run *r = &d->runs[i];
        if (r->machine == 0 && timed_attn(r) && r->workspace >= score && (!holder || r->seconds < holder->seconds))
            holder = r;
    }
    if (a->workspace >= 0) {
        fprintf(f, "; ");
        score_clause(d, a, score, f);
    }
    if (holder) {
        fprintf(f, ", while ");
        score_clause(d, holder, score, f);
        fprintf(f, " and takes %.1fx as long", holder->seconds / a->seconds);
    }
    fprintf(f, ". An implementation that writes the scores out and reads them back moves those bytes through "
               "memory twice per head; one that keeps a tile of them in registers and cache does not.\n\n");
}

void rep_prose_machines(const rep_data *d, FILE *f)
{
    for (int m = 0; m < d->n_machines; m++) {
        const rep_machine *mc = &d->machines[m];
        if (mc->peak_gflops_all > 0 && mc->read_gbs > 0)
            fprintf(f, "%s: %.1f GFLOP/s of fp32 FMA on all cores against %.1f GB/s read from memory, so a kernel "
                       "must do %.1f FLOPs per byte it reads to be limited by arithmetic rather than by memory (the "
                       "knee of the roofline).\n\n",
                    mc->label, mc->peak_gflops_all, mc->read_gbs, mc->peak_gflops_all / mc->read_gbs);
    }
}

void rep_prose_roofline(const rep_data *d, FILE *f)
{
    const rep_run *p = rep_headline(d);
    const rep_machine *m = d->n_machines ? &d->machines[0] : NULL;
    if (!p || !m || !(m->read_gbs > 0) || !(m->peak_gflops_all > 0))
        return;
    double bytes = shapes_attention_bytes(p->batch, p->heads, p->kv_heads, p->q_len, p->kv_len, p->head_dim);
    double ai = rep_flops(p) / bytes, knee = m->peak_gflops_all / m->read_gbs;
    char label[160];
    rep_point_label(p, label, sizeof label);
    fprintf(f, "At %s attention does %.1f FLOPs per byte of Q, K, V and O, %s the knee at %.1f: ", label, ai,
            ai >= knee ? "above" : "below", knee);
    if (ai >= knee)
        fprintf(f, "an implementation that reads each input once could reach the compute roof; one that writes "
                   "and reads back the score matrix adds bytes and slides left of its point.\n\n");
    else
        fprintf(f, "memory bandwidth bounds it, whatever the arithmetic.\n\n");
}

void rep_prose_causal(const rep_data *d, FILE *f)
{
    const rep_run *best = NULL, *worst = NULL;
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *r = &d->runs[i];
        double sp = rep_causal_speedup(d, r);
        if (isnan(sp) || strcmp(r->kind, "attn") != 0 || r->q_len == 1)
            continue;
        if (!best || r->kv_len > best->kv_len || (r->kv_len == best->kv_len && sp > rep_causal_speedup(d, best)))
            best = r;
    }
    for (int i = 0; best && i < d->n_runs; i++) {
        const rep_run *r = &d->runs[i];
        double sp = rep_causal_speedup(d, r);
        if (!isnan(sp) && strcmp(r->kind, "attn") == 0 && rep_same_point(r, best) && r->machine == best->machine &&
            (!worst || sp < rep_causal_speedup(d, worst)))
            worst = r;
    }
    if (!best) {
        fprintf(f, "No causal point has a non-causal twin (same implementation and shape) in these results.\n\n");
        return;
    }
    char label[160];
    rep_point_label(best, label, sizeof label);
    double ideal = rep_causal_ideal(best);
    fprintf(f, "A causal mask leaves %.0f of the %.0f (query, key) pairs visible, so skipping the masked ones could "
               "make a call %.2fx faster in time. At %s, causal %s takes %.3g ms against %.3g ms non-causal: "
               "%.2fx faster",
            shapes_causal_pairs(best->q_len, best->kv_len), (double)best->q_len * (double)best->kv_len, ideal, label,
            d->series[best->series].label, 1e3 * best->seconds, 1e3 * rep_causal_twin(d, best)->seconds,
            rep_causal_speedup(d, best));
    if (worst && worst != best) {
        double sw = rep_causal_speedup(d, worst);
        fprintf(f, "; %s is %.2fx (%s)", d->series[worst->series].label, sw,
                sw < 0.995 ? "slower with the mask than without it"
                : sw < 1.005 ? "the mask saves it no time" : "it saves less of the masked work");
    }
    fprintf(f, ". Its GFLOP/s count only the visible pairs, so they hide this; the table and the plot below are "
               "in time.\n\n");
}

void rep_prose_decode(const rep_data *d, FILE *f)
{
    const rep_run *best = NULL;
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *r = &d->runs[i];
        if (!timed_attn(r) || r->q_len != 1 || r->machine != 0)
            continue;
        if (!best || r->kv_len > best->kv_len || (r->kv_len == best->kv_len && rep_gbs(r) > rep_gbs(best)))
            best = r;
    }
    if (!best)
        return;
    char label[160], kv[32];
    rep_point_label(best, label, sizeof label);
    /* K and V: Skv keys and values of Dh elements (4 bytes fp32, 2 bf16 or fp16) for each of the Hkv heads */
    rep_bytes_text(2.0 * rep_elem_bytes(best) * (double)best->batch * (double)best->kv_heads * (double)best->kv_len *
                       (double)best->head_dim, kv, sizeof kv);
    /* the read bandwidth measured on the point's thread count: one thread, or all */
    double bw = best->threads <= 1 ? rep_ctx_number(&d->machines[0], "mha_read_gbs_1") : d->machines[0].read_gbs;
    fprintf(f, "A decode step reads all of K and V for one query: %s at %s, and does only 4 FLOPs per pair, so it "
               "is bound by bandwidth. %s moves %.1f GB/s there", kv, label, d->series[best->series].label,
            rep_gbs(best));
    if (bw > 0)
        fprintf(f, ", %.0f%% of the %.1f GB/s read bandwidth measured on %s", 100.0 * rep_gbs(best) / bw, bw,
                best->threads <= 1 ? "one thread" : "all threads");
    int res = rep_kv_cache_resident(d, best);
    if (res == 1)
        fprintf(f, "; K and V fit in the last-level caches, so the figure may exceed what memory delivers");
    fprintf(f, ".\n\n");
}

/* How a series' workspace grows with S at Dh 64, MHA, non-causal: the exponent between its smallest and largest S. */
static double growth(const rep_data *d, int series, const rep_run **lo, const rep_run **hi)
{
    *lo = *hi = NULL;
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *r = &d->runs[i];
        if (r->series != series || r->workspace <= 0 || r->causal || r->q_len != r->kv_len || r->batch != 1 ||
            strcmp(r->kind, "attn") != 0)
            continue;
        if (!*lo || r->kv_len < (*lo)->kv_len)
            *lo = r;
        if (!*hi || r->kv_len > (*hi)->kv_len)
            *hi = r;
    }
    if (!*lo || (*hi)->kv_len == (*lo)->kv_len || (*hi)->head_dim != (*lo)->head_dim)
        return NAN;
    return log((*hi)->workspace / (*lo)->workspace) / log((double)(*hi)->kv_len / (double)(*lo)->kv_len);
}

void rep_prose_workspace(const rep_data *d, FILE *f)
{
    int n = 0;
    for (int s = 0; s < d->n_series; s++) {
        const rep_run *lo, *hi;
        double e = growth(d, s, &lo, &hi);
        if (isnan(e) || e < 1.5)
            continue;
        char a[32], b[32];
        rep_bytes_text(lo->workspace, a, sizeof a);
        rep_bytes_text(hi->workspace, b, sizeof b);
        fprintf(f, "%s%s grows from %s at S=%lld to %s at S=%lld, as S^%.1f: it holds scores for every (query, key) "
                   "pair of a head or more",
                n++ ? "; " : "", d->series[s].label, a, (long long)lo->kv_len, b, (long long)hi->kv_len, e);
    }
    fprintf(f, n ? ". Implementations that stream keys in tiles keep their workspace flat.\n\n"
                 : "No implementation's workspace grows as S^2 in these results.\n\n");
}
