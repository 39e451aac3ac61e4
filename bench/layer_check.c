/* The layer's output check: see layer_check.h for the rows and the bound. */
#include "layer_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double gamma_n(double n)
{
    const double u = 0x1p-24;
    return n * u / (1 - n * u);
}

/* val = x W (rows x n, double) and err = gamma_d |x| |W|, the bound on an fp32 product's error. */
static void project(const float *x, int64_t rows, int64_t d, const float *w, int64_t n, double *val, double *err)
{
    const double g = gamma_n((double)d);
    for (int64_t r = 0; r < rows; r++) {
        double *v = val + r * n, *a = err + r * n;
        for (int64_t c = 0; c < n; c++)
            v[c] = a[c] = 0;
        for (int64_t e = 0; e < d; e++) {
            const double xe = x[r * d + e];
            const float *wr = w + e * n;
            for (int64_t c = 0; c < n; c++) {
                v[c] += xe * wr[c];
                a[c] += fabs(xe * wr[c]);
            }
        }
        for (int64_t c = 0; c < n; c++)
            a[c] *= g;
    }
}

typedef struct layer_rows {
    const mha_layer *layer;
    const mha_layer_args *args;
    int64_t dh, nkv;               /* head dim, Hkv * Dh */
    double *k, *dk, *v, *dv;       /* [S][nkv] of one batch */
    double *q, *dq, *o, *d_o, *p;  /* one row: [D], [D], [D], [D], [S] */
} layer_rows;

/* Context row (o, d_o) of query row i of batch b, every head. */
static void context_row(layer_rows *w, int64_t b, int64_t i)
{
    const mha_layer *L = w->layer;
    const mha_layer_args *a = w->args;
    const int64_t S = a->seq_len, dh = w->dh, group = L->heads / L->kv_heads;
    const double u = 0x1p-24, scale = 1.0 / sqrt((double)dh);
    const int64_t keys = a->causal ? i + 1 : S;
    for (int64_t h = 0; h < L->heads; h++) {
        const int64_t qc = h * dh, kc = (h / group) * dh;
        const float *mrow = a->mask ? a->mask + b * a->mask_strides.batch + h * a->mask_strides.head +
                                          i * a->mask_strides.row
                                    : NULL;
        double mx = -INFINITY, delta = 0;
        for (int64_t j = 0; j < keys; j++) {
            const double *k = w->k + j * w->nkv + kc, *dk = w->dk + j * w->nkv + kc;
            double s = 0, prop = 0, absdot = 0;
            for (int64_t d = 0; d < dh; d++) {
                s += w->q[qc + d] * k[d];
                prop += w->dq[qc + d] * fabs(k[d]) + fabs(w->q[qc + d]) * dk[d];
                absdot += fabs(w->q[qc + d] * k[d]);
            }
            double m = mrow ? mrow[j] : 0.0;
            w->p[j] = s * scale + m;
            double ds = scale * prop + (gamma_n((double)dh) + 2 * u) * scale * absdot + u * (isfinite(m) ? fabs(m) : 0);
            if (isfinite(m))
                delta = ds > delta ? ds : delta;
            mx = w->p[j] > mx ? w->p[j] : mx;
        }
        double sum = 0;
        for (int64_t j = 0; j < keys; j++) {
            w->p[j] = mx == -INFINITY ? 0 : exp(w->p[j] - mx);
            sum += w->p[j];
        }
        const double rel = expm1(2 * delta) + 4 * gamma_n((double)keys) + 16 * u;
        for (int64_t d = 0; d < dh; d++) {
            double acc = 0, vmax = 0, dvmax = 0;
            for (int64_t j = 0; j < keys; j++) {
                const double v = w->v[j * w->nkv + kc + d];
                acc += w->p[j] * v;
                vmax = fabs(v) > vmax ? fabs(v) : vmax;
                dvmax = w->dv[j * w->nkv + kc + d] > dvmax ? w->dv[j * w->nkv + kc + d] : dvmax;
            }
            w->o[qc + d] = sum > 0 ? acc / sum : 0;
            w->d_o[qc + d] = sum > 0 ? vmax * rel + dvmax : 0;
        }
    }
}

/* Compares row i of batch b of y; updates the worst element. Returns 1 on a violation. */
static int check_row(layer_rows *w, int64_t b, int64_t i, const float *y, char *msg, size_t size)
{
    const mha_layer *L = w->layer;
    const int64_t D = L->d_model, S = w->args->seq_len;
    const float *x = w->args->x + (b * S + i) * D;
    project(x, 1, D, L->w_q, D, w->q, w->dq);
    context_row(w, b, i);
    const double g = gamma_n((double)D);
    const float *yrow = y + (b * S + i) * D;
    for (int64_t c = 0; c < D; c++) {
        double ref = 0, bound = 0;
        for (int64_t d = 0; d < D; d++) {
            const double wo = L->w_o[d * D + c];
            ref += w->o[d] * wo;
            bound += w->d_o[d] * fabs(wo) + g * (fabs(w->o[d]) + w->d_o[d]) * fabs(wo);
        }
        const double err = fabs((double)yrow[c] - ref);
        if (!(err <= bound)) {
            snprintf(msg, size, "layer output y[%lld][%lld][%lld] = %.9g, double-precision layer %.9g: error %.3g "
                     "exceeds the bound %.3g", (long long)b, (long long)i, (long long)c, (double)yrow[c], ref, err,
                     bound);
            return 1;
        }
    }
    return 0;
}

int bench_layer_check(const mha_layer *layer, const mha_layer_args *args, const float *y, char *msg, size_t size)
{
    const int64_t S = args->seq_len, D = layer->d_model;
    layer_rows w = {layer, args, D / layer->heads, layer->kv_heads * (D / layer->heads),
                    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    const size_t kv = (size_t)(S * w.nkv);
    w.k = malloc(kv * sizeof *w.k);
    w.dk = malloc(kv * sizeof *w.dk);
    w.v = malloc(kv * sizeof *w.v);
    w.dv = malloc(kv * sizeof *w.dv);
    w.q = malloc((size_t)(4 * D + S) * sizeof *w.q);
    int rc = 0;
    if (!w.k || !w.dk || !w.v || !w.dv || !w.q) {
        snprintf(msg, size, "no memory for the layer check (%zu bytes)", (4 * kv + (size_t)(4 * D + S)) * sizeof(double));
        rc = -1;
        goto out;
    }
    w.dq = w.q + D;
    w.o = w.dq + D;
    w.d_o = w.o + D;
    w.p = w.d_o + D;
    const int64_t batches[2] = {0, args->batch - 1}, rows[3] = {0, S / 2, S - 1};
    for (int bi = 0; bi < 2 && rc == 0; bi++) {
        if (bi == 1 && batches[1] == batches[0])
            break;
        const int64_t b = batches[bi];
        project(args->x + b * S * D, S, D, layer->w_k, w.nkv, w.k, w.dk);
        project(args->x + b * S * D, S, D, layer->w_v, w.nkv, w.v, w.dv);
        for (int r = 0; r < 3 && rc == 0; r++)
            rc = check_row(&w, b, rows[r], y, msg, size);
    }
out:
    free(w.k);
    free(w.dk);
    free(w.v);
    free(w.dv);
    free(w.q);
    return rc;
}
