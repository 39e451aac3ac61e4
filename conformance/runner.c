/* Running one implementation on every case: see runner.h. */
#include "runner.h"

#include "hashing.h"
#include "tolerance.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Guard band: GUARD floats of a NaN bit pattern on each side of every output. */
#define GUARD 17
#define SENTINEL 0x7fa5a5a5u
/* Guard bytes (0xa5) on each side of the caller-provided workspace. */
#define WS_GUARD ((size_t)64)

typedef struct guarded {
    float *base, *p;
    size_t n;
} guarded;

static int guarded_alloc(guarded *g, size_t n)
{
    g->n = n;
    g->base = malloc((n + 2 * GUARD) * sizeof(float));
    if (!g->base)
        return -1;
    const uint32_t s = SENTINEL;
    for (size_t i = 0; i < n + 2 * GUARD; i++)
        memcpy(&g->base[i], &s, 4);
    g->p = g->base + GUARD; /* 68 bytes in: not 16- or 32-byte aligned */
    return 0;
}

/* 0 if both bands are intact, else -1 with the first changed element named. */
static int guarded_check(const guarded *g, const char *name, char *why, size_t why_size)
{
    for (size_t i = 0; i < 2 * GUARD; i++) {
        const size_t at = i < GUARD ? GUARD - 1 - i : GUARD + g->n + (i - GUARD);
        uint32_t bits;
        memcpy(&bits, &g->base[at], 4);
        if (bits != SENTINEL) {
            if (at < GUARD)
                snprintf(why, why_size, "out-of-bounds write: %s[-%zu] (before the buffer) was changed", name,
                         GUARD - at);
            else
                snprintf(why, why_size, "out-of-bounds write: %s[%zu] (%zu past the last of %zu elements) was changed",
                         name, at - GUARD, at - GUARD - g->n + 1, g->n);
            return -1;
        }
    }
    return 0;
}

/* A copy of n floats at a 4-byte (not 16-byte) aligned address; free(*base) later. */
static float *unaligned(size_t n, int shift, void **base)
{
    char *b = aligned_alloc(64, ((n + 16) * sizeof(float) + 63) / 64 * 64);
    *base = b;
    return b ? (float *)(b + 4 * shift) : NULL;
}

