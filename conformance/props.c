/*
 * Property checks: relations that must hold between two calls of the same
 * implementation. Each compares implementation against implementation, so
 * the tolerance is twice the case's derived tolerance (each side is within
 * tol of the same exact value: |a - b| <= |a - r| + |r - b|). The zero-row
 * property is exact (the contract says O = 0 and P = 0).
 */
#include "runner.h"

#include "tolerance.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct prop {
    const mha_impl *impl;
    const run_opts *o;
    run_result r;
    int failed;
} prop;

static void prop_begin(prop *p, const mha_impl *impl, const run_opts *o, const char *id)
{
    memset(p, 0, sizeof *p);
    p->impl = impl;
    p->o = o;
    snprintf(p->r.id, sizeof p->r.id, "%s", id);
    snprintf(p->r.group, sizeof p->r.group, "property");
    p->r.units = -1; /* relations between two calls: no error against the reference to report */
    run_result start = p->r;
    start.started = 1;
    runner_report(o, &start);
}

static void prop_fail(prop *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void prop_fail(prop *p, const char *fmt, ...)
{
    if (p->failed++)
        return; /* the first failure is the one explained */
    va_list ap;
    char msg[256];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->r.variant[0])
        printf("FAIL  %s  %s  (%s)\n", p->o->label, p->r.id, p->r.variant);
    else
        printf("FAIL  %s  %s\n", p->o->label, p->r.id);
    printf("      %s\n      rerun: %s --case %s\n", msg, p->o->rerun, p->r.id);
    snprintf(p->r.reason, sizeof p->r.reason, "%s", msg);
    p->r.units = INFINITY;
}

static int prop_end(prop *p)
{
    p->r.pass = !p->failed;
    if (p->r.pass && p->o->verbose)
        printf("ok    %s  %s\n", p->o->label, p->r.id);
    runner_report(p->o, &p->r);
    return p->failed ? 1 : 0;
}

static conf_case spec(const char *id, int64_t H, int64_t Hkv, int64_t Sq, int64_t Skv, int64_t Dh)
{
    conf_case c;
    memset(&c, 0, sizeof c);
    snprintf(c.id, sizeof c.id, "%s", id);
    snprintf(c.group, sizeof c.group, "property");
    snprintf(c.recipe, sizeof c.recipe, "uniform");
    c.shape = (mha_shape){1, H, Hkv, Sq, Skv, Dh};
    c.seed = 0x5eed0000u + (uint64_t)(H * 1000 + Skv);
    return c;
}

/* The inputs of every property; each property function takes its own. */
enum { SPEC_SINGLE_HEAD, SPEC_GQA, SPEC_CAUSAL, SPEC_ROWS_MASK, SPEC_ROWS_CAUSAL, SPEC_PROBS_SUM, SPEC_PERMUTE,
       SPEC_COUNT };

static conf_case prop_spec(int which)
{
    conf_case c;
    switch (which) {
    case SPEC_SINGLE_HEAD: return spec("prop_single_head", 4, 4, 33, 33, 16);
    case SPEC_GQA: return spec("prop_gqa_repeat", 8, 2, 17, 40, 16);
    case SPEC_CAUSAL:
        c = spec("prop_causal_mask", 2, 2, 33, 65, 16);
        c.causal = 1;
        return c;
    case SPEC_ROWS_MASK:
        c = spec("prop_masked_rows_zero", 2, 2, 33, 33, 16);
        c.mask = MASK_FULL_ROWS;
        return c;
    case SPEC_ROWS_CAUSAL:
        c = spec("prop_masked_rows_zero", 2, 1, 40, 17, 8);
        c.causal = 1; /* Sq > Skv: rows i < Sq - Skv see no key */
        return c;
    case SPEC_PROBS_SUM:
        c = spec("prop_probs_sum", 2, 2, 33, 65, 16);
        c.mask = MASK_NEG_INF;
        return c;
    default: return spec("prop_permute_kv", 2, 2, 17, 65, 16);
    }
}

