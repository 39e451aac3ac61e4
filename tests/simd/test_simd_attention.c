/*
 * One simd_* implementation (argv[1]) against the float64 reference
 * mha_reference() on small cases: every Dh and S in {1, 3, 7, 8, 15, 16,
 * 17, 33, 64, 65}, GQA, MQA, causal with Sq < Skv and Sq > Skv, additive
 * masks with -inf and a fully masked row, logits of 1e4, NaN in Q, K and
 * in V behind a mask, both layouts, padded strides, unaligned pointers;
 * and threads 1 and 2 giving identical bits. Exit 77 (meson: SKIP) when
 * the implementation cannot run on this CPU.
 *
 * Tolerance: the conformance model (conformance/tolerance.h, docs/conformance.md,
 * "Tolerances are derived"): err_fp32, the max error of the plain fp32 algorithm
 * (naive, and naive's loops with fused multiply-adds) against the
 * reference on the same case, sets the scale:
 *     err <= TOL_FACTOR * err_fp32 + TOL_FLOOR * FLT_EPSILON * max|V|
 * (probabilities: their own err_fp32 and magnitude 1). Where the reference
 * is NaN the output must be NaN and vice versa; where the reference is
 * exactly 0 (hidden keys, fully masked rows) the output must be exactly 0.
 */
#include "mha.h"
#include "conformance/tolerance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"

enum { MASK_NONE, MASK_RANDOM, MASK_FULL_ROW, MASK_COLUMN };
enum { NAN_NONE, NAN_Q, NAN_K, NAN_V_HIDDEN };

typedef struct tcase {
    const char *name;
    int64_t b, h, hkv, sq, skv, dh;
    int head_major;   /* 0: (B, S, H*Dh) seed layout, 1: (B, H, S, Dh) */
    int mask;         /* MASK_* */
    int causal;
    float qk_scale;   /* Q and K are uniform [-1, 1) times this */
    int nan;          /* NAN_* */
    int odd;          /* unaligned pointers (+1 float) and padded seq strides */
} tcase;

typedef struct tensors {
    float *q, *k, *v, *mask;
    mha_args args;
    float max_v;
    size_t out_elems, probs_elems;
} tensors;

static mha_strides layout(const tcase *c, int64_t seq, int64_t heads, int pad)
{
    mha_strides s = c->head_major ? mha_strides_bhsd(seq, heads, c->dh)
                                  : mha_strides_bshd(seq, heads, c->dh);
    if (pad) { /* one spare float per row step */
        if (c->head_major) {
            s.seq = c->dh + 1;
            s.head = seq * s.seq;
            s.batch = heads * s.head;
        } else {
            s.head = c->dh;
            s.seq = heads * c->dh + 1;
            s.batch = seq * s.seq;
        }
    }
    return s;
}

static size_t extent(mha_strides s, int64_t b, int64_t seq, int64_t heads, int64_t dh)
{
    return (size_t)((b - 1) * s.batch + (seq - 1) * s.seq + (heads - 1) * s.head + dh);
}

