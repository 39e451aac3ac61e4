/* The case suite: every case in every call variant, see suites.h. */
#include "suites.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Declared deterministic: the calls at the determinism thread counts agree bit for bit. 0, or -1 after failing v. */
static int check_determinism(verdict *v, const conf_case *c, const call_variant *variants, int same,
                             char hash[][33])
{
    for (int vi = 1; vi < same; vi++) {
        if (strcmp(hash[0], hash[vi]) == 0)
            continue;
        char detail[256], reason[128];
        snprintf(v->r.variant, sizeof v->r.variant, "layout %s, strides dense, out %s, threads 1 vs %d",
                 case_layout_name(c->layout), case_layout_name(c->layout), variants[vi].threads);
        snprintf(detail, sizeof detail,
                 "      declared deterministic, but threads 1 and %d give different bits: XXH3-128 %s vs %s\n",
                 variants[vi].threads, hash[0], hash[vi]);
        snprintf(reason, sizeof reason, "not deterministic: threads 1 and %d differ", variants[vi].threads);
        verdict_fail(v, reason, detail);
        return -1;
    }
    return 0;
}

static int run_case(const mha_impl *impl, const case_data *d, const run_opts *o)
{
    const conf_case *c = &d->c;
    const mha_shape *s = &c->shape;
    verdict v;
    verdict_begin(&v, o, c->id, c->group);
    snprintf(v.r.dtypes, sizeof v.r.dtypes, "%s", case_dtypes_name(c));
    const uint32_t combo = mha_dtype_combo(c->dtype, c->out_dtype);
    if (!((impl->dtypes ? impl->dtypes : MHA_IO_F32) & combo)) {
        char reason[128];
        snprintf(reason, sizeof reason, "dtypes %s not declared by %s", case_dtypes_name(c), impl->name);
        verdict_skip(&v, reason);
        return verdict_end(&v);
    }
    const size_t no = case_out_count(s), np = case_probs_count(s);
    const int probs_on = (impl->caps & MHA_CAP_PROBS) && d->ref_probs;
    float *out = malloc(no * sizeof *out), *probs = probs_on ? malloc(np * sizeof *probs) : NULL;
    call_variant variants[5];
    int same;
    const int nv = case_variants(c, variants, &same);
    char hash[5][33] = {{0}}, why[512];
    if (!out || (probs_on && !probs))
        verdict_fail(&v, "out of memory", NULL);
    for (int vi = 0; !v.failed && vi < nv; vi++) {
        if (runner_call(impl, d, &variants[vi], &v, out, probs, hash[vi], why, sizeof why)) {
            char reason[256], detail[600];
            snprintf(reason, sizeof reason, "%.250s", why);
            snprintf(detail, sizeof detail, "      %s\n", why);
            v.r.units = INFINITY;
            verdict_fail(&v, reason, detail);
            break;
        }
        if (!runner_judge(&v, s, 0, out, d->ref_out, no, d->err_out, d->max_abs_v, c->out_dtype) && probs_on)
            runner_judge(&v, s, 1, probs, d->ref_probs, np, d->err_probs, 1.0, MHA_F32);
    }
    if (!v.failed && (impl->caps & MHA_CAP_DETERMINISTIC))
        check_determinism(&v, c, variants, same, hash);
    free(out);
    free(probs);
    return verdict_end(&v);
}

int suite_cases_run(const mha_impl *impl, const case_data *cases, size_t n, const run_opts *o)
{
    int failures = 0;
    for (size_t i = 0; i < n; i++)
        if (!cases[i].c.large || o->top_level)
            failures += run_case(impl, &cases[i], o);
    return failures;
}
