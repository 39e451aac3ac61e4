/*
 * gemm, gemm_avx2, blas and its other CBLAS builds (blas_scipy, blas_mkl, where
 * built) against mha_reference() (float64) on small
 * cases covering the contract: MHA, GQA, MQA, causal with Sq < Skv and
 * Sq > Skv, an additive mask with -inf entries and a fully masked row,
 * logits of 1e4, NaN propagation (and NaN that must NOT propagate from
 * hidden keys), both layouts, input views with overlapping rows (seq stride
 * 0 or below Dh), unaligned pointers, probabilities, head
 * chunking, and identical bits for 1, 2 and 3 threads for the implementations
 * that declare MHA_CAP_DETERMINISTIC (not blas: OpenBLAS's bits change with its
 * thread count).
 *
 * Tolerance: the conformance model (conformance/tolerance.h, docs/conformance.md,
 * "Tolerances are derived"): err_fp32, the max error of the plain fp32 algorithm
 * (naive, and naive's loops with fused multiply-adds) against the
 * reference on the same inputs, sets the scale:
 *     |O - O_ref| <= TOL_FACTOR * err_fp32 + TOL_FLOOR * FLT_EPSILON * max|V|
 * (probabilities: their own err_fp32 and magnitude 1). A wrong scale,
 * missing mask, wrong GQA head or an off-by-one key changes outputs by far
 * more than this.
 * NaN: the output is NaN exactly where the reference is NaN.
 */
#include "mha.h"
#include "conformance/tolerance.h"
#include "impl/gemm/gemm_head.h" /* mha_gemm_exp_nonpositive: the softmax's exp */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const double u = 1.0 / 16777216.0;

typedef struct tcase {
    const char *name;
    int64_t B, H, Hkv, Sq, Skv, Dh;
    int bhsd;          /* head-major layout instead of (B, S, H*Dh) */
    int causal;
    int mask;          /* 1: additive mask with -inf entries and a fully masked row */
    float amplitude;   /* inputs uniform in [-amplitude, amplitude) */
    int nan_q, nan_k_hidden, nan_v_hidden, nan_v_visible;
    int probs;
    int odd_strides;   /* Q seq stride 0 (one row broadcast), K and V rows overlapping */
} tcase;

typedef struct buffers {
    float *q, *k, *v, *mask;
    size_t nq, nkv;
} buffers;

static mha_strides layout(const tcase *c, int64_t s, int64_t h)
{
    return c->bhsd ? mha_strides_bhsd(s, h, c->Dh) : mha_strides_bshd(s, h, c->Dh);
}

/* Allocates n floats one float past an aligned address (unaligned for vectors). */
static float *alloc_unaligned(size_t n)
{
    float *p = malloc((n + 1) * sizeof(float));
    return p + 1;
}

static void free_unaligned(float *p)
{
    if (p)
        free(p - 1);
}

static void make_inputs(const tcase *c, buffers *in, mha_args *a)
{
    mha_rng rng;
    mha_rng_seed(&rng, 1000 + (uint64_t)c->Skv * 7 + (uint64_t)c->H);
    in->nq = (size_t)(c->B * c->Sq * c->H * c->Dh);
    in->nkv = (size_t)(c->B * c->Skv * c->Hkv * c->Dh);
    in->q = alloc_unaligned(in->nq);
    in->k = alloc_unaligned(in->nkv);
    in->v = alloc_unaligned(in->nkv);
    mha_rng_fill(&rng, in->q, in->nq, c->amplitude);
    mha_rng_fill(&rng, in->k, in->nkv, c->amplitude);
    mha_rng_fill(&rng, in->v, in->nkv, 1.0f);
    memset(a, 0, sizeof *a);
    a->shape = (mha_shape){c->B, c->H, c->Hkv, c->Sq, c->Skv, c->Dh};
    a->q = in->q; a->q_strides = layout(c, c->Sq, c->H);
    a->k = in->k; a->k_strides = layout(c, c->Skv, c->Hkv);
    a->v = in->v; a->v_strides = layout(c, c->Skv, c->Hkv);
    a->causal = c->causal;
    if (c->odd_strides) { /* inputs may have any non-negative strides */
        a->q_strides.seq = 0;
        a->k_strides.seq = 1;
        a->v_strides.seq = 3;
    }
    in->mask = NULL;
    if (c->mask) {
        /* [H][Sq][Skv], broadcast over the batch (stride 0) */
        size_t n = (size_t)(c->H * c->Sq * c->Skv);
        in->mask = alloc_unaligned(n);
        mha_rng_fill(&rng, in->mask, n, 2.0f);
        for (size_t i = 0; i < n; i++)
            if (mha_rng_next(&rng) % 4 == 0)
                in->mask[i] = -INFINITY;
        for (int64_t j = 0; j < c->Skv; j++) /* head 0, row 1: every key hidden */
            in->mask[1 * c->Skv + j] = -INFINITY;
        a->mask = in->mask;
        a->mask_strides = (mha_mask_strides){0, c->Sq * c->Skv, c->Skv};
    }
    /* NaN in Q: batch 0, query 0, head 0; its output row must be NaN. */
    if (c->nan_q)
        in->q[0] = NAN;
    /* NaN in K and V of the last key of kv head 0: hidden from query 0 by
     * the causal flag when Sq < Skv, so query 0 must stay finite. */
    int64_t last = c->Skv - 1;
    if (c->nan_k_hidden)
        in->k[last * a->k_strides.seq + 1] = NAN;
    if (c->nan_v_hidden)
        in->v[last * a->v_strides.seq + 2] = INFINITY;
    /* NaN in V of key 0 (visible to every causal row): reaches every output of its heads. */
    if (c->nan_v_visible)
        in->v[0 * a->v_strides.seq + 0] = NAN;
}