/*
 * Inputs, float64 reference and err_fp32 of each property case, computed once
 * by props_prepare() (before `mha check` forks one child per implementation
 * and level) instead of again in every child.
 */
static case_data prepared[SPEC_COUNT];
static int have_prepared[SPEC_COUNT];

static float *dup_floats(const float *src, size_t n, int *ok)
{
    if (!src)
        return NULL;
    float *d = malloc(n * sizeof *d);
    if (d)
        memcpy(d, src, n * sizeof *d);
    else
        *ok = 0;
    return d;
}

/* case_compute(), or a copy of what props_prepare() computed for the same case. */
static int prop_compute(const conf_case *c, case_data *d, char *err, size_t err_size)
{
    for (int k = 0; k < SPEC_COUNT; k++) {
        const case_data *m = &prepared[k];
        if (!have_prepared[k] || memcmp(&m->c, c, sizeof *c) != 0)
            continue;
        const mha_shape *s = &c->shape;
        const size_t nm = m->in.mask ? (size_t)(m->in.mask_b * m->in.mask_h * s->q_len * s->kv_len) : 0;
        int ok = 1;
        *d = *m;
        d->in.q = dup_floats(m->in.q, case_q_count(s), &ok);
        d->in.k = dup_floats(m->in.k, case_kv_count(s), &ok);
        d->in.v = dup_floats(m->in.v, case_kv_count(s), &ok);
        d->in.mask = dup_floats(m->in.mask, nm, &ok);
        d->ref_out = malloc(case_out_count(s) * sizeof(double));
        d->ref_probs = m->ref_probs ? malloc(case_probs_count(s) * sizeof(double)) : NULL;
        if (!ok || !d->ref_out || (m->ref_probs && !d->ref_probs)) {
            case_data_free(d);
            snprintf(err, err_size, "%s: out of memory", c->id);
            return -1;
        }
        memcpy(d->ref_out, m->ref_out, case_out_count(s) * sizeof(double));
        if (m->ref_probs)
            memcpy(d->ref_probs, m->ref_probs, case_probs_count(s) * sizeof(double));
        return 0;
    }
    return case_compute(c, d, err, err_size);
}

/*
 * Runs impl with padded strides (q, k, v bshd, out bhsd), 3 threads, every
 * buffer right after a guard page. 0, or -1 after recording the failure.
 */
static int call(prop *p, const case_data *d, float *out, float *probs)
{
    static const call_variant v = {CASE_LAYOUT_BSHD, CASE_LAYOUT_BHSD, 1, 3, 1};
    char hash[33], why[512];
    call_variant_describe(&v, p->r.variant, sizeof p->r.variant);
    if (runner_call(p->impl, d, &v, p->o, &p->r, out, probs, hash, why, sizeof why)) {
        prop_fail(p, "%s", why);
        return -1;
    }
    return 0;
}

/* |a - b| <= tol elementwise, NaN matching NaN. */
static void compare(prop *p, const char *what, const float *a, const float *b, size_t n, double tol)
{
    double *bd = malloc(n * sizeof *bd);
    if (!bd) {
        prop_fail(p, "out of memory");
        return;
    }
    for (size_t e = 0; e < n; e++)
        bd[e] = b[e];
    err_stats st;
    compare_values(a, NULL, bd, n, &st);
    if (st.nan_mismatch || st.max_abs > tol)
        prop_fail(p, "%s differ: error %.3g exceeds %.3g (2 x tolerance) at flat index %zu (%.9g vs %.9g)", what,
                  st.max_abs, tol, st.worst, st.got, st.want);
    free(bd);
}

static double tol_out(const prop *p, const case_data *d)
{
    return 2 * tolerance_of(p->o->factor, p->o->floor, d->err_out, d->max_abs_v);
}

static double tol_probs(const prop *p, const case_data *d)
{
    return 2 * tolerance_of(p->o->factor, p->o->floor, d->err_probs, 1.0);
}

