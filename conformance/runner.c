/* Verdicts and judging against the reference: see runner.h. */
#include "runner.h"

#include "guard_pages.h"
#include "tolerance.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void runner_install(const run_opts *o)
{
    guard_install(o->fd); /* a touch of a guard page fails the case with its own reason */
}

void verdict_begin(verdict *v, const run_opts *o, const char *id, const char *group)
{
    memset(v, 0, sizeof *v);
    v->o = o;
    snprintf(v->r.id, sizeof v->r.id, "%s", id);
    snprintf(v->r.group, sizeof v->r.group, "%s", group);
    record_started(o->fd, id, group);
}

void verdict_fail(verdict *v, const char *reason, const char *detail)
{
    if (v->failed++)
        return; /* the first failure is the one explained */
    snprintf(v->r.reason, sizeof v->r.reason, "%s", reason);
    if (v->r.variant[0])
        printf("FAIL  %s  %s  (%s)\n", v->o->label, v->r.id, v->r.variant);
    else
        printf("FAIL  %s  %s\n", v->o->label, v->r.id);
    if (detail)
        fputs(detail, stdout);
    else
        printf("      %s\n", reason);
    printf("      rerun: %s --case %s\n", v->o->rerun, v->r.id);
}

void verdict_failf(verdict *v, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    verdict_fail(v, msg, NULL);
}

void verdict_skip(verdict *v, const char *reason)
{
    v->r.skipped = 1;
    snprintf(v->r.reason, sizeof v->r.reason, "%s", reason);
    if (v->o->verbose)
        printf("skip  %s  %s  (%s)\n", v->o->label, v->r.id, reason);
}

int verdict_end(verdict *v)
{
    if (v->r.skipped) {
        v->r.pass = 0;
        record_write(v->o->fd, &v->r, sizeof v->r);
        fflush(stdout);
        return 0;
    }
    v->r.pass = !v->failed;
    if (v->r.pass && v->o->verbose) {
        if (v->r.units >= 0)
            printf("ok    %s  %s  (%.3g units)\n", v->o->label, v->r.id, v->r.units);
        else
            printf("ok    %s  %s\n", v->o->label, v->r.id);
    }
    record_write(v->o->fd, &v->r, sizeof v->r);
    fflush(stdout);
    return v->failed ? 1 : 0;
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

int runner_judge(verdict *v, const mha_shape *s, int is_probs, const float *got, const double *want, size_t n,
                 double err_fp32, double magnitude, mha_dtype got_dtype)
{
    const run_opts *o = v->o;
    run_result *r = &v->r;
    err_stats st;
    compare_values(got, NULL, want, n, &st);
    const double tol = tolerance_of_dtype(o->factor, o->floor, err_fp32, magnitude, got_dtype);
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
            describe_index(s, is_probs, st.worst, r->worst, sizeof r->worst);
        }
        return 0;
    }
    char where[96], reason[256], detail[768];
    describe_index(s, is_probs, st.worst, where, sizeof where);
    if (st.max_rel > r->max_rel)
        r->max_rel = st.max_rel;
    r->ulps = st.ulps;
    snprintf(r->worst, sizeof r->worst, "%s", where);
    const char *what = is_probs ? "probs" : "out";
    if (st.nan_mismatch) {
        snprintf(detail, sizeof detail,
                 "      %s: %zu element(s) NaN/inf where the reference is not, or finite where it is NaN\n"
                 "      first at %s: got %.9g expected %.17g\n",
                 what, st.nan_mismatch, where, st.got, st.want);
        snprintf(reason, sizeof reason, "%s NaN/inf mismatch at %s", what, where);
        r->units = INFINITY;
    } else {
        char rounding[64] = ""; /* the term of a 16-bit output */
        if (dtype_unit_roundoff(got_dtype) > 0)
            snprintf(rounding, sizeof rounding, " + %g x u(%s)", magnitude, mha_dtype_name(got_dtype));
        snprintf(detail, sizeof detail,
                 "      %s error %.3g exceeds tolerance %.3g = %g x err_fp32 %.3g + %g x %g x eps%s\n"
                 "      worst at %s: got %.9g expected %.17g (abs %.3g, rel %.3g, %lld ulps, %.3g units of "
                 "err_fp32)\n",
                 what, st.max_abs, tol, o->factor, err_fp32, o->floor, magnitude, rounding, where, st.got, st.want,
                 st.max_abs, st.max_rel, (long long)st.ulps, units);
        snprintf(reason, sizeof reason, "%s error %.3g > tol %.3g (%.3g units) at %s", what, st.max_abs, tol, units,
                 where);
        if (units > r->units || isnan(r->units))
            r->units = units;
    }
    r->max_abs = st.max_abs;
    r->tol = tol;
    verdict_fail(v, reason, detail);
    return -1;
}
