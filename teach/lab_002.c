/*
 * Lab 002: the Q/K/V shape walkthrough (seed 002): batch 2, seq 4, hidden
 * 16, heads 4 from its starter code; GQA/MQA change the KV heads; and its
 * formula bridge, "dividing by sqrt(Dh) keeps score scale stable before
 * softmax", shown on random queries and keys as Dh grows.
 */
#include "lab.h"
#include "lab_002.h"

#include "explain_print.h"
#include "shapes_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KEYS 64    /* keys per softmax row in the sqrt(Dh) demonstration */
#define QUERIES 64 /* rows */
#define PAIRS 4096 /* independent (q, k) pairs for the variance */

int lab002_check_variance(lab_env *e, const char *what, double sample_variance, double want, int64_t dh, int64_t n,
                          double scale)
{
    const double d = (double)dh, mu4 = d * (9.0 / 5.0) * (9.0 / 5.0) + 3.0 * d * (d - 1.0);
    const double se = sqrt((mu4 - d * d) / (double)n) * scale * scale;
    const double off = fabs(sample_variance - want);
    return lab_check(e, off <= 5.0 * se, "%s: variance %.4g, expected %.4g +- 5 x %.3g (standard error)", what,
                     sample_variance, want, se);
}

double lab002_entropy(const float *p, int64_t n)
{
    double h = 0.0;
    for (int64_t j = 0; j < n; j++)
        if (p[j] > 0.0f)
            h -= (double)p[j] * log((double)p[j]);
    return h;
}

int lab002_check_entropy_order(lab_env *e, int64_t dh, const float *scaled, const float *unscaled, int64_t rows,
                               int64_t keys)
{
    int64_t bad = 0;
    for (int64_t i = 0; i < rows; i++)
        bad += lab002_entropy(unscaled + i * keys, keys) > lab002_entropy(scaled + i * keys, keys);
    return lab_check(e, bad == 0, "Dh = %lld: every row is sharper without the scale (%lld of %lld rows are not)",
                     (long long)dh, (long long)bad, (long long)rows);
}

static void shapes(lab_env *e)
{
    lab_section(e, "Shapes of the starter code: batch, seq, hidden, heads = 2, 4, 16, 4 (head_dim = 16 // 4)");
    shapes_cfg c = {2, 4, 16, 4, 4};
    explain_print_text(e->out, &c);
    /* The starter code's shapes, as the text writes them, against the walkthrough's steps. */
    static const struct { const char *text, *step; int64_t dims[4]; int ndim; } want[] = {
        {"x_shape = (batch, seq, hidden)", "X", {2, 4, 16}, 3},
        {"q_shape = (batch, seq, hidden) after Wq", "Q = X W_Q", {2, 4, 16}, 3},
        {"q_heads = (batch, heads, seq, head_dim)", "split Q", {2, 4, 4, 4}, 4},
        {"scores = (batch, heads, seq, seq)", "scores = Q K^T", {2, 4, 4, 4}, 4},
    };
    shapes_step st[SHAPES_MAX_STEPS];
    const int n = shapes_walkthrough(&c, st);
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        int found = 0;
        for (int i = 0; i < n && !found; i++)
            if (strcmp(st[i].name, want[w].step) == 0) {
                found = st[i].ndim == want[w].ndim &&
                        memcmp(st[i].dims, want[w].dims, (size_t)want[w].ndim * sizeof(int64_t)) == 0;
                found = found ? 1 : -1;
            }
        lab_check(e, found == 1, "%s matches the walkthrough's step", want[w].text);
    }
}

