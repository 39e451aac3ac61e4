/* The tolerance model: see tolerance.h. */
#include "tolerance.h"

#include "plain_fma.h"

#include "../impl/core/internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t ulp_distance(float a, float b)
{
    int32_t ia, ib;
    memcpy(&ia, &a, 4);
    memcpy(&ib, &b, 4);
    /* map sign-magnitude to a monotonic integer line */
    int64_t la = ia < 0 ? (int64_t)INT32_MIN - ia : ia, lb = ib < 0 ? (int64_t)INT32_MIN - ib : ib;
    return la > lb ? la - lb : lb - la;
}

void compare_values(const float *got32, const double *got64, const double *want, size_t n, err_stats *st)
{
    memset(st, 0, sizeof *st);
    int have_worst = 0;
    for (size_t e = 0; e < n; e++) {
        const double g = got32 ? (double)got32[e] : got64[e], w = want[e];
        if (isnan(w) || isnan(g) || isinf(g)) {
            if (isnan(w) && isnan(g))
                continue;
            if (isinf(g) && g == w)
                continue;
            if (!st->nan_mismatch++ ) { /* the first mismatch is the one reported */
                st->worst = e;
                st->got = g;
                st->want = w;
                st->max_abs = INFINITY;
                have_worst = 1;
            }
            continue;
        }
        const double d = fabs(g - w);
        if (w != 0 && d / fabs(w) > st->max_rel)
            st->max_rel = d / fabs(w);
        if (!st->nan_mismatch && (d > st->max_abs || !have_worst)) {
            st->max_abs = d;
            st->worst = e;
            st->got = g;
            st->want = w;
            have_worst = 1;
        }
    }
    if (have_worst && isfinite(st->got) && isfinite(st->want))
        st->ulps = ulp_distance((float)st->got, (float)st->want);
}

double tolerance_of(double factor, double floor, double err_fp32, double magnitude)
{
    return factor * err_fp32 + floor * magnitude * (double)FLT_EPSILON;
}

double dtype_unit_roundoff(mha_dtype out_dtype)
{
    switch (out_dtype) {
    case MHA_BF16: return 0x1p-8;  /* 8 significant bits */
    case MHA_F16:  return 0x1p-11; /* 11 significant bits */
    default:       return 0.0;     /* fp32: within the floor */
    }
}

double tolerance_of_dtype(double factor, double floor, double err_plain, double magnitude, mha_dtype out_dtype)
{
    return tolerance_of(factor, floor, err_plain, magnitude) + magnitude * dtype_unit_roundoff(out_dtype);
}

double error_units(double err, double err_fp32)
{
    if (err_fp32 > 0)
        return err / err_fp32;
    return err > 0 ? INFINITY : 0.0;
}

/* The registry's descriptor of naive (impl/core/registry.c names every built-in mha_impl_NAME). */
extern const mha_impl mha_impl_naive;

const mha_impl *naive_impl(void)
{
    return &mha_impl_naive;
}

/* Raises *worst to the largest |got - want| where neither is NaN; got holds n elements of dtype. */
static void raise_error(const void *got, mha_dtype dtype, const double *want, size_t n, double *worst)
{
    for (size_t e = 0; e < n; e++) {
        const double g = mha_load_f32(got, dtype, (int64_t)e);
        if (!isnan(want[e]) && !isnan(g) && fabs(g - want[e]) > *worst)
            *worst = fabs(g - want[e]);
    }
}

int measure_err_fp32(const mha_args *args, const double *ref_out, const double *ref_probs, double *err_out,
                     double *err_probs, char *err, size_t err_size)
{
    const mha_shape *s = &args->shape;
    const size_t no = (size_t)(s->batch * s->q_len * s->heads * s->head_dim);
    const size_t np = (size_t)(s->batch * s->heads * s->q_len * s->kv_len);
    void *out = malloc(no * mha_dtype_size(args->out_dtype));
    float *probs = ref_probs ? malloc(np * sizeof *probs) : NULL;
    int rc = -1;
    *err_out = *err_probs = 0;
    if (!out || (ref_probs && !probs)) {
        snprintf(err, err_size, "out of memory");
        goto done;
    }
    mha_args a = *args;
    a.out = out;
    a.out_strides = mha_strides_bshd(s->q_len, s->heads, s->head_dim);
    a.probs = probs;
    a.workspace = NULL;
    a.workspace_bytes = 0;
    a.threads = 1;
    /* both evaluations C allows: separate multiply and add (naive, one thread: its order is fixed), fused */
    if (mha_attention(naive_impl(), &a) != MHA_OK) {
        snprintf(err, err_size, "naive: %s", mha_last_error());
        goto done;
    }
    raise_error(out, a.out_dtype, ref_out, no, err_out);
    if (probs)
        raise_error(probs, MHA_F32, ref_probs, np, err_probs);
    if (plain_fma_attention(&a)) {
        snprintf(err, err_size, "out of memory");
        goto done;
    }
    raise_error(out, a.out_dtype, ref_out, no, err_out);
    if (probs)
        raise_error(probs, MHA_F32, ref_probs, np, err_probs);
    rc = 0;
done:
    free(out);
    free(probs);
    return rc;
}