typedef struct bufs {
    float *a, *b, *pa, *pb;
} bufs;

static int bufs_alloc(prop *p, bufs *b, const mha_shape *s)
{
    const size_t no = case_out_count(s), np = case_probs_count(s);
    b->a = malloc(no * sizeof(float));
    b->b = malloc(no * sizeof(float));
    b->pa = malloc(np * sizeof(float));
    b->pb = malloc(np * sizeof(float));
    if (b->a && b->b && b->pa && b->pb)
        return 0;
    prop_fail(p, "out of memory");
    return -1;
}

static void bufs_free(bufs *b)
{
    free(b->a);
    free(b->b);
    free(b->pa);
    free(b->pb);
}

/* Head h alone (H = Hkv = 1) equals head h of the multi-head call. */
static int prop_single_head(const mha_impl *impl, const run_opts *o)
{
    prop p;
    prop_begin(&p, impl, o, "prop_single_head");
    conf_case c = prop_spec(SPEC_SINGLE_HEAD);
    const int64_t S = 33, H = 4, Dh = 16;
    case_data d, e;
    char err[256];
    bufs b = {0};
    memset(&e, 0, sizeof e);
    if (prop_compute(&c, &d, err, sizeof err)) {
        prop_fail(&p, "%s", err);
        return prop_end(&p);
    }
    e.c = c;
    e.c.shape.heads = e.c.shape.kv_heads = 1;
    e.in.q = malloc((size_t)(S * Dh) * sizeof(float));
    e.in.k = malloc((size_t)(S * Dh) * sizeof(float));
    e.in.v = malloc((size_t)(S * Dh) * sizeof(float));
    if (!e.in.q || !e.in.k || !e.in.v || bufs_alloc(&p, &b, &c.shape) || call(&p, &d, b.a, NULL))
        goto done;
    for (int64_t h = 0; h < H && !p.failed; h++) {
        for (int64_t i = 0; i < S; i++) {
            memcpy(e.in.q + i * Dh, d.in.q + (i * H + h) * Dh, (size_t)Dh * sizeof(float));
            memcpy(e.in.k + i * Dh, d.in.k + (i * H + h) * Dh, (size_t)Dh * sizeof(float));
            memcpy(e.in.v + i * Dh, d.in.v + (i * H + h) * Dh, (size_t)Dh * sizeof(float));
        }
        if (call(&p, &e, b.b, NULL))
            break;
        for (int64_t i = 0; i < S; i++)
            memcpy(b.pa + i * Dh, b.a + (i * H + h) * Dh, (size_t)Dh * sizeof(float));
        char what[64];
        snprintf(what, sizeof what, "head %lld alone and within H = 4", (long long)h);
        compare(&p, what, b.b, b.pa, (size_t)(S * Dh), tol_out(&p, &d));
    }
done:
    bufs_free(&b);
    case_data_free(&d);
    case_free_inputs(&e.in);
    return prop_end(&p);
}

/* GQA (H = 8, Hkv = 2) equals MHA with each kv head repeated H / Hkv times. */
static int prop_gqa_repeat(const mha_impl *impl, const run_opts *o)
{
    prop p;
    prop_begin(&p, impl, o, "prop_gqa_repeat");
    conf_case c = prop_spec(SPEC_GQA);
    const int64_t H = 8, Hkv = 2, Skv = 40, Dh = 16, G = H / Hkv;
    case_data d, e;
    char err[256];
    bufs b = {0};
    if (prop_compute(&c, &d, err, sizeof err)) {
        prop_fail(&p, "%s", err);
        return prop_end(&p);
    }
    e = d;
    e.c.shape.kv_heads = H;
    e.in.k = malloc((size_t)(Skv * H * Dh) * sizeof(float));
    e.in.v = malloc((size_t)(Skv * H * Dh) * sizeof(float));
    if (e.in.k && e.in.v && !bufs_alloc(&p, &b, &c.shape)) {
        for (int64_t j = 0; j < Skv; j++)
            for (int64_t h = 0; h < H; h++) {
                memcpy(e.in.k + (j * H + h) * Dh, d.in.k + (j * Hkv + h / G) * Dh, (size_t)Dh * sizeof(float));
                memcpy(e.in.v + (j * H + h) * Dh, d.in.v + (j * Hkv + h / G) * Dh, (size_t)Dh * sizeof(float));
            }
        if (!call(&p, &d, b.a, NULL) && !call(&p, &e, b.b, NULL))
            compare(&p, "GQA and MHA with repeated K/V", b.a, b.b, case_out_count(&c.shape), tol_out(&p, &d));
    } else if (!p.failed) {
        prop_fail(&p, "out of memory");
    }
    free(e.in.k);
    free(e.in.v);
    bufs_free(&b);
    case_data_free(&d);
    return prop_end(&p);
}