/* GQA: attention with K kv heads equals MHA whose K/V heads are the kv heads repeated G = H/K times. */
static int gqa(lab_env *e)
{
    lab_section(e, "GQA/MQA change the KV heads, not \"Q reads K/V\" (seed 002, What to Notice)");
    const int64_t S = 4, H = 4, Dh = 4, D = 16;
    char a[32], b[32];
    fprintf(e->out, "  %-4s %8s %14s %16s %12s %18s\n", "kind", "kv heads", "W_K, W_V", "K, V split", "parameters",
            "KV bytes/token");
    for (int64_t K = H; K >= 1; K /= 2) {
        shapes_cfg c = {2, S, D, H, K};
        char wk[32], split[32];
        snprintf(wk, sizeof wk, "%lld x %lld", (long long)D, (long long)(K * Dh));
        snprintf(split, sizeof split, "(2, %lld, %lld, %lld)", (long long)K, (long long)S, (long long)Dh);
        fprintf(e->out, "  %-4s %8lld %14s %16s %12s %18s\n", shapes_kind(H, K), (long long)K, wk, split,
                explain_grouped(shapes_parameters(&c).total, a, sizeof a),
                explain_grouped((uint64_t)(2 * K * Dh * SHAPES_FP32_BYTES), b, sizeof b));
        /* counted: W_Q and W_O are D x D, W_K and W_V are D x K*Dh */
        char what[96];
        snprintf(what, sizeof what, "%s parameters: shapes_math against the counted matrices",
                 shapes_kind(H, K));
        lab_check_equal(e, what, (int64_t)shapes_parameters(&c).total, 2 * D * D + 2 * D * K * Dh);
    }
    fprintf(e->out, "  Do not multiply by heads twice: the 4 heads share these matrices (H x 4 D^2 = %lld is wrong).\n",
            (long long)(H * 4 * D * D));
    const int64_t K = 2, G = H / K;
    float q[4 * 4 * 4], kv[2][4 * 2 * 4], full[2][4 * 4 * 4], out_gqa[64], out_mha[64];
    mha_rng rng;
    mha_rng_seed(&rng, 2);
    mha_rng_fill(&rng, q, sizeof q / sizeof q[0], 1.0f);
    mha_rng_fill(&rng, &kv[0][0], 2 * 32, 1.0f);
    for (int t = 0; t < 2; t++) /* repeat kv head g for query heads g*G .. g*G+G-1 */
        for (int64_t s = 0; s < S; s++)
            for (int64_t h = 0; h < H; h++)
                memcpy(&full[t][(s * H + h) * Dh], &kv[t][(s * K + h / G) * Dh], (size_t)Dh * sizeof(float));
    mha_args ga = mha_args_bshd((mha_shape){1, H, K, S, S, Dh}, q, kv[0], kv[1], out_gqa);
    mha_args ma = mha_args_bshd((mha_shape){1, H, H, S, S, Dh}, q, full[0], full[1], out_mha);
    double tol;
    if (mha_attention(e->impl, &ga) != MHA_OK || mha_attention(e->impl, &ma) != MHA_OK ||
        lab_attention_tolerance(&ma, &tol, NULL)) {
        fprintf(stderr, "mha lab 002: %s: %s\n", e->impl->name, mha_last_error());
        return -1;
    }
    /* both are within tol of the same float64 reference */
    lab_check_close_f32(e, "GQA (2 kv heads) equals MHA with each kv head repeated for its 2 query heads", out_gqa,
                        out_mha, 64, 2.0 * tol);
    return 0;
}

/* Probabilities of QUERIES x KEYS random scores of head_dim dh, with the given scale. */
static int probs_for(lab_env *e, int64_t dh, const float *q, const float *k, float scale, float *p, float *out,
                     float *v)
{
    mha_args a = mha_args_bshd((mha_shape){1, 1, 1, QUERIES, KEYS, dh}, q, k, v, out);
    a.scale = scale;
    a.probs = p;
    a.threads = 1;
    return mha_attention(e->impl, &a) == MHA_OK ? 0 : -1;
}

