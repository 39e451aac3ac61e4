/* The heatmap experiment; see heatmap_model.h. */
#include "heatmap_model.h"
#include "viridis.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

int hm_tokenize(const char *text, hm_tokens *out)
{
    memset(out, 0, sizeof *out);
    size_t n = strlen(text);
    out->buf = malloc(n + 1);
    out->tok = malloc((n / 2 + 1) * sizeof *out->tok); /* at most one token per two characters */
    if (!out->buf || !out->tok) {
        hm_tokens_free(out);
        return -1;
    }
    memcpy(out->buf, text, n + 1);
    char *p = out->buf;
    while (*p) {
        while (*p && isspace((unsigned char)*p))
            *p++ = '\0';
        if (!*p)
            break;
        out->tok[out->count++] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
    }
    return 0;
}

void hm_tokens_free(hm_tokens *t)
{
    free(t->buf);
    free(t->tok);
    memset(t, 0, sizeof *t);
}

void hm_embed(const hm_tokens *t, int64_t d_model, float *x)
{
    for (int i = 0; i < t->count; i++) {
        mha_rng rng;
        mha_rng_seed(&rng, XXH3_64bits(t->tok[i], strlen(t->tok[i])));
        mha_rng_fill(&rng, x + (size_t)i * (size_t)d_model, (size_t)d_model, 1.0f);
    }
}

uint64_t hm_weight_seed(uint64_t seed, int m)
{
    mha_rng rng;
    mha_rng_seed(&rng, seed);
    uint64_t s = 0;
    for (int i = 0; i <= m; i++)
        s = mha_rng_next(&rng);
    return s;
}

int hm_weights_make(hm_weights *w, uint64_t seed, int64_t d_model)
{
    const size_t n = (size_t)d_model * (size_t)d_model;
    w->d_model = d_model;
    for (int m = 0; m < 4; m++)
        w->w[m] = malloc(n * sizeof(float));
    for (int m = 0; m < 4; m++) {
        if (!w->w[m]) {
            hm_weights_free(w);
            return -1;
        }
        mha_init_weights(hm_weight_seed(seed, m), d_model, w->w[m], n);
    }
    return 0;
}

void hm_weights_free(hm_weights *w)
{
    for (int m = 0; m < 4; m++) {
        free(w->w[m]);
        w->w[m] = NULL;
    }
}

/* c (m, n) = a (m, k) b (k, n), row-major, fp32 accumulation in k order. */
static void matmul(int64_t m, int64_t n, int64_t k, const float *a, const float *b, float *c)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            float s = 0.0f;
            for (int64_t p = 0; p < k; p++)
                s += a[i * k + p] * b[p * n + j];
            c[i * n + j] = s;
        }
}

mha_status hm_run(const mha_impl *impl, const hm_weights *w, int64_t heads, int64_t T, const float *x,
                  int causal, float scale, float *y, float *probs)
{
    const int64_t D = w->d_model;
    const size_t n = (size_t)T * (size_t)D;
    float *buf = malloc(4 * n * sizeof(float));
    if (!buf)
        return MHA_ERR_OUT_OF_MEMORY;
    float *q = buf, *k = q + n, *v = k + n, *ctx = v + n;
    mha_status st = mha_compute_qkv(T, D, x, w->w[0], w->w[1], w->w[2], q, k, v);
    if (st == MHA_OK) {
        mha_args a = mha_args_bshd((mha_shape){1, heads, heads, T, T, D / heads}, q, k, v, ctx);
        a.causal = causal;
        a.scale = scale;
        a.probs = probs;
        a.threads = 1;
        st = mha_attention(impl, &a);
    }
    if (st == MHA_OK)
        matmul(T, D, D, ctx, w->w[3], y);
    free(buf);
    return st;
}

