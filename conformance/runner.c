/* Running one implementation on every case: see runner.h. */
#include "runner.h"

#include "guard_pages.h"
#include "tolerance.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pattern_match(const char *patterns, const char *id)
{
    if (!patterns || !*patterns)
        return 1;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", patterns);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (fnmatch(t, id, 0) == 0)
            return 1;
    return 0;
}

void runner_report(const run_opts *o, const run_result *r)
{
    if (o->fd >= 0) {
        ssize_t put = write(o->fd, r, sizeof *r);
        (void)put;
    }
}

static void mark_started(const run_opts *o, const conf_case *c)
{
    run_result r;
    memset(&r, 0, sizeof r);
    r.started = 1;
    snprintf(r.id, sizeof r.id, "%s", c->id);
    snprintf(r.group, sizeof r.group, "%s", c->group);
    runner_report(o, &r);
}

/* "out[b=0,i=3,h=1,d=7]" or "probs[b=0,h=1,i=3,j=9]" for a flat logical index. */
static void describe_index(const mha_shape *s, int is_probs, size_t e, char *buf, size_t size)
{
    if (is_probs) {
        const int64_t j = (int64_t)e % s->kv_len, i = (int64_t)e / s->kv_len % s->q_len,
                      h = (int64_t)e / (s->kv_len * s->q_len) % s->heads,
                      b = (int64_t)e / (s->kv_len * s->q_len * s->heads);
        snprintf(buf, size, "probs[b=%lld,h=%lld,i=%lld,j=%lld]", (long long)b, (long long)h, (long long)i,
                 (long long)j);
    } else {
        const int64_t d = (int64_t)e % s->head_dim, h = (int64_t)e / s->head_dim % s->heads,
                      i = (int64_t)e / (s->head_dim * s->heads) % s->q_len,
                      b = (int64_t)e / (s->head_dim * s->heads * s->q_len);
        snprintf(buf, size, "out[b=%lld,i=%lld,h=%lld,d=%lld]", (long long)b, (long long)i, (long long)h,
                 (long long)d);
    }
}

static void print_fail_head(const run_opts *o, const conf_case *c, const char *variant)
{
    printf("FAIL  %s  %s  (%s)\n", o->label, c->id, variant);
}

static void print_rerun(const run_opts *o, const conf_case *c)
{
    printf("      rerun: %s --case %s\n", o->rerun, c->id);
}

/* Compares one output; 0 if within tolerance, else prints and fills r. */
static int judge(const run_opts *o, const case_data *d, const char *variant, int is_probs, const float *got,
                 const double *want, size_t n, double err_fp32, double magnitude, run_result *r)
{
    err_stats st;
    compare_values(got, NULL, want, n, &st);
    const double tol = tolerance_of(o->factor, o->floor, err_fp32, magnitude);
    const double units = error_units(st.max_abs, err_fp32);
    if (st.nan_mismatch == 0 && st.max_abs <= tol) {
        if (units > r->units)
            r->units = units;
        if (st.max_rel > r->max_rel)
            r->max_rel = st.max_rel;
        if (st.max_abs > r->max_abs) {
            r->max_abs = st.max_abs;
            r->tol = tol;
            r->ulps = st.ulps;
            describe_index(&d->c.shape, is_probs, st.worst, r->worst, sizeof r->worst);
        }
        return 0;
    }
    char where[96];
    describe_index(&d->c.shape, is_probs, st.worst, where, sizeof where);
    if (st.max_rel > r->max_rel)
        r->max_rel = st.max_rel;
    r->ulps = st.ulps;
    snprintf(r->worst, sizeof r->worst, "%s", where);
    const char *what = is_probs ? "probs" : "out";
    print_fail_head(o, &d->c, variant);
    if (st.nan_mismatch) {
        printf("      %s: %zu element(s) NaN/inf where the reference is not, or finite where it is NaN\n", what,
               st.nan_mismatch);
        printf("      first at %s: got %.9g expected %.17g\n", where, st.got, st.want);
        snprintf(r->reason, sizeof r->reason, "%s NaN/inf mismatch at %s", what, where);
        r->units = INFINITY;
    } else {
        printf("      %s error %.3g exceeds tolerance %.3g = %g x err_fp32 %.3g + %g x %g x eps\n", what, st.max_abs,
               tol, o->factor, err_fp32, o->floor, magnitude);
        printf("      worst at %s: got %.9g expected %.17g (abs %.3g, rel %.3g, %lld ulps, %.3g units of err_fp32)\n",
               where, st.got, st.want, st.max_abs, st.max_rel, (long long)st.ulps, units);
        snprintf(r->reason, sizeof r->reason, "%s error %.3g > tol %.3g (%.3g units) at %s", what, st.max_abs, tol,
                 units, where);
        if (units > r->units || isnan(r->units))
            r->units = units;
    }
    r->max_abs = st.max_abs;
    r->tol = tol;
    print_rerun(o, &d->c);
    return -1;
}