int runner_call(const mha_impl *impl, const case_data *d, int layout, int threads, float *out, float *probs,
                char hash[33], char *why, size_t why_size)
{
    const mha_shape *s = &d->c.shape;
    const int64_t B = s->batch, H = s->heads, Hkv = s->kv_heads, Sq = s->q_len, Skv = s->kv_len, Dh = s->head_dim;
    const size_t nq = case_q_count(s), nkv = case_kv_count(s), np = case_probs_count(s);
    const size_t nm = d->in.mask ? (size_t)(d->in.mask_b * d->in.mask_h * Sq * Skv) : 0;
    void *bq, *bk, *bv, *bm = NULL;
    float *q = unaligned(nq, 1, &bq), *k = unaligned(nkv, 3, &bk), *v = unaligned(nkv, 5, &bv);
    float *m = nm ? unaligned(nm, 7, &bm) : NULL;
    guarded go = {0}, gp = {0};
    unsigned char *ws_base = NULL;
    size_t ws_bytes = 0;
    const int want_probs = probs && (impl->caps & MHA_CAP_PROBS);
    int rc = -1;
    if (!q || !k || !v || (nm && !m) || guarded_alloc(&go, nq) || (want_probs && guarded_alloc(&gp, np))) {
        snprintf(why, why_size, "out of memory");
        goto done;
    }
    case_to_layout(d->in.q, q, B, Sq, H, Dh, layout);
    case_to_layout(d->in.k, k, B, Skv, Hkv, Dh, layout);
    case_to_layout(d->in.v, v, B, Skv, Hkv, Dh, layout);
    if (nm)
        memcpy(m, d->in.mask, nm * sizeof *m);

    case_inputs in = d->in;
    in.mask = m;
    mha_args a = case_args(&d->c, &in);
    a.q = q;
    a.k = k;
    a.v = v;
    a.q_strides = a.out_strides = case_strides(layout, Sq, H, Dh);
    a.k_strides = a.v_strides = case_strides(layout, Skv, Hkv, Dh);
    a.out = go.p;
    a.probs = want_probs ? gp.p : NULL;
    a.threads = threads;
    /* the caller's workspace, exactly as large as the implementation asked, with guard bytes */
    ws_bytes = mha_workspace_size(impl, &a);
    if (ws_bytes) {
        ws_base = malloc(ws_bytes + 2 * WS_GUARD);
        if (!ws_base) {
            snprintf(why, why_size, "out of memory for %zu bytes of workspace", ws_bytes);
            goto done;
        }
        memset(ws_base, 0xa5, ws_bytes + 2 * WS_GUARD);
        a.workspace = ws_base + WS_GUARD;
        a.workspace_bytes = ws_bytes;
    }
    mha_status st = mha_attention(impl, &a);
    if (st != MHA_OK) {
        snprintf(why, why_size, "mha_attention returned '%s': %s", mha_status_str(st), mha_last_error());
        goto done;
    }
    if (guarded_check(&go, "out", why, why_size) || (want_probs && guarded_check(&gp, "probs", why, why_size)))
        goto done;
    for (size_t i = 0; i < 2 * WS_GUARD && ws_base; i++) {
        const size_t at = i < WS_GUARD ? i : WS_GUARD + ws_bytes + (i - WS_GUARD);
        if (ws_base[at] != 0xa5) {
            if (at < WS_GUARD)
                snprintf(why, why_size, "out-of-bounds write: workspace byte -%zu (before the %zu bytes asked for)",
                         WS_GUARD - at, ws_bytes);
            else
                snprintf(why, why_size, "out-of-bounds write: workspace byte %zu (the implementation asked for %zu)",
                         at - WS_GUARD, ws_bytes);
            goto done;
        }
    }
    /* inputs are const: a kernel that scales Q in place corrupts the caller's data */
    for (int t = 0; t < 4; t++) {
        const float *now = t == 0 ? q : t == 1 ? k : t == 2 ? v : m;
        size_t n = t == 0 ? nq : t < 3 ? nkv : nm;
        if (!now || !n)
            continue;
        float *orig = malloc(n * sizeof *orig);
        if (!orig)
            continue;
        if (t < 3)
            case_to_layout(t == 0 ? d->in.q : t == 1 ? d->in.k : d->in.v, orig, B, t == 0 ? Sq : Skv,
                           t == 0 ? H : Hkv, Dh, layout);
        else
            memcpy(orig, d->in.mask, n * sizeof *orig);
        int changed = memcmp(orig, now, n * sizeof *orig) != 0;
        free(orig);
        if (changed) {
            static const char *const names[4] = {"q", "k", "v", "mask"};
            snprintf(why, why_size, "wrote into its input %s (inputs are const)", names[t]);
            goto done;
        }
    }
    hash_bytes(go.p, nq * sizeof(float), hash);
    case_from_layout(go.p, out, B, Sq, H, Dh, layout);
    if (want_probs)
        memcpy(probs, gp.p, np * sizeof *probs);
    rc = 0;
done:
    free(bq);
    free(bk);
    free(bv);
    free(bm);
    free(go.base);
    free(gp.base);
    free(ws_base);
    return rc;
}

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
    /* (layout, threads): stored layout with 1 thread and all cores, the other layout with all cores */
    const int other = c->layout == CASE_LAYOUT_BSHD ? CASE_LAYOUT_BHSD : CASE_LAYOUT_BSHD;
    const int variants[3][2] = {{c->layout, 1}, {c->layout, 0}, {other, 0}};
    const int first = c->large ? 1 : 0, last = c->large ? 1 : 2;
    char hash[3][33] = {{0}}, why[512], variant[64];
    int ok = out && (!probs_on || probs);
    if (!ok)
        snprintf(r.reason, sizeof r.reason, "out of memory");
    for (int vi = first; ok && vi <= last; vi++) {
        snprintf(variant, sizeof variant, "layout %s, threads %s", case_layout_name(variants[vi][0]),
                 variants[vi][1] ? "1" : "all");
        if (runner_call(impl, d, variants[vi][0], variants[vi][1], out, probs, hash[vi], why, sizeof why)) {
            print_fail_head(o, c, variant);
            printf("      %s\n", why);
            print_rerun(o, c);
            snprintf(r.reason, sizeof r.reason, "%.250s", why);
            r.units = INFINITY;
            ok = 0;
            break;
        }
        if (judge(o, d, variant, 0, out, d->ref_out, no, d->err_out, d->max_abs_v, &r) ||
            (probs_on && judge(o, d, variant, 1, probs, d->ref_probs, np, d->err_probs, 1.0, &r)))
            ok = 0;
    }
    if (ok && !c->large && (impl->caps & MHA_CAP_DETERMINISTIC) && strcmp(hash[0], hash[1]) != 0) {
        print_fail_head(o, c, "determinism");
        printf("      declared deterministic, but threads 1 and all give different bits: XXH3-128 %s vs %s\n",
               hash[0], hash[1]);
        print_rerun(o, c);
        snprintf(r.reason, sizeof r.reason, "not deterministic: threads 1 and all differ");
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