/* The causal flag equals an additive mask with -inf above the bottom-right diagonal. */
static int prop_causal_mask(const mha_impl *impl, const run_opts *o)
{
    prop p;
    prop_begin(&p, impl, o, "prop_causal_mask");
    conf_case c = prop_spec(SPEC_CAUSAL);
    const int64_t Sq = 33, Skv = 65;
    case_data d, e;
    char err[256];
    bufs b = {0};
    if (prop_compute(&c, &d, err, sizeof err)) {
        prop_fail(&p, "%s", err);
        return prop_end(&p);
    }
    e = d;
    e.c.causal = 0;
    e.in.mask_b = e.in.mask_h = 1;
    e.in.mask = malloc((size_t)(Sq * Skv) * sizeof(float));
    if (e.in.mask && !bufs_alloc(&p, &b, &c.shape)) {
        for (int64_t i = 0; i < Sq; i++)
            for (int64_t j = 0; j < Skv; j++)
                e.in.mask[i * Skv + j] = j <= i + Skv - Sq ? 0.0f : -INFINITY;
        const int pr = (impl->caps & MHA_CAP_PROBS) != 0;
        if (!call(&p, &d, b.a, pr ? b.pa : NULL) && !call(&p, &e, b.b, pr ? b.pb : NULL)) {
            compare(&p, "causal flag and -inf mask outputs", b.a, b.b, case_out_count(&c.shape), tol_out(&p, &d));
            if (pr)
                compare(&p, "causal flag and -inf mask probs", b.pa, b.pb, case_probs_count(&c.shape),
                        tol_probs(&p, &d));
        }
    } else if (!p.failed) {
        prop_fail(&p, "out of memory");
    }
    free(e.in.mask);
    bufs_free(&b);
    case_data_free(&d);
    return prop_end(&p);
}

/* Rows whose keys are all masked are exactly zero in out and probs. */
static int prop_masked_rows_zero(const mha_impl *impl, const run_opts *o)
{
    prop p;
    prop_begin(&p, impl, o, "prop_masked_rows_zero");
    conf_case cs[2] = {prop_spec(SPEC_ROWS_MASK), prop_spec(SPEC_ROWS_CAUSAL)};
    for (int t = 0; t < 2 && !p.failed; t++) {
        const conf_case *c = &cs[t];
        const mha_shape *s = &c->shape;
        case_data d;
        char err[256];
        bufs b = {0};
        if (prop_compute(c, &d, err, sizeof err)) {
            prop_fail(&p, "%s", err);
            break;
        }
        const int pr = (impl->caps & MHA_CAP_PROBS) != 0;
        if (!bufs_alloc(&p, &b, s) && !call(&p, &d, b.a, pr ? b.pa : NULL)) {
            for (int64_t h = 0; h < s->heads && !p.failed; h++)
                for (int64_t i = 0; i < s->q_len && !p.failed; i++) {
                    const int empty = t == 0 ? i % 5 == 1 : i < s->q_len - s->kv_len;
                    if (!empty)
                        continue;
                    for (int64_t x = 0; x < s->head_dim; x++)
                        if (b.a[(i * s->heads + h) * s->head_dim + x] != 0.0f) {
                            prop_fail(&p, "%s: fully masked row out[b=0,i=%lld,h=%lld,d=%lld] = %.9g, expected 0",
                                      t ? "causal Sq > Skv" : "mask full_rows", (long long)i, (long long)h,
                                      (long long)x, b.a[(i * s->heads + h) * s->head_dim + x]);
                            break;
                        }
                    for (int64_t j = 0; pr && j < s->kv_len && !p.failed; j++)
                        if (b.pa[(h * s->q_len + i) * s->kv_len + j] != 0.0f)
                            prop_fail(&p, "%s: fully masked row probs[b=0,h=%lld,i=%lld,j=%lld] = %.9g, expected 0",
                                      t ? "causal Sq > Skv" : "mask full_rows", (long long)h, (long long)i,
                                      (long long)j, b.pa[(h * s->q_len + i) * s->kv_len + j]);
                }
        }
        bufs_free(&b);
        case_data_free(&d);
    }
    return prop_end(&p);
}