/* Runs impl and compares with the reference; returns out (caller frees) for the bit checks. */
static float *run(const mha_impl *impl, const tcase *c, const mha_args *base, int threads, float **probs_out)
{
    mha_args a = *base;
    const size_t nout = (size_t)(c->B * c->Sq * c->H * c->Dh);
    float *out = alloc_unaligned(nout);
    for (size_t i = 0; i < nout; i++)
        out[i] = 12345.0f; /* must all be overwritten */
    a.out = out;
    a.out_strides = layout(c, c->Sq, c->H);
    a.threads = threads;
    float *probs = NULL;
    if (c->probs) {
        size_t np = (size_t)(c->B * c->H * c->Sq * c->Skv);
        probs = malloc(np * sizeof(float));
        for (size_t i = 0; i < np; i++)
            probs[i] = 12345.0f;
        a.probs = probs;
    }
    mha_status st = mha_attention(impl, &a);
    CHECK(st == MHA_OK, "%s %s threads=%d: status %d (%s)", impl->name, c->name, threads, st, mha_last_error());
    *probs_out = probs;
    return out;
}

static void compare(const mha_impl *impl, const tcase *c, const mha_args *a, const float *out, const float *probs)
{
    const int64_t B = c->B, H = c->H, Sq = c->Sq, Skv = c->Skv, Dh = c->Dh;
    double *ref = malloc((size_t)(B * Sq * H * Dh) * sizeof(double));
    double *pref = malloc((size_t)(B * H * Sq * Skv) * sizeof(double));
    mha_args ra = *a;
    ra.threads = 1;
    ra.out = (float *)out; /* validated, not written */
    ra.out_strides = layout(c, c->Sq, c->H);
    ra.probs = NULL;
    CHECK(mha_reference(&ra, ref, pref) == MHA_OK, "reference failed: %s", mha_last_error());
    double err_out = 0, err_probs = 0, vmax = 0;
    char why[256] = "";
    CHECK(measure_err_fp32(a, ref, pref, &err_out, &err_probs, why, sizeof why) == 0, "err_fp32: %s", why);
    for (int64_t b = 0; b < B; b++) /* max|V| over the elements the strides reach */
        for (int64_t j = 0; j < Skv; j++)
            for (int64_t g = 0; g < c->Hkv; g++)
                for (int64_t d = 0; d < Dh; d++) {
                    const float v = ((const float *)a->v)[b * a->v_strides.batch + j * a->v_strides.seq + g * a->v_strides.head + d];
                    vmax = isnan(v) ? vmax : max_of(vmax, fabs((double)v));
                }
    const double tol = tolerance_of(TOL_FACTOR, TOL_FLOOR, err_out, vmax);
    const double ptol = tolerance_of(TOL_FACTOR, TOL_FLOOR, err_probs, 1.0);
    const mha_strides os = layout(c, Sq, H);
    int64_t bad = 0, nan_bad = 0, pbad = 0;
    double worst = 0.0;
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t i = 0; i < Sq; i++) {
                const float *o = out + b * os.batch + i * os.seq + h * os.head;
                const double *r = ref + ((b * Sq + i) * H + h) * Dh;
                for (int64_t d = 0; d < Dh; d++) {
                    if (!isfinite(r[d]) || !isfinite(o[d])) {
                        nan_bad += isnan(r[d]) != isnan(o[d]) || (!isnan(r[d]) && (double)o[d] != r[d]);
                        continue;
                    }
                    double err = fabs(o[d] - r[d]);
                    if (!(err <= tol)) {
                        if (bad < 3)
                            printf("  %s %s: O[b=%lld,i=%lld,h=%lld,d=%lld] = %.9g, reference %.9g, tol %.3g\n",
                                   impl->name, c->name, (long long)b, (long long)i, (long long)h, (long long)d,
                                   (double)o[d], r[d], tol);
                        bad++;
                    }
                    if (tol > 0 && err / tol > worst)
                        worst = err / tol;
                }
                if (probs) {
                    const float *p = probs + ((b * H + h) * Sq + i) * Skv;
                    const double *pr = pref + ((b * H + h) * Sq + i) * Skv;
                    for (int64_t j = 0; j < Skv; j++) {
                        if (isnan(pr[j]) || isnan(p[j])) {
                            pbad += isnan(pr[j]) != isnan(p[j]);
                            continue;
                        }
                        if (!(fabs(p[j] - pr[j]) <= ptol))
                            pbad++;
                    }
                }
            }
    CHECK(bad == 0, "%s %s: %lld outputs outside the derived tolerance", impl->name, c->name, (long long)bad);
    CHECK(nan_bad == 0, "%s %s: %lld outputs NaN or inf where the reference is not, or the reverse", impl->name, c->name,
          (long long)nan_bad);
    CHECK(pbad == 0, "%s %s: %lld probabilities wrong", impl->name, c->name, (long long)pbad);
    if (c->nan_q || c->nan_v_visible) {
        const float *o = out; /* b 0, i 0, h 0 */
        CHECK(isnan(o[0]), "%s %s: NaN input did not reach O[0,0,0,0]", impl->name, c->name);
    }
    if (c->nan_k_hidden || c->nan_v_hidden) {
        /* The NaN/inf key is hidden from query 0 (causal), so its row is finite. */
        CHECK(isfinite(ref[0]), "%s: the hidden-NaN case is set up wrong (reference row 0 not finite)", c->name);
        CHECK(isfinite(out[0]), "%s %s: a key hidden from query 0 was read", impl->name, c->name);
    }
    printf("  %-10s %-34s worst error %.3f of the tolerance\n", impl->name, c->name, worst);
    free(ref);
    free(pref);
}

