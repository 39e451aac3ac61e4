/* Benchmark inputs and output check; see refcheck.h. */
#include "refcheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shapes with at most this many multiply-adds get a full reference. */
#define FULL_REFERENCE_MACS (1LL << 24)
#define SAMPLED_ROWS 8

double bench_tolerance(int64_t kv_len, int64_t head_dim)
{
    const double u = ldexp(1.0, -24), dh = (double)head_dim;
    return u * (2.0 * dh * sqrt(dh) + 2.0 * (double)kv_len + 16.0);
}

double bench_tolerance_dtype(int64_t kv_len, int64_t head_dim, mha_dtype dtype)
{
    const double ud = dtype == MHA_BF16 ? ldexp(1.0, -8) : dtype == MHA_F16 ? ldexp(1.0, -11) : 0.0;
    return bench_tolerance(kv_len, head_dim) + 2.0 * ud;
}

/* x[i] rounded to dtype into low[i] (nearest even) and back to fp32 in x[i] (exact) */
static void round_to(mha_dtype dtype, float *x, uint16_t *low, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        low[i] = dtype == MHA_BF16 ? mha_f32_to_bf16(x[i]) : mha_f32_to_f16(x[i]);
        x[i] = dtype == MHA_BF16 ? mha_bf16_to_f32(low[i]) : mha_f16_to_f32(low[i]);
    }
}

static int64_t visible_keys(const mha_shape *s, int causal, int64_t i)
{
    if (!causal)
        return s->kv_len;
    int64_t lim = i + s->kv_len - s->q_len + 1;
    return lim < 0 ? 0 : lim > s->kv_len ? s->kv_len : lim;
}

/* Reference of row i of batch b into dst [H][Dh]: a one-query problem over the keys row i sees. */
static int reference_row(const bench_inputs *in, int64_t b, int64_t i, double *dst, char *err, size_t size)
{
    const mha_args *a = &in->args;
    const mha_shape *s = &a->shape;
    int64_t keys = visible_keys(s, a->causal, i);
    if (keys == 0) {
        memset(dst, 0, (size_t)(s->heads * s->head_dim) * sizeof *dst);
        return 0;
    }
    mha_args r = *a;
    r.shape.batch = 1;
    r.shape.q_len = 1;
    r.shape.kv_len = keys;
    r.causal = 0;
    r.dtype = MHA_F32; /* the exact fp32 values of the inputs */
    r.q = in->q + b * a->q_strides.batch + i * a->q_strides.seq;
    r.k = in->k + b * a->k_strides.batch;
    r.v = in->v + b * a->v_strides.batch;
    r.out = in->scratch_out; /* validated, never written */
    mha_status st = mha_reference(&r, dst, NULL);
    if (st != MHA_OK) {
        snprintf(err, size, "reference failed: %s: %s", mha_status_str(st), mha_last_error());
        return 1;
    }
    return 0;
}