/* Max over rows of |sum_j p[j] - 1| (rows the reference leaves at 0 must sum to 0). */
static double row_sum_error(const float *probs, const double *ref, int64_t rows, int64_t skv)
{
    double worst = 0;
    for (int64_t r = 0; r < rows; r++) {
        double sum = 0, want = 0;
        for (int64_t j = 0; j < skv; j++) {
            sum += probs[r * skv + j];
            want += ref[r * skv + j];
        }
        const double e = fabs(sum - (want > 0.5 ? 1.0 : 0.0));
        worst = e > worst || isnan(e) ? e : worst;
    }
    return worst;
}

/* Every probability row sums to 1 within factor * (naive's row-sum error) + floor * eps. */
static int prop_probs_sum(const mha_impl *impl, const run_opts *o)
{
    prop p;
    prop_begin(&p, impl, o, "prop_probs_sum");
    if (!(impl->caps & MHA_CAP_PROBS))
        return prop_end(&p); /* nothing to check: the implementation writes no probabilities */
    conf_case c = prop_spec(SPEC_PROBS_SUM);
    const mha_shape *s = &c.shape;
    case_data d;
    char err[256];
    bufs b = {0};
    if (prop_compute(&c, &d, err, sizeof err)) {
        prop_fail(&p, "%s", err);
        return prop_end(&p);
    }
    if (!bufs_alloc(&p, &b, s) && !call(&p, &d, b.a, b.pa)) {
        mha_args a = case_args(&c, &d.in);
        a.out = b.b;
        a.probs = b.pb;
        a.threads = 1;
        if (mha_attention(mha_impl_find("naive"), &a) != MHA_OK) {
            prop_fail(&p, "naive: %s", mha_last_error());
        } else {
            const int64_t rows = s->batch * s->heads * s->q_len;
            const double e_naive = row_sum_error(b.pb, d.ref_probs, rows, s->kv_len);
            const double e_impl = row_sum_error(b.pa, d.ref_probs, rows, s->kv_len);
            const double tol = tolerance_of(o->factor, o->floor, e_naive, 1.0);
            if (!(e_impl <= tol))
                prop_fail(&p, "a probability row sums to 1 +- %.3g, allowed %.3g (naive: %.3g)", e_impl, tol,
                          e_naive);
        }
    }
    bufs_free(&b);
    case_data_free(&d);
    return prop_end(&p);
}