static void run_case(const mha_impl *impl, const tcase *c)
{
    buffers in;
    mha_args a;
    make_inputs(c, &in, &a);
    float *p1, *p2, *p3;
    float *o1 = run(impl, c, &a, 1, &p1);
    compare(impl, c, &a, o1, p1);
    float *o2 = run(impl, c, &a, 2, &p2);
    float *o3 = run(impl, c, &a, 3, &p3);
    const size_t nout = (size_t)(c->B * c->Sq * c->H * c->Dh) * sizeof(float);
    const int det = (impl->caps & MHA_CAP_DETERMINISTIC) != 0;
    if (det)
        CHECK(memcmp(o1, o2, nout) == 0 && memcmp(o1, o3, nout) == 0, "%s %s: outputs differ between 1, 2, 3 threads",
              impl->name, c->name);
    else /* still within the tolerance */
        compare(impl, c, &a, o2, p2);
    if (det && c->probs) {
        const size_t np = (size_t)(c->B * c->H * c->Sq * c->Skv) * sizeof(float);
        CHECK(memcmp(p1, p2, np) == 0 && memcmp(p1, p3, np) == 0,
              "%s %s: probabilities differ between 1, 2, 3 threads", impl->name, c->name);
    }
    /* A caller workspace of exactly the reported size is accepted and used. */
    mha_args w = a;
    float *o4 = alloc_unaligned(nout / sizeof(float));
    w.out = o4;
    w.out_strides = layout(c, c->Sq, c->H);
    w.threads = det ? 2 : 1;
    w.probs = c->probs ? malloc((size_t)(c->B * c->H * c->Sq * c->Skv) * sizeof(float)) : NULL;
    w.workspace_bytes = mha_workspace_size(impl, &w);
    w.workspace = (char *)malloc(w.workspace_bytes + 4) + 4; /* unaligned too */
    CHECK(mha_attention(impl, &w) == MHA_OK && memcmp(o1, o4, nout) == 0,
          "%s %s: caller workspace of %zu bytes gave a different result", impl->name, c->name, w.workspace_bytes);
    free((char *)w.workspace - 4);
    free(w.probs);
    free_unaligned(o4);
    free_unaligned(o1); free_unaligned(o2); free_unaligned(o3);
    free(p1); free(p2); free(p3);
    free_unaligned(in.q); free_unaligned(in.k); free_unaligned(in.v); free_unaligned(in.mask);
}