static int sqrt_dh(lab_env *e)
{
    lab_section(e, "Why divide by sqrt(Dh): %d queries x %d keys, entries uniform with mean 0, variance 1",
                QUERIES, KEYS);
    fprintf(e->out, "  q.k sums Dh products of variance 1, so its variance is Dh; times 1/sqrt(Dh) it is 1.\n"
                    "  Uniform attention over %d keys has entropy ln %d = %.3f nats and max probability %.4f.\n",
                    KEYS, KEYS, log(KEYS), 1.0 / KEYS);
    fprintf(e->out, "  %6s %12s %12s %16s %16s %14s %14s\n", "Dh", "var(q.k)", "var scaled", "entropy scaled",
            "entropy no scale", "max p scaled", "max p no scale");
    static const int64_t dims[] = {4, 16, 64, 256};
    const float unit = sqrtf(3.0f); /* uniform [-1, 1) times sqrt(3) has variance 1 */
    int rc = 0;
    for (size_t t = 0; t < sizeof dims / sizeof dims[0] && rc == 0; t++) {
        const int64_t dh = dims[t];
        const size_t nq = (size_t)(QUERIES * dh), nk = (size_t)(KEYS * dh), np = (size_t)(QUERIES * KEYS);
        float *q = malloc(nq * sizeof *q), *k = malloc(nk * sizeof *k), *v = malloc(nk * sizeof *v);
        float *ps = malloc(np * sizeof *ps), *pu = malloc(np * sizeof *pu), *out = malloc(nq * sizeof *out);
        float *x = malloc(2 * (size_t)dh * sizeof *x);
        rc = q && k && v && ps && pu && out && x ? 0 : -1;
        mha_rng rng;
        mha_rng_seed(&rng, (uint64_t)dh);
        double var = 0.0;
        if (rc == 0) {
            for (int p = 0; p < PAIRS; p++) { /* independent pairs: their dot products are independent */
                mha_rng_fill(&rng, x, 2 * (size_t)dh, unit);
                double dot = 0.0;
                for (int64_t d = 0; d < dh; d++)
                    dot += (double)x[d] * (double)x[dh + d];
                var += dot * dot / PAIRS; /* the mean is 0 by symmetry */
            }
            mha_rng_fill(&rng, q, nq, unit);
            mha_rng_fill(&rng, k, nk, unit);
            mha_rng_fill(&rng, v, nk, 1.0f);
            rc = probs_for(e, dh, q, k, 1.0f / sqrtf((float)dh), ps, out, v) ||
                 probs_for(e, dh, q, k, 1.0f, pu, out, v);
        }
        if (rc == 0) {
            double hs = 0, hu = 0, ms = 0, mu = 0;
            for (int64_t i = 0; i < QUERIES; i++) {
                hs += lab002_entropy(ps + i * KEYS, KEYS) / QUERIES;
                hu += lab002_entropy(pu + i * KEYS, KEYS) / QUERIES;
                float a = 0, b = 0;
                for (int64_t j = 0; j < KEYS; j++) {
                    a = ps[i * KEYS + j] > a ? ps[i * KEYS + j] : a;
                    b = pu[i * KEYS + j] > b ? pu[i * KEYS + j] : b;
                }
                ms += (double)a / QUERIES;
                mu += (double)b / QUERIES;
            }
            fprintf(e->out, "  %6lld %12.4g %12.4g %16.3f %16.3f %14.4f %14.4f\n", (long long)dh, var,
                    var / (double)dh, hs, hu, ms, mu);
            char what[64];
            snprintf(what, sizeof what, "Dh = %lld: var(q.k) is Dh", (long long)dh);
            lab002_check_variance(e, what, var, (double)dh, dh, PAIRS, 1.0);
            lab002_check_entropy_order(e, dh, ps, pu, QUERIES, KEYS);
        }
        free(q); free(k); free(v); free(ps); free(pu); free(out); free(x);
    }
    if (rc)
        fprintf(stderr, "mha lab 002: %s\n", mha_last_error());
    fprintf(e->out, "  Scaled, the rows keep the same spread for every Dh; unscaled, the scores' spread grows as\n"
                    "  sqrt(Dh) and softmax collapses onto one key (max p -> 1): its gradient vanishes.\n"
                    "  See it: mha heatmap --scale 1 -o noscale.svg  against  mha heatmap -o scaled.svg\n");
    return rc;
}

int lab_002_run(lab_env *e)
{
    shapes(e);
    if (gqa(e))
        return -1;
    return sqrt_dh(e);
}
