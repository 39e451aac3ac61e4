/*
 * The benchmark's output check (bench/refcheck.h) must let a correct kernel
 * through and stop a broken one before it is timed: naive passes; a single
 * element moved by 10x the bound, a wrong scale and a dropped causal mask
 * fail, on a small shape (full reference) and a large one (sampled rows),
 * and on bf16 and fp16 points (inputs rounded to the dtype).
 * The layer's check (bench/layer_check.h) passes every runnable built-in
 * implementation and fails a moved output element, a wrong W_V, a wrong
 * W_O and a dropped causal mask.
 */
#include "check.h"
#include "mha.h"
#include "layer_check.h"
#include "refcheck.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* naive, or (for a dtype naive lacks) the first runnable implementation that takes it; NULL if none */
static const mha_impl *impl_for(mha_dtype dtype)
{
    const mha_impl *naive = mha_impl_find("naive");
    if (naive->dtypes & mha_dtype_combo(dtype, MHA_F32) || (dtype == MHA_F32 && !naive->dtypes))
        return naive;
    for (size_t i = 0; i < mha_impl_count(); i++) {
        const mha_impl *impl = mha_impl_get(i);
        if ((impl->dtypes & mha_dtype_combo(dtype, MHA_F32)) && mha_impl_runnable(impl, NULL, 0))
            return impl;
    }
    return NULL;
}

/* Runs naive (or impl_for's choice) on the inputs (optionally with a wrong scale or no causal mask). */
static float *run_naive(const bench_inputs *in, float scale, int causal)
{
    float *out = calloc(in->q_elems, sizeof *out);
    mha_args a = in->args;
    a.out = out;
    a.scale = scale;
    a.causal = causal;
    const mha_impl *impl = impl_for(a.dtype);
    mha_status st = mha_attention(impl, &a);
    CHECK(st == MHA_OK, "%s failed: %s", impl->name, mha_last_error());
    return out;
}

static void shape(const bench_point *p, int expect_rows)
{
    bench_inputs in;
    char msg[320];
    CHECK(bench_inputs_make(p, &in, msg, sizeof msg) == 0, "inputs: %s", msg);
    CHECK(in.rows == expect_rows, "reference rows %d, expected %d", in.rows, expect_rows);
    CHECK(in.row_index[0] == 0 && in.row_index[in.rows - 1] == p->q_len - 1, "first and last rows are checked");

    float *out = run_naive(&in, 0.0f, p->causal);
    CHECK(bench_check_output(&in, out, msg, sizeof msg) == 0, "naive rejected: %s", msg);
    const double naive_error = bench_output_error(&in, out);
    CHECK(naive_error >= 0 && naive_error <= in.tolerance, "naive's error %g, bound %g", naive_error, in.tolerance);

    /* one element of the last checked row moved by 10x the bound: the error is that move, give or take naive's */
    size_t e = ((size_t)in.row_index[in.rows - 1] * (size_t)p->heads + 1) * (size_t)p->head_dim + 3;
    out[e] += (float)(10 * in.tolerance);
    CHECK(bench_check_output(&in, out, msg, sizeof msg) == 1 && strstr(msg, "wrong output"),
          "a moved element passed: %s", msg);
    const double moved = bench_output_error(&in, out);
    CHECK(fabs(moved - 10 * in.tolerance) <= naive_error + 1e-6 * in.tolerance, "error after the move %g, expected %g",
          moved, 10 * in.tolerance);
    out[e] = NAN;
    CHECK(isinf(bench_output_error(&in, out)), "a NaN element counts as an infinite error");
    free(out);

    out = run_naive(&in, 1.1f / sqrtf((float)p->head_dim), p->causal);
    CHECK(bench_check_output(&in, out, msg, sizeof msg) == 1, "a wrong scale passed: %s", msg);
    free(out);

    if (p->causal) {
        out = run_naive(&in, 0.0f, 0);
        CHECK(bench_check_output(&in, out, msg, sizeof msg) == 1, "a dropped causal mask passed: %s", msg);
        free(out);
    }
    bench_inputs_free(&in);
}

/* y of the layer through impl; weights w[0..3] = W_Q, W_K, W_V, W_O. */
static void layer_y(const mha_impl *impl, const mha_layer *L, mha_layer_args *a, float *y)
{
    a->y = y;
    mha_status st = mha_layer_forward(impl, L, a);
    CHECK(st == MHA_OK, "%s layer failed: %s", impl->name, mha_last_error());
}