/*
 * The calls of one case, the first *same of them the stored layout with
 * dense strides at the determinism thread counts (same placement, so their
 * bits must agree); then q, k, v in the other layout with out in the
 * stored one; then padded strides with out in the other layout. Buffers
 * end at a guard page, except in the other-layout call, where they start
 * right after one. Large cases: dense and padded at the machine's count.
 */
static int case_variants(const conf_case *c, call_variant v[5], int *same)
{
    const int stored = c->layout, other = stored == CASE_LAYOUT_BSHD ? CASE_LAYOUT_BHSD : CASE_LAYOUT_BSHD;
    int n = 0;
    if (c->large) {
        const long cores = sysconf(_SC_NPROCESSORS_ONLN);
        const int all = cores > 0 ? (int)cores : 1;
        v[n++] = (call_variant){stored, stored, 0, all, 0};
        v[n++] = (call_variant){stored, other, 1, all, 0};
        *same = 0;
        return n;
    }
    int threads[3];
    *same = runner_thread_counts(threads);
    for (int i = 0; i < *same; i++)
        v[n++] = (call_variant){stored, stored, 0, threads[i], 0};
    v[n++] = (call_variant){other, stored, 0, 3, 1};
    v[n++] = (call_variant){stored, other, 1, 3, 0};
    return n;
}

static int run_case(const mha_impl *impl, const case_data *d, const run_opts *o)
{
    const conf_case *c = &d->c;
    const mha_shape *s = &c->shape;
    run_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.id, sizeof r.id, "%s", c->id);
    snprintf(r.group, sizeof r.group, "%s", c->group);
    mark_started(o, c);

    const size_t no = case_out_count(s), np = case_probs_count(s);
    const int probs_on = (impl->caps & MHA_CAP_PROBS) && d->ref_probs;
    float *out = malloc(no * sizeof *out), *probs = probs_on ? malloc(np * sizeof *probs) : NULL;
    call_variant variants[5];
    int same;
    const int nv = case_variants(c, variants, &same);
    char hash[5][33] = {{0}}, why[512];
    int ok = out && (!probs_on || probs);
    if (!ok)
        snprintf(r.reason, sizeof r.reason, "out of memory");
    for (int vi = 0; ok && vi < nv; vi++) {
        call_variant_describe(&variants[vi], r.variant, sizeof r.variant);
        if (runner_call(impl, d, &variants[vi], o, &r, out, probs, hash[vi], why, sizeof why)) {
            print_fail_head(o, c, r.variant);
            printf("      %s\n", why);
            print_rerun(o, c);
            snprintf(r.reason, sizeof r.reason, "%.250s", why);
            r.units = INFINITY;
            ok = 0;
            break;
        }
        if (judge(o, d, r.variant, 0, out, d->ref_out, no, d->err_out, d->max_abs_v, &r) ||
            (probs_on && judge(o, d, r.variant, 1, probs, d->ref_probs, np, d->err_probs, 1.0, &r)))
            ok = 0;
    }
    for (int vi = 1; ok && vi < same && (impl->caps & MHA_CAP_DETERMINISTIC); vi++)
        if (strcmp(hash[0], hash[vi]) != 0) {
            snprintf(r.variant, sizeof r.variant, "layout %s, strides dense, out %s, threads 1 vs %d",
                     case_layout_name(c->layout), case_layout_name(c->layout), variants[vi].threads);
            print_fail_head(o, c, r.variant);
            printf("      declared deterministic, but threads 1 and %d give different bits: XXH3-128 %s vs %s\n",
                   variants[vi].threads, hash[0], hash[vi]);
            print_rerun(o, c);
            snprintf(r.reason, sizeof r.reason, "not deterministic: threads 1 and %d differ", variants[vi].threads);
            ok = 0;
        }
    r.pass = ok;
    if (ok && o->verbose)
        printf("ok    %s  %s  (%.3g units)\n", o->label, c->id, r.units);
    runner_report(o, &r);
    free(out);
    free(probs);
    return ok ? 0 : 1;
}

int run_impl(const mha_impl *impl, const case_data *cases, size_t n, const run_opts *o)
{
    int failures = 0;
    guard_install(o->fd); /* a touch of a guard page fails the case with its own reason */
    for (size_t i = 0; i < n; i++) {
        if (cases[i].c.large && !o->top_level)
            continue;
        failures += run_case(impl, &cases[i], o);
        fflush(stdout);
    }
    if (o->props)
        failures += props_run(impl, o);
    return failures;
}