/* Inputs of a case; the output pointers are set by the caller. */
static void make_inputs(const tcase *c, tensors *t)
{
    mha_rng rng;
    mha_rng_seed(&rng, 0x5eed0000u + (uint64_t)(c->dh * 131 + c->skv * 7 + c->sq));
    memset(t, 0, sizeof *t);
    mha_args *a = &t->args;
    a->shape = (mha_shape){c->b, c->h, c->hkv, c->sq, c->skv, c->dh};
    a->q_strides = layout(c, c->sq, c->h, c->odd);
    a->k_strides = layout(c, c->skv, c->hkv, c->odd);
    a->v_strides = layout(c, c->skv, c->hkv, c->odd);
    a->out_strides = layout(c, c->sq, c->h, c->odd);
    const size_t off = c->odd ? 1 : 0;
    const size_t nq = extent(a->q_strides, c->b, c->sq, c->h, c->dh);
    const size_t nk = extent(a->k_strides, c->b, c->skv, c->hkv, c->dh);
    t->q = calloc(nq + 1, sizeof(float));
    t->k = calloc(nk + 1, sizeof(float));
    t->v = calloc(nk + 1, sizeof(float));
    mha_rng_fill(&rng, t->q + off, nq, c->qk_scale);
    mha_rng_fill(&rng, t->k + off, nk, c->qk_scale);
    mha_rng_fill(&rng, t->v + off, nk, 1.0f);
    t->max_v = 0.0f;
    for (size_t n = 0; n < nk; n++)
        t->max_v = fmaxf(t->max_v, fabsf(t->v[off + n]));
    a->q = t->q + off;
    a->k = t->k + off;
    a->v = t->v + off;
    a->causal = c->causal;
    a->scale = 0.0f;
    if (c->mask != MASK_NONE) {
        /* one mask per head, broadcast over the batch */
        const size_t n = (size_t)(c->h * c->sq * c->skv);
        t->mask = malloc((n + 1) * sizeof(float));
        mha_rng_fill(&rng, t->mask + off, n, 2.0f);
        float *m = t->mask + off;
        for (size_t e = 0; e < n; e++) {
            if (c->mask == MASK_RANDOM && (e * 2654435761u) % 5 == 0)
                m[e] = -INFINITY;
            if (c->mask == MASK_COLUMN && e % (size_t)c->skv == (size_t)(c->skv - 1))
                m[e] = -INFINITY;
        }
        if (c->mask == MASK_FULL_ROW) /* head 0, query row sq/2: every key hidden */
            for (int64_t j = 0; j < c->skv; j++)
                m[(c->sq / 2) * c->skv + j] = -INFINITY;
        a->mask = m;
        a->mask_strides = (mha_mask_strides){0, c->sq * c->skv, c->skv};
    }
    if (c->nan == NAN_Q) /* batch 0, query 1 % Sq, head 0, element Dh-1 */
        t->q[off + (size_t)((1 % c->sq) * a->q_strides.seq + c->dh - 1)] = NAN;
    if (c->nan == NAN_K) /* batch 0, key 0, kv head 0 */
        t->k[off] = NAN;
    if (c->nan == NAN_V_HIDDEN) /* the last key, hidden by MASK_COLUMN */
        t->v[off + (size_t)((c->skv - 1) * a->v_strides.seq)] = NAN;
    t->out_elems = extent(a->out_strides, c->b, c->sq, c->h, c->dh);
    t->probs_elems = (size_t)(c->b * c->h * c->sq * c->skv);
}

typedef struct errors {
    double out, probs;
    int bad_nan, bad_zero;
} errors;

/* Max |got - ref| over outputs and probabilities, and NaN / exact-zero mismatches. */
static errors compare(const tensors *t, const float *out, const float *probs, const double *ref,
                      const double *ref_p)
{
    const mha_args *a = &t->args;
    const mha_shape *s = &a->shape;
    errors e = {0.0, 0.0, 0, 0};
    for (int64_t b = 0; b < s->batch; b++)
        for (int64_t i = 0; i < s->q_len; i++)
            for (int64_t h = 0; h < s->heads; h++)
                for (int64_t d = 0; d < s->head_dim; d++) {
                    const float g = out[b * a->out_strides.batch + i * a->out_strides.seq +
                                        h * a->out_strides.head + d];
                    const double r = ref[((b * s->q_len + i) * s->heads + h) * s->head_dim + d];
                    if (isnan(r) != isnan(g)) {
                        e.bad_nan++;
                        continue;
                    }
                    if (r == 0.0 && g != 0.0f)
                        e.bad_zero++;
                    if (!isnan(r))
                        e.out = fmax(e.out, fabs((double)g - r));
                }
    for (size_t n = 0; n < t->probs_elems; n++) {
        if (isnan(ref_p[n]) != isnan(probs[n])) {
            e.bad_nan++;
            continue;
        }
        if (ref_p[n] == 0.0 && probs[n] != 0.0f)
            e.bad_zero++;
        if (!isnan(ref_p[n]))
            e.probs = fmax(e.probs, fabs((double)probs[n] - ref_p[n]));
    }
    return e;
}

