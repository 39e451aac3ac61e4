/*
 * The property suite: the table of property checks (id, input shapes, the
 * check), the setup every check shares, and the inputs computed once for
 * every child. See props.h for the checks' tolerance.
 */
#include "props.h"
#include "suites.h"

#include "tolerance.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One input of a property: batch 1, the uniform recipe. */
typedef struct prop_shape {
    int64_t heads, kv_heads, q_len, kv_len, head_dim;
    int causal;
    case_mask mask;
} prop_shape;

typedef struct prop_check {
    const char *id;
    int needs_probs; /* passes without a call when the implementation writes no probabilities */
    int nshapes;
    prop_shape shapes[PROP_MAX_SHAPES];
    void (*check)(prop *p);
} prop_check;

/* The property checks, in the order they run. */
static const prop_check checks[] = {
    /* head h alone (H = Hkv = 1) equals head h of the multi-head call */
    {"prop_single_head", 0, 1, {{4, 4, 33, 33, 16, 0, MASK_NONE}}, prop_single_head},
    /* GQA equals MHA with each kv head repeated H / Hkv times */
    {"prop_gqa_repeat", 0, 1, {{8, 2, 17, 40, 16, 0, MASK_NONE}}, prop_gqa_repeat},
    /* the causal flag equals an additive mask with -inf above the bottom-right diagonal */
    {"prop_causal_mask", 0, 1, {{2, 2, 33, 65, 16, 1, MASK_NONE}}, prop_causal_mask},
    /* rows whose keys are all masked are exactly zero: by the mask; by causal with Sq > Skv */
    {"prop_masked_rows_zero", 0, 2, {{2, 2, 33, 33, 16, 0, MASK_FULL_ROWS}, {2, 1, 40, 17, 8, 1, MASK_NONE}},
     prop_masked_rows_zero},
    /* every probability row sums to 1 as closely as naive's */
    {"prop_probs_sum", 1, 1, {{2, 2, 33, 65, 16, 0, MASK_NEG_INF}}, prop_probs_sum},
    /* permuting keys and values together (no mask) leaves the output unchanged */
    {"prop_permute_kv", 0, 1, {{2, 2, 17, 65, 16, 0, MASK_NONE}}, prop_permute_kv},
};
enum { CHECK_COUNT = sizeof checks / sizeof checks[0] };

static conf_case case_of(const char *id, const prop_shape *s)
{
    conf_case c;
    memset(&c, 0, sizeof c);
    snprintf(c.id, sizeof c.id, "%s", id);
    snprintf(c.group, sizeof c.group, "property");
    snprintf(c.recipe, sizeof c.recipe, "uniform");
    c.shape = (mha_shape){1, s->heads, s->kv_heads, s->q_len, s->kv_len, s->head_dim};
    c.causal = s->causal;
    c.mask = s->mask;
    c.seed = 0x5eed0000u + (uint64_t)(s->heads * 1000 + s->kv_len);
    return c;
}

/*
 * Inputs, float64 reference and err_fp32 of each property's shapes,
 * computed once by props_prepare() (before `mha check` forks one child
 * per implementation and level) instead of again in every child.
 */
static case_data prepared[CHECK_COUNT][PROP_MAX_SHAPES];
static int have_prepared[CHECK_COUNT][PROP_MAX_SHAPES];

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

/* A copy of what props_prepare() computed for check k's shape i, or case_compute(). */
static int prop_compute(int k, int i, case_data *d, char *err, size_t err_size)
{
    const conf_case c = case_of(checks[k].id, &checks[k].shapes[i]);
    if (!have_prepared[k][i])
        return case_compute(&c, d, err, err_size);
    const case_data *m = &prepared[k][i];
    const mha_shape *s = &c.shape;
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
        snprintf(err, err_size, "%s: out of memory", c.id);
        return -1;
    }
    memcpy(d->ref_out, m->ref_out, case_out_count(s) * sizeof(double));
    if (m->ref_probs)
        memcpy(d->ref_probs, m->ref_probs, case_probs_count(s) * sizeof(double));
    return 0;
}

void prop_fail(prop *p, const char *fmt, ...)
{
    if (p->v.failed) {
        p->v.failed++;
        return; /* the first failure is the one explained */
    }
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    verdict_fail(&p->v, msg, NULL);
    p->v.r.units = INFINITY;
}