int bench_inputs_make(const bench_point *p, bench_inputs *in, char *err, size_t err_size)
{
    memset(in, 0, sizeof *in);
    in->point = *p;
    mha_args *a = &in->args;
    a->shape = (mha_shape){p->batch, p->heads, p->kv_heads, p->q_len, p->kv_len, p->head_dim};
    a->q_strides = mha_strides_bshd(p->q_len, p->heads, p->head_dim);
    a->k_strides = mha_strides_bshd(p->kv_len, p->kv_heads, p->head_dim);
    a->v_strides = a->k_strides;
    a->out_strides = a->q_strides;
    a->causal = p->causal;
    a->threads = p->threads;
    in->q_elems = (size_t)(p->batch * p->q_len * p->heads * p->head_dim);
    in->kv_elems = (size_t)(p->batch * p->kv_len * p->kv_heads * p->head_dim);
    in->q = malloc(in->q_elems * sizeof(float));
    in->k = malloc(in->kv_elems * sizeof(float));
    in->v = malloc(in->kv_elems * sizeof(float));
    const long long macs = (long long)(p->batch * p->heads * p->q_len * p->kv_len * p->head_dim);
    in->rows = macs <= FULL_REFERENCE_MACS || p->q_len <= SAMPLED_ROWS ? (int)p->q_len : SAMPLED_ROWS;
    in->row_index = malloc((size_t)in->rows * sizeof *in->row_index);
    in->ref = malloc((size_t)(p->batch * in->rows * p->heads * p->head_dim) * sizeof(double));
    in->scratch_out = malloc((size_t)(p->heads * p->head_dim) * sizeof(float));
    if (!in->scratch_out || !in->q || !in->k || !in->v || !in->row_index || !in->ref) {
        snprintf(err, err_size, "out of memory for the inputs");
        bench_inputs_free(in);
        return 1;
    }
    a->q = in->q;
    a->k = in->k;
    a->v = in->v;
    mha_rng rng;
    mha_rng_seed(&rng, 0x6d68616265ULL ^ (uint64_t)(p->q_len * 1000003 + p->kv_len * 101 + p->head_dim));
    mha_rng_fill(&rng, in->q, in->q_elems, 1.0f);
    mha_rng_fill(&rng, in->k, in->kv_elems, 1.0f);
    mha_rng_fill(&rng, in->v, in->kv_elems, 1.0f);
    in->tolerance = bench_tolerance(p->kv_len, p->head_dim);
    if (p->dtype != MHA_F32) {
        const mha_dtype dt = (mha_dtype)p->dtype;
        in->q_low = malloc(in->q_elems * 2);
        in->k_low = malloc(in->kv_elems * 2);
        in->v_low = malloc(in->kv_elems * 2);
        if (!in->q_low || !in->k_low || !in->v_low) {
            snprintf(err, err_size, "out of memory for the %s inputs", mha_dtype_name(dt));
            bench_inputs_free(in);
            return 1;
        }
        round_to(dt, in->q, in->q_low, in->q_elems);
        round_to(dt, in->k, in->k_low, in->kv_elems);
        round_to(dt, in->v, in->v_low, in->kv_elems);
        a->q = in->q_low;
        a->k = in->k_low;
        a->v = in->v_low;
        a->dtype = dt;
        a->out_dtype = MHA_F32;
        in->tolerance = bench_tolerance_dtype(p->kv_len, p->head_dim, dt);
    }

    /* rows 0 .. Sq-1, or 8 spread from the first to the last */
    for (int r = 0; r < in->rows; r++)
        in->row_index[r] = in->rows == p->q_len ? r : (int64_t)r * (p->q_len - 1) / (in->rows - 1);
    const size_t row_elems = (size_t)(p->heads * p->head_dim);
    for (int64_t b = 0; b < p->batch; b++)
        for (int r = 0; r < in->rows; r++)
            if (reference_row(in, b, in->row_index[r], in->ref + ((size_t)b * (size_t)in->rows + (size_t)r) * row_elems,
                              err, err_size)) {
                bench_inputs_free(in);
                return 1;
            }
    return 0;
}

void bench_inputs_free(bench_inputs *in)
{
    free(in->q);
    free(in->k);
    free(in->v);
    free(in->row_index);
    free(in->ref);
    free(in->scratch_out);
    free(in->q_low);
    free(in->k_low);
    free(in->v_low);
    memset(in, 0, sizeof *in);
}

/* The largest |out - reference| over the reference rows (NaN counts as infinity) and where it is. */
static double worst_error(const bench_inputs *in, const float *out, int64_t at[4])
{
    const bench_point *p = &in->point;
    const size_t row_elems = (size_t)(p->heads * p->head_dim);
    double worst = -1;
    for (int64_t b = 0; b < p->batch; b++)
        for (int r = 0; r < in->rows; r++) {
            const int64_t i = in->row_index[r];
            const float *o = out + ((size_t)b * (size_t)p->q_len + (size_t)i) * row_elems;
            const double *ref = in->ref + ((size_t)b * (size_t)in->rows + (size_t)r) * row_elems;
            for (size_t e = 0; e < row_elems; e++) {
                double d = fabs((double)o[e] - ref[e]);
                if (isnan(o[e]))
                    d = INFINITY;
                if (d > worst) {
                    worst = d;
                    at[0] = b, at[1] = i, at[2] = (int64_t)e / p->head_dim, at[3] = (int64_t)e % p->head_dim;
                }
            }
        }
    return worst;
}

double bench_output_error(const bench_inputs *in, const float *out)
{
    int64_t at[4];
    return worst_error(in, out, at);
}

int bench_check_output(const bench_inputs *in, const float *out, char *msg, size_t size)
{
    int64_t at[4] = {0, 0, 0, 0};
    const double worst = worst_error(in, out, at);
    if (worst <= in->tolerance) {
        snprintf(msg, size, "max abs error %.3g <= %.3g", worst, in->tolerance);
        return 0;
    }
    snprintf(msg, size, "wrong output: |O - reference| = %.3g at [b=%lld, i=%lld, h=%lld, d=%lld], bound %.3g",
             worst, (long long)at[0], (long long)at[1], (long long)at[2], (long long)at[3], in->tolerance);
    return 1;
}