/* Permuting keys and values together (no mask) leaves the output unchanged. */
static int prop_permute(const mha_impl *impl, const run_opts *o)
{
    prop p;
    prop_begin(&p, impl, o, "prop_permute_kv");
    conf_case c = prop_spec(SPEC_PERMUTE);
    const int64_t Skv = 65, Hkv = 2, Dh = 16, H = 2, Sq = 17;
    case_data d, e;
    char err[256];
    bufs b = {0};
    int64_t perm[65];
    if (prop_compute(&c, &d, err, sizeof err)) {
        prop_fail(&p, "%s", err);
        return prop_end(&p);
    }
    /* Fisher-Yates from the portable PRNG */
    mha_rng rng;
    mha_rng_seed(&rng, 2024);
    for (int64_t j = 0; j < Skv; j++)
        perm[j] = j;
    for (int64_t j = Skv - 1; j > 0; j--) {
        int64_t r = (int64_t)(mha_rng_next(&rng) % (uint64_t)(j + 1)), t = perm[j];
        perm[j] = perm[r];
        perm[r] = t;
    }
    e = d;
    e.in.k = malloc((size_t)(Skv * Hkv * Dh) * sizeof(float));
    e.in.v = malloc((size_t)(Skv * Hkv * Dh) * sizeof(float));
    if (e.in.k && e.in.v && !bufs_alloc(&p, &b, &c.shape)) {
        for (int64_t j = 0; j < Skv; j++) {
            memcpy(e.in.k + j * Hkv * Dh, d.in.k + perm[j] * Hkv * Dh, (size_t)(Hkv * Dh) * sizeof(float));
            memcpy(e.in.v + j * Hkv * Dh, d.in.v + perm[j] * Hkv * Dh, (size_t)(Hkv * Dh) * sizeof(float));
        }
        const int pr = (impl->caps & MHA_CAP_PROBS) != 0;
        if (!call(&p, &d, b.a, pr ? b.pa : NULL) && !call(&p, &e, b.b, pr ? b.pb : NULL)) {
            compare(&p, "outputs with and without permuted keys", b.a, b.b, case_out_count(&c.shape),
                    tol_out(&p, &d));
            if (pr) { /* probs of the permuted call, un-permuted */
                float *un = malloc(case_probs_count(&c.shape) * sizeof(float));
                if (un) {
                    for (int64_t r = 0; r < H * Sq; r++)
                        for (int64_t j = 0; j < Skv; j++)
                            un[r * Skv + perm[j]] = b.pb[r * Skv + j];
                    compare(&p, "probs with and without permuted keys", b.pa, un, case_probs_count(&c.shape),
                            tol_probs(&p, &d));
                    free(un);
                }
            }
        }
    } else if (!p.failed) {
        prop_fail(&p, "out of memory");
    }
    free(e.in.k);
    free(e.in.v);
    bufs_free(&b);
    case_data_free(&d);
    return prop_end(&p);
}

static const char *const ids[] = {"prop_single_head", "prop_gqa_repeat", "prop_causal_mask",
                                  "prop_masked_rows_zero", "prop_probs_sum", "prop_permute_kv"};

size_t props_matching(const char *patterns)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        n += pattern_match(patterns, ids[i]) != 0;
    return n;
}

void props_prepare(const char *patterns)
{
    char err[256];
    for (int k = 0; k < SPEC_COUNT; k++) {
        const conf_case c = prop_spec(k);
        if (have_prepared[k] || !pattern_match(patterns, c.id))
            continue;
        /* on failure nothing is kept: the property computes it again and reports the error */
        have_prepared[k] = case_compute(&c, &prepared[k], err, sizeof err) == 0;
    }
}

void props_release(void)
{
    for (int k = 0; k < SPEC_COUNT; k++)
        if (have_prepared[k]) {
            case_data_free(&prepared[k]);
            have_prepared[k] = 0;
        }
}

int props_run(const mha_impl *impl, const run_opts *o)
{
    static int (*const all[])(const mha_impl *, const run_opts *) = {
        prop_single_head, prop_gqa_repeat, prop_causal_mask, prop_masked_rows_zero, prop_probs_sum, prop_permute,
    };
    int failures = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (pattern_match(o->props_pattern, ids[i])) {
            failures += all[i](impl, o);
            fflush(stdout);
        }
    return failures;
}