int prop_call(prop *p, const case_data *d, float *out, float *probs)
{
    static const call_variant cv = {CASE_LAYOUT_BSHD, CASE_LAYOUT_BHSD, 1, 3, 1};
    char hash[33], why[512];
    if (runner_call(p->impl, d, &cv, &p->v, out, probs, hash, why, sizeof why)) {
        prop_fail(p, "%s", why);
        return -1;
    }
    return 0;
}

void prop_compare(prop *p, const char *what, const float *a, const float *b, size_t n, double tol)
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

double prop_tol_out(const prop *p, const case_data *d)
{
    return 2 * tolerance_of(p->v.o->factor, p->v.o->floor, d->err_out, d->max_abs_v);
}

double prop_tol_probs(const prop *p, const case_data *d)
{
    return 2 * tolerance_of(p->v.o->factor, p->v.o->floor, d->err_probs, 1.0);
}

/* The setup every check shares: inputs of its shapes, output buffers for the largest; then the check. */
static int run_check(int k, const mha_impl *impl, const run_opts *o)
{
    const prop_check *pc = &checks[k];
    prop p;
    memset(&p, 0, sizeof p);
    p.impl = impl;
    p.probs = (impl->caps & MHA_CAP_PROBS) != 0;
    verdict_begin(&p.v, o, pc->id, "property");
    p.v.r.units = -1; /* relations between two calls: no error against the reference to check_summary */
    if (pc->needs_probs && !p.probs)
        return verdict_end(&p.v); /* nothing to check: the implementation writes no probabilities */
    if (impl->dtypes && !(impl->dtypes & MHA_IO_F32)) { /* the properties' calls are fp32 */
        snprintf(p.v.r.dtypes, sizeof p.v.r.dtypes, "fp32 -> fp32");
        verdict_skip(&p.v, "dtypes fp32 -> fp32 (the property checks' calls) not declared");
        return verdict_end(&p.v);
    }
    size_t no = 0, np = 0;
    int have = 0;
    char err[256];
    for (; have < pc->nshapes; have++) {
        if (prop_compute(k, have, &p.d[have], err, sizeof err)) {
            prop_fail(&p, "%s", err);
            break;
        }
        const mha_shape *s = &p.d[have].c.shape;
        no = case_out_count(s) > no ? case_out_count(s) : no;
        np = case_probs_count(s) > np ? case_probs_count(s) : np;
    }
    if (!p.v.failed) {
        p.a = malloc(no * sizeof(float));
        p.b = malloc(no * sizeof(float));
        p.pa = malloc(np * sizeof(float));
        p.pb = malloc(np * sizeof(float));
        if (p.a && p.b && p.pa && p.pb)
            pc->check(&p);
        else
            prop_fail(&p, "out of memory");
    }
    free(p.a);
    free(p.b);
    free(p.pa);
    free(p.pb);
    for (int i = 0; i < have; i++)
        case_data_free(&p.d[i]);
    return verdict_end(&p.v);
}

size_t props_matching(const char *patterns)
{
    size_t n = 0;
    for (int k = 0; k < CHECK_COUNT; k++)
        n += pattern_match(patterns, checks[k].id) != 0;
    return n;
}

void props_prepare(const char *patterns)
{
    char err[256];
    for (int k = 0; k < CHECK_COUNT; k++)
        for (int i = 0; i < checks[k].nshapes && pattern_match(patterns, checks[k].id); i++) {
            const conf_case c = case_of(checks[k].id, &checks[k].shapes[i]);
            if (!have_prepared[k][i]) /* on failure nothing is kept: the check computes it again and says why */
                have_prepared[k][i] = case_compute(&c, &prepared[k][i], err, sizeof err) == 0;
        }
}

void props_release(void)
{
    for (int k = 0; k < CHECK_COUNT; k++)
        for (int i = 0; i < PROP_MAX_SHAPES; i++)
            if (have_prepared[k][i]) {
                case_data_free(&prepared[k][i]);
                have_prepared[k][i] = 0;
            }
}

int suite_props_run(const mha_impl *impl, const run_opts *o, const char *patterns)
{
    int failures = 0;
    for (int k = 0; k < CHECK_COUNT; k++)
        if (pattern_match(patterns, checks[k].id))
            failures += run_check(k, impl, o);
    return failures;
}