static const tcase cases[] = {
    /* name                          B  H Hkv  Sq Skv  Dh bhsd causal mask amp  nanq nk nvh nvv probs odd */
    {"mha bshd",                     2, 4, 4, 33, 33, 16, 0, 0, 0, 1.0f, 0, 0, 0, 0, 1, 0},
    {"mha bhsd",                     2, 4, 4, 33, 33, 16, 1, 0, 0, 1.0f, 0, 0, 0, 0, 0, 0},
    {"gqa 6/2 bshd Sq<Skv",          1, 6, 2, 17, 40, 24, 0, 0, 0, 1.0f, 0, 0, 0, 0, 1, 0},
    {"mqa 4/1 bhsd",                 2, 4, 1, 9, 70, 8, 1, 0, 0, 1.0f, 0, 0, 0, 0, 0, 0},
    {"causal Sq<Skv",                1, 3, 3, 5, 37, 16, 0, 1, 0, 1.0f, 0, 0, 0, 0, 1, 0},
    {"causal Sq>Skv (masked rows)",  1, 2, 1, 20, 7, 8, 1, 1, 0, 1.0f, 0, 0, 0, 0, 1, 0},
    {"causal long, k blocks",        1, 2, 2, 300, 300, 72, 0, 1, 0, 1.0f, 0, 0, 0, 0, 0, 0},
    {"mask -inf + masked row",       2, 2, 2, 12, 29, 16, 0, 0, 1, 1.0f, 0, 0, 0, 0, 1, 0},
    {"mask + causal gqa",            1, 4, 2, 31, 31, 16, 1, 1, 1, 1.0f, 0, 0, 0, 0, 1, 0},
    {"logits 1e4",                   1, 2, 2, 16, 16, 16, 0, 0, 0, 60.0f, 0, 0, 0, 0, 1, 0},
    {"NaN in Q",                     1, 2, 1, 8, 8, 8, 0, 0, 0, 1.0f, 1, 0, 0, 0, 1, 0},
    {"NaN/inf in hidden K,V",        1, 2, 1, 4, 9, 8, 0, 1, 0, 1.0f, 0, 1, 1, 0, 1, 0},
    {"NaN in visible V",             1, 2, 1, 4, 9, 8, 1, 1, 0, 1.0f, 0, 0, 0, 1, 0, 0},
    {"one head, chunked rows",       1, 1, 1, 65, 300, 3, 0, 0, 0, 1.0f, 0, 0, 0, 0, 0, 0},
    {"Dh 1, Sq 1",                   3, 1, 1, 1, 5, 1, 0, 0, 0, 1.0f, 0, 0, 0, 0, 1, 0},
    {"overlapping input rows",       2, 4, 2, 9, 21, 8, 0, 1, 0, 1.0f, 0, 0, 0, 0, 1, 1},
    {"overlapping rows, Sq 1",       1, 2, 1, 1, 6, 8, 0, 0, 0, 1.0f, 0, 0, 0, 0, 0, 1},
};


/*
 * Relative error bound 4u, u = 2^-24: the rounding of r = x - n ln2 moves
 * exp by at most |r| u <= 0.35u, the minimax polynomial's error with fp32
 * coefficients is 1.7e-8 < 0.3u (impl/vec/vexp_consts.h), and Horner's 6
 * multiply-add steps on |r| <= 0.35 add at most
 * 2u (1 + 0.35 + 0.35^2 + ...) < 3.1u; the scaling by 2^n is exact.
 * Sampled over [-87, 0] (every 101st float).
 */
static void test_exp(void)
{
    double worst = 0.0;
    float wx = 0.0f;
    /* negative floats from -0 (bits 0x80000000) to -87 (0xc2ae0000), every 101st */
    for (uint32_t bits = 0x80000000u; bits <= 0xc2ae0000u; bits += 101) {
        float x;
        memcpy(&x, &bits, sizeof x);
        const double e = exp((double)x), r = fabs((double)mha_gemm_exp_nonpositive(x) - e) / e;
        if (r > worst) {
            worst = r;
            wx = x;
        }
    }
    CHECK(worst <= 4.0 * u, "exp: relative error %.3g (%.2f u) at x = %.9g, bound 4u", worst, worst / u, (double)wx);
    CHECK(mha_gemm_exp_nonpositive(-INFINITY) == 0.0f && mha_gemm_exp_nonpositive(-88.0f) == 0.0f &&
          mha_gemm_exp_nonpositive(0.0f) == 1.0f && mha_gemm_exp_nonpositive(-0.0f) == 1.0f,
          "exp: special values");
    printf("  exp: worst relative error %.2f u over [-87, 0] (sampled)\n", worst / u);
}

int main(void)
{
    test_exp();
    static const char *const names[] = {"gemm", "gemm_avx2", "blas", "blas_scipy", "blas_mkl"};
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        const mha_impl *impl = mha_impl_find(names[n]);
        char why[128];
        if (!impl) {
            printf("SKIP %s: not compiled into this build\n", names[n]);
            continue;
        }
        if (!mha_impl_runnable(impl, why, sizeof why)) {
            printf("SKIP %s: %s\n", names[n], why);
            continue;
        }
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
            run_case(impl, &cases[c]);
    }
    return check_summary();
}