mha_status hm_single_head_outputs(const mha_impl *impl, const hm_weights *w, int64_t T, const float *x,
                                  float *y_layer, float *y_ref)
{
    const int64_t D = w->d_model;
    const size_t n = (size_t)T * (size_t)D;
    float *buf = malloc(4 * n * sizeof(float));
    if (!buf)
        return MHA_ERR_OUT_OF_MEMORY;
    float *q = buf, *k = buf + n, *v = k + n, *ctx = v + n;
    mha_layer layer = {D, 1, 1, w->w[0], w->w[1], w->w[2], w->w[3]};
    mha_layer_args args;
    memset(&args, 0, sizeof args);
    args.batch = 1;
    args.seq_len = T;
    args.x = x;
    args.y = y_layer;
    args.threads = 1;
    mha_status st = mha_layer_forward(impl, &layer, &args);
    if (st == MHA_OK)
        st = mha_compute_qkv(T, D, x, w->w[0], w->w[1], w->w[2], q, k, v);
    if (st == MHA_OK)
        st = mha_self_attention(T, D, q, k, v, ctx);
    if (st == MHA_OK)
        matmul(T, D, D, ctx, w->w[3], y_ref);
    free(buf);
    return st;
}

mha_status hm_single_head_max_diff(const mha_impl *impl, const hm_weights *w, int64_t T, const float *x,
                                   double *max_diff)
{
    const size_t n = (size_t)T * (size_t)w->d_model;
    float *y = malloc(2 * n * sizeof(float));
    if (!y)
        return MHA_ERR_OUT_OF_MEMORY;
    mha_status st = hm_single_head_outputs(impl, w, T, x, y, y + n);
    if (st == MHA_OK) {
        double worst = 0.0;
        for (size_t i = 0; i < n; i++) {
            double d = fabs((double)y[i] - (double)y[n + i]);
            if (!(d <= worst)) /* NaN wins */
                worst = d;
        }
        *max_diff = worst;
    }
    free(y);
    return st;
}

mha_status hm_experiment_run(hm_experiment *ex, const mha_impl *impl, const char *text, int64_t d_model,
                             int64_t heads, uint64_t seed, int causal, float scale)
{
    memset(ex, 0, sizeof *ex);
    if (hm_tokenize(text, &ex->tok))
        return MHA_ERR_OUT_OF_MEMORY;
    const int64_t T = ex->tok.count, D = d_model, H = heads;
    ex->d_model = D;
    ex->heads = H;
    ex->T = T;
    ex->x = malloc((size_t)(T * D) * sizeof(float));
    ex->y = malloc((size_t)(T * D) * sizeof(float));
    ex->probs = malloc((size_t)(H * T * T) * sizeof(float));
    mha_status st = MHA_ERR_OUT_OF_MEMORY;
    if (ex->x && ex->y && ex->probs && hm_weights_make(&ex->w, seed, D) == 0) {
        hm_embed(&ex->tok, D, ex->x);
        st = hm_run(impl, &ex->w, H, T, ex->x, causal, scale, ex->y, ex->probs);
    }
    if (st != MHA_OK)
        hm_experiment_free(ex);
    return st;
}

void hm_experiment_free(hm_experiment *ex)
{
    hm_tokens_free(&ex->tok);
    hm_weights_free(&ex->w);
    free(ex->x);
    free(ex->y);
    free(ex->probs);
    memset(ex, 0, sizeof *ex);
}

double hm_min_head_difference(const float *probs, int64_t heads, int64_t T, int causal, int *a, int *b)
{
    double best = INFINITY;
    *a = *b = 0;
    if (heads < 2)
        return 0.0;
    const size_t plane = (size_t)T * (size_t)T;
    for (int64_t h = 0; h < heads; h++)
        for (int64_t g = h + 1; g < heads; g++) {
            double sum = 0.0;
            size_t cells = 0;
            for (int64_t i = 0; i < T; i++)
                for (int64_t j = 0; j < (causal ? i + 1 : T); j++) {
                    size_t o = (size_t)i * (size_t)T + (size_t)j;
                    sum += fabs((double)probs[(size_t)h * plane + o] - (double)probs[(size_t)g * plane + o]);
                    cells++;
                }
            double mad = sum / (double)cells;
            if (mad < best) {
                best = mad;
                *a = (int)h;
                *b = (int)g;
            }
        }
    return best;
}

double hm_distinct_threshold(double vmax)
{
    return vmax * HM_JND_LSTAR / (viridis_lightness(1.0) - viridis_lightness(0.0));
}
