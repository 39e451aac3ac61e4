/*
 * roofline.svg: every timed fp32 attention point of the first machine at its
 * largest thread count, as arithmetic intensity (FLOPs / bytes of Q, K, V,
 * O) against GFLOP/s, log-log; one roof per probed ISA level,
 * min(peak on all cores, intensity x read bandwidth on all threads).
 * Cache-resident points may sit above the bandwidth slope: their K and V
 * come from cache, not memory.
 */
#include "plot.h"
#include "report.h"
#include "shapes_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Implementations drawn (the first ones; the tables hold every one) and ISA roofs. */
#define MAX_IMPLS 128
#define MAX_ROOFS 6
#define MAX_POINTS 512

typedef struct roofline {
    plot_series s[MAX_IMPLS + MAX_ROOFS];
    double x[MAX_IMPLS + MAX_ROOFS][MAX_POINTS], y[MAX_IMPLS + MAX_ROOFS][MAX_POINTS];
    char label[MAX_IMPLS + MAX_ROOFS][160];
    int n;
} roofline;

static double intensity(const rep_run *r)
{
    return rep_flops(r) / shapes_attention_bytes(r->batch, r->heads, r->kv_heads, r->q_len, r->kv_len, r->head_dim);
}

int rep_write_roofline(const rep_data *d, const char *dir, char names[][64], int *n_names, int max_names)
{
    if (d->n_machines == 0)
        return 0;
    const rep_machine *m = &d->machines[0];
    int threads = 1;
    for (int i = 0; i < d->n_runs; i++)
        if (d->runs[i].machine == 0 && d->runs[i].threads > threads)
            threads = d->runs[i].threads;
    roofline *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    double lo = INFINITY, hi = 0;
    for (int s = 0; s < d->n_series && c->n < MAX_IMPLS; s++) {
        if (d->series[s].machine != 0)
            continue;
        int k = c->n, n = 0;
        for (int i = 0; i < d->n_runs && n < MAX_POINTS; i++) {
            const rep_run *r = &d->runs[i];
            if (r->series != s || r->error[0] || r->threads != threads || strcmp(r->kind, "attn") != 0 ||
                r->dtype != MHA_F32)
                continue;
            c->x[k][n] = intensity(r);
            c->y[k][n] = rep_gflops(r);
            lo = fmin(lo, c->x[k][n]);
            hi = fmax(hi, c->x[k][n]);
            n++;
        }
        if (!n)
            continue;
        snprintf(c->label[k], sizeof c->label[k], "%s", d->series[s].impl);
        c->s[k] = (plot_series){c->label[k], c->x[k], c->y[k], n, s, 1, 0, 0};
        c->n++;
    }
    double bw = threads <= 1 ? rep_ctx_number(m, "mha_read_gbs_1") : m->read_gbs;
    const char *levels = json_string_value(json_object_get(m->context, "mha_isa_levels"));
    if (hi > 0 && bw > 0 && levels) {
        lo /= 2, hi *= 2;
        char list[256];
        snprintf(list, sizeof list, "%s", levels);
        int roof = 0;
        for (char *save = NULL, *lvl = strtok_r(list, ",", &save); lvl && roof < MAX_ROOFS;
             lvl = strtok_r(NULL, ",", &save), roof++) {
            char k1[96], ka[96];
            snprintf(k1, sizeof k1, "mha_isa_%s_gflops_1", lvl);
            snprintf(ka, sizeof ka, "mha_isa_%s_gflops_all", lvl);
            double peak = threads <= 1 ? rep_ctx_number(m, k1)
                          : m->cores && threads >= m->cores ? rep_ctx_number(m, ka)
                                                            : rep_ctx_number(m, k1) * threads;
            if (!(peak > 0))
                continue;
            int k = c->n, n = 0;
            double knee = peak / bw;
            double xs[3] = {fmin(lo, knee / 2), knee, fmax(hi, knee * 2)};
            for (int p = 0; p < 3; p++, n++) {
                c->x[k][n] = xs[p];
                c->y[k][n] = fmin(peak, xs[p] * bw);
            }
            snprintf(c->label[k], sizeof c->label[k], "roof %s %.0f GFLOP/s, %.1f GB/s", lvl, peak, bw);
            c->s[k] = (plot_series){c->label[k], c->x[k], c->y[k], n, roof, 0, 0, 1};
            c->n++;
        }
    }
    char title[256];
    snprintf(title, sizeof title, "Roofline, %s, %d thread%s: attention points and the roof of each ISA level",
             m->label, threads, threads == 1 ? "" : "s");
    plot_spec spec = {"roofline", title, "arithmetic intensity (FLOPs per byte of Q, K, V, O)", "GFLOP/s",
                      PLOT_LOG10, PLOT_LOG10, PLOT_NUMBER, PLOT_NUMBER, 0, NULL, 0};
    char path[8448];
    snprintf(path, sizeof path, "%s/roofline.svg", dir);
    int rc = plot_write_svg(path, &spec, c->s, c->n);
    if (rc == 0 && *n_names < max_names)
        snprintf(names[(*n_names)++], 64, "roofline.svg");
    free(c);
    return rc;
}