/* Runs impl with the given thread count into out (sized t->out_elems + 1) and probs. */
static void run(const mha_impl *impl, const tensors *t, int threads, float *out, float *probs)
{
    mha_args a = t->args;
    a.out = out;
    a.probs = probs;
    a.threads = threads;
    mha_status st = mha_attention(impl, &a);
    CHECK(st == MHA_OK, "%s threads %d: status %s: %s", impl->name, threads, mha_status_str(st), mha_last_error());
}

static void check_case(const mha_impl *impl, const tcase *c)
{
    tensors t;
    make_inputs(c, &t);
    const size_t no = t.out_elems + 1, np = t.probs_elems;
    const size_t ref_n = (size_t)(c->b * c->sq * c->h * c->dh);
    double *ref = malloc(ref_n * sizeof *ref), *ref_p = malloc(np * sizeof *ref_p);
    float *out1 = calloc(no, sizeof(float)), *out2 = calloc(no, sizeof(float));
    float *p1 = calloc(np, sizeof(float)), *p2 = calloc(np, sizeof(float));
    const size_t off = c->odd ? 1 : 0;

    mha_args ra = t.args;
    ra.threads = 1;
    ra.out = out1 + off; /* validated, not written */
    double err_o = 0, err_p = 0;
    char why[256] = "";
    const int have_ref = mha_reference(&ra, ref, ref_p) == MHA_OK;
    CHECK(have_ref, "%s: reference: %s", c->name, mha_last_error());
    const int have_err = have_ref && measure_err_fp32(&t.args, ref, ref_p, &err_o, &err_p, why, sizeof why) == 0;
    CHECK(!have_ref || have_err, "%s: err_fp32: %s", c->name, why);
    if (!have_err)
        goto done;
    run(impl, &t, 1, out1 + off, p1);
    run(impl, &t, 2, out2 + off, p2);

    const errors e = compare(&t, out1 + off, p1, ref, ref_p);
    const double tol_o = tolerance_of(TOL_FACTOR, TOL_FLOOR, err_o, t.max_v);
    const double tol_p = tolerance_of(TOL_FACTOR, TOL_FLOOR, err_p, 1.0);
    const int same_bits = memcmp(out1, out2, no * sizeof(float)) == 0 &&
                          memcmp(p1, p2, np * sizeof(float)) == 0;
    const int ok = e.out <= tol_o && e.probs <= tol_p && !e.bad_nan && !e.bad_zero && same_bits;
    CHECK(ok, "%-26s B%lld H%lld/%lld Sq%lld Skv%lld Dh%lld %s: out err %.2e (err_fp32 %.2e, tol %.2e) "
              "probs err %.2e (err_fp32 %.2e, tol %.2e)%s%s%s",
          c->name, (long long)c->b, (long long)c->h, (long long)c->hkv, (long long)c->sq, (long long)c->skv,
          (long long)c->dh, c->head_major ? "bhsd" : "bshd", e.out, err_o, tol_o, e.probs, err_p, tol_p,
          e.bad_nan ? " NaN-mismatch" : "", e.bad_zero ? " nonzero-where-zero" : "",
          same_bits ? "" : " threads-1-vs-2-differ");
    if (getenv("MHA_TEST_VERBOSE"))
        printf("%-26s Dh%lld Skv%lld: out err %.2e (err_fp32 %.2e, tol %.2e)\n", c->name, (long long)c->dh,
               (long long)c->skv, e.out, err_o, tol_o);
done:
    free(ref); free(ref_p); free(out1); free(out2); free(p1); free(p2);
    free(t.q); free(t.k); free(t.v); free(t.mask);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s IMPL_NAME\n", argv[0]);
        return 2;
    }
    const mha_impl *impl = mha_impl_find(argv[1]);
    if (!impl) {
        printf("FAIL: %s is not compiled into this build\n", argv[1]);
        return 1;
    }
    char why[128];
    if (!mha_impl_runnable(impl, why, sizeof why)) {
        printf("SKIP: %s: %s\n", argv[1], why);
        return 77;
    }

    static const int64_t sizes[] = {1, 3, 7, 8, 15, 16, 17, 33, 64, 65};
    const int ns = (int)(sizeof sizes / sizeof sizes[0]);
    /* every Dh x S, GQA 2:1, both layouts alternately, odd strides on a third */
    for (int x = 0; x < ns; x++)
        for (int y = 0; y < ns; y++) {
            tcase c = {"sizes", 1, 2, 1, sizes[y], sizes[y], sizes[x], (x + y) % 2, MASK_NONE, 0,
                       1.0f, NAN_NONE, (x + y) % 3 == 0};
            check_case(impl, &c);
        }
    for (int lay = 0; lay < 2; lay++) {
        const tcase cases[] = {
            {"mha", 2, 3, 3, 9, 9, 16, lay, MASK_NONE, 0, 1.0f, NAN_NONE, 0},
            {"gqa", 2, 4, 2, 7, 19, 33, lay, MASK_NONE, 0, 1.0f, NAN_NONE, 1},
            {"mqa", 1, 4, 1, 5, 17, 64, lay, MASK_NONE, 0, 1.0f, NAN_NONE, 0},
            {"causal Sq<Skv", 1, 2, 1, 5, 17, 17, lay, MASK_NONE, 1, 1.0f, NAN_NONE, 1},
            {"causal Sq=Skv", 2, 2, 2, 33, 33, 65, lay, MASK_NONE, 1, 1.0f, NAN_NONE, 0},
            {"causal Sq>Skv", 1, 2, 2, 9, 4, 8, lay, MASK_NONE, 1, 1.0f, NAN_NONE, 0},
            {"mask -inf", 2, 2, 1, 7, 33, 15, lay, MASK_RANDOM, 0, 1.0f, NAN_NONE, 1},
            {"mask -inf + causal", 1, 2, 1, 8, 16, 7, lay, MASK_RANDOM, 1, 1.0f, NAN_NONE, 0},
            {"mask fully masked row", 1, 2, 2, 5, 17, 16, lay, MASK_FULL_ROW, 0, 1.0f, NAN_NONE, 0},
            {"logits 1e4", 1, 2, 1, 6, 65, 64, lay, MASK_NONE, 0, 100.0f, NAN_NONE, 0},
            {"logits 1e4 causal", 1, 1, 1, 17, 17, 16, lay, MASK_NONE, 1, 100.0f, NAN_NONE, 1},
            {"NaN in Q", 1, 2, 1, 4, 9, 17, lay, MASK_NONE, 0, 1.0f, NAN_Q, 0},
            {"NaN in K", 1, 2, 1, 4, 9, 17, lay, MASK_NONE, 0, 1.0f, NAN_K, 1},
            {"NaN in K, causal", 1, 2, 2, 4, 9, 8, lay, MASK_NONE, 1, 1.0f, NAN_K, 0},
            {"NaN in V behind mask", 1, 2, 1, 4, 9, 17, lay, MASK_COLUMN, 0, 1.0f, NAN_V_HIDDEN, 0},
            {"long row", 1, 1, 1, 3, 1000, 65, lay, MASK_NONE, 0, 1.0f, NAN_NONE, 1},
        };
        for (size_t n = 0; n < sizeof cases / sizeof cases[0]; n++)
            check_case(impl, &cases[n]);
    }
    printf("%s: ", impl->name);
    return check_summary();
}