static void layer_case(int causal)
{
    enum { B = 2, S = 33, H = 4, HKV = 2, D = 64, NKV = HKV * (D / H) };
    static float x[B * S * D], wq[D * D], wk[D * NKV], wv[D * NKV], wo[D * D], wrong[D * D], y[B * S * D];
    mha_rng rng;
    mha_rng_seed(&rng, 7);
    mha_rng_fill(&rng, x, B * S * D, 1.0f);
    mha_init_weights(11, D, wq, D * D);
    mha_init_weights(12, D, wk, D * NKV);
    mha_init_weights(13, D, wv, D * NKV);
    mha_init_weights(14, D, wo, D * D);
    mha_layer L = {D, H, HKV, wq, wk, wv, wo};
    mha_layer_args a = {0};
    a.batch = B;
    a.seq_len = S;
    a.x = x;
    a.causal = causal;
    a.threads = 2;
    char msg[400];
    int tried = 0;
    for (size_t i = 0; i < mha_impl_count(); i++) {
        const mha_impl *impl = mha_impl_get(i);
        if (!mha_impl_runnable(impl, NULL, 0) || (impl->dtypes && !(impl->dtypes & MHA_IO_F32))) /* fp32 layers */
            continue;
        layer_y(impl, &L, &a, y);
        CHECK(bench_layer_check(&L, &a, y, msg, sizeof msg) == 0, "%s (causal %d) rejected: %s", impl->name,
              causal, msg);
        tried++;
    }
    CHECK(tried >= 2, "only %d implementations ran", tried);

    const mha_impl *naive = mha_impl_find("naive");
    layer_y(naive, &L, &a, y);
    y[(1 * S + S - 1) * D + 5] += 1e-3f;
    CHECK(bench_layer_check(&L, &a, y, msg, sizeof msg) == 1 && strstr(msg, "y[1][32][5]"),
          "a moved element passed: %s", msg);

    memcpy(wrong, wv, sizeof wv);
    wrong[3 * NKV + 17] += 0.05f;
    mha_layer bad_v = L;
    bad_v.w_v = wrong;
    layer_y(naive, &bad_v, &a, y);
    CHECK(bench_layer_check(&L, &a, y, msg, sizeof msg) == 1, "a wrong W_V passed: %s", msg);

    memcpy(wrong, wo, sizeof wo);
    wrong[9 * D + 40] += 0.05f;
    mha_layer bad_o = L;
    bad_o.w_o = wrong;
    layer_y(naive, &bad_o, &a, y);
    CHECK(bench_layer_check(&L, &a, y, msg, sizeof msg) == 1, "a wrong W_O passed: %s", msg);

    if (causal) {
        a.causal = 0;
        layer_y(naive, &L, &a, y);
        a.causal = 1;
        CHECK(bench_layer_check(&L, &a, y, msg, sizeof msg) == 1, "a dropped causal mask passed: %s", msg);
    }
}

int main(void)
{
    /* the bound at the default grid's largest point: u * (2 * 128^1.5 + 2 * 4096 + 16) */
    double t = bench_tolerance(4096, 128), want = ldexp(1.0, -24) * (2.0 * 128.0 * sqrt(128.0) + 8192.0 + 16.0);
    CHECK(fabs(t - want) < 1e-12 && t < 7e-4, "tolerance %g, expected %g", t, want);

    bench_point small = {1, 4, 2, 37, 91, 40, 1, 1, "odd", MHA_F32};
    shape(&small, 37);
    bench_point large = {1, 8, 8, 512, 512, 64, 1, 2, "causal", MHA_F32};
    shape(&large, 8);
    layer_case(0);
    layer_case(1);
    /* bf16 and fp16 points: naive on the rounded inputs passes their bound, the broken runs fail it */
    for (int dt = MHA_BF16; dt <= MHA_F16; dt++) {
        bench_point low = {1, 4, 2, 37, 91, 40, 1, 1, "dtype", dt};
        if (impl_for((mha_dtype)dt))
            shape(&low, 37);
        else
            SKIP("no runnable implementation takes %s", mha_dtype_name((mha_dtype)dt));
        const double ud = dt == MHA_BF16 ? ldexp(1.0, -8) : ldexp(1.0, -11);
        CHECK(bench_tolerance_dtype(91, 40, (mha_dtype)dt) == bench_tolerance(91, 40) + 2.0 * ud,
              "%s bound: the fp32 bound + 2 u_d", mha_dtype_name((mha_dtype)dt));
    }
    return check_summary();
}
