/*
 * Every flash variant against the float64 reference (mha_reference).
 *
 * Tolerance: the conformance model (conformance/tolerance.h, docs/conformance.md,
 * "Tolerances are derived"):
 * on each case err_fp32, the max abs error of the plain
 * fp32 algorithm (naive, and naive's loops with fused multiply-adds), sets
 * the scale:
 *     tol = TOL_FACTOR * err_fp32 + TOL_FLOOR * FLT_EPSILON * max|V|
 * (probabilities: their own err_fp32 and magnitude 1). NaN must appear
 * exactly where the reference has NaN.
 *
 * Each case also runs with 1 and 2 threads and the outputs must be
 * bit-identical (the variants declare MHA_CAP_DETERMINISTIC); the 2-thread
 * run uses a caller workspace of exactly the reported size, misaligned. Variants the
 * CPU cannot run are skipped with the reason ("CPU lacks avx512f").
 *
 * Usage: test_flash [name ...]   only the flash variants named (default: all)
 */
#include "mha.h"
#include "conformance/tolerance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

typedef struct tcase {
    int64_t b, h, hkv, sq, skv, dh;
    int head_major;  /* 0: (B, S, H*Dh) layout, 1: (B, H, S, Dh) */
    int causal;
    int mask;        /* 0 none, 1 random with -inf and a fully masked row, 2 padding (keys >= Skv/2 hidden) + masked row */
    float mag;       /* inputs uniform in [-mag, mag) */
    int nan;         /* 0 none, 1 in Q, 2 in K, 3 in V */
    int probs;
    uint64_t seed;
} tcase;

typedef struct tdata {
    float *q, *k, *v, *mask, *out, *out2, *p, *p2;
    double *ref, *refp;
    size_t nq, nk, no, np;
    mha_args args;
} tdata;

static void describe(const tcase *c, char *buf, size_t n)
{
    snprintf(buf, n, "B%lld H%lld Hkv%lld Sq%lld Skv%lld Dh%lld %s%s mask%d mag%g nan%d%s",
             (long long)c->b, (long long)c->h, (long long)c->hkv, (long long)c->sq, (long long)c->skv,
             (long long)c->dh, c->head_major ? "bhsd" : "bshd", c->causal ? " causal" : "", c->mask,
             (double)c->mag, c->nan, c->probs ? " probs" : "");
}

static void make(const tcase *c, tdata *t)
{
    memset(t, 0, sizeof *t);
    mha_rng rng;
    mha_rng_seed(&rng, c->seed);
    t->nq = (size_t)(c->b * c->sq * c->h * c->dh);
    t->nk = (size_t)(c->b * c->skv * c->hkv * c->dh);
    t->no = t->nq;
    t->np = (size_t)(c->b * c->h * c->sq * c->skv);
    t->q = malloc(t->nq * sizeof(float));
    t->k = malloc(t->nk * sizeof(float));
    t->v = malloc(t->nk * sizeof(float));
    t->out = malloc(t->no * sizeof(float));
    t->out2 = malloc(t->no * sizeof(float));
    t->ref = malloc(t->no * sizeof(double));
    mha_rng_fill(&rng, t->q, t->nq, c->mag);
    mha_rng_fill(&rng, t->k, t->nk, c->mag);
    mha_rng_fill(&rng, t->v, t->nk, 1.0f);
    mha_args *a = &t->args;
    a->shape = (mha_shape){c->b, c->h, c->hkv, c->sq, c->skv, c->dh};
    if (c->head_major) {
        a->q_strides = mha_strides_bhsd(c->sq, c->h, c->dh);
        a->k_strides = a->v_strides = mha_strides_bhsd(c->skv, c->hkv, c->dh);
    } else {
        a->q_strides = mha_strides_bshd(c->sq, c->h, c->dh);
        a->k_strides = a->v_strides = mha_strides_bshd(c->skv, c->hkv, c->dh);
    }
    a->out_strides = a->q_strides;
    a->q = t->q;
    a->k = t->k;
    a->v = t->v;
    a->out = t->out;
    a->causal = c->causal;
    if (c->nan == 1)
        t->q[(size_t)(c->b * c->sq * c->h * c->dh) - 1] = NAN; /* last element of the buffer */
    if (c->nan == 2)
        t->k[t->nk / 2] = NAN;
    if (c->nan == 3)
        t->v[t->nk - 1] = NAN;
    if (c->mask) {
        /* one [Sq][Skv] mask per (b, h) */
        t->mask = malloc(t->np * sizeof(float));
        for (size_t e = 0; e < t->np; e++) {
            size_t j = e % (size_t)c->skv, i = e / (size_t)c->skv % (size_t)c->sq;
            float u = mha_rng_uniform(&rng);
            if (c->mask == 1)
                t->mask[e] = u < -0.6f ? -INFINITY : 2.0f * u;
            else
                t->mask[e] = j >= (size_t)(c->skv + 1) / 2 ? -INFINITY : 0.5f * u;
            if (i == 1 % (size_t)c->sq && c->sq > 1)
                t->mask[e] = -INFINITY; /* row 1 of every head fully masked */
        }
        a->mask = t->mask;
        a->mask_strides = (mha_mask_strides){c->h * c->sq * c->skv, c->sq * c->skv, c->skv};
    }
    if (c->probs) {
        t->p = malloc(t->np * sizeof(float));
        t->p2 = malloc(t->np * sizeof(float));
        t->refp = malloc(t->np * sizeof(double));
    }
    a->threads = 2;
    if (mha_reference(a, t->ref, t->refp) != MHA_OK) {
        fprintf(stderr, "reference failed: %s\n", mha_last_error());
        exit(2);
    }
}

static void release(tdata *t)
{
    free(t->q); free(t->k); free(t->v); free(t->mask); free(t->out); free(t->out2);
    free(t->p); free(t->p2); free(t->ref); free(t->refp);
}

/* Index of out[b][s][h][d] in a buffer laid out by the case's strides. */
static size_t out_index(const tdata *t, size_t e)
{
    const mha_shape *s = &t->args.shape;
    size_t d = e % (size_t)s->head_dim, h = e / (size_t)s->head_dim % (size_t)s->heads;
    size_t i = e / (size_t)(s->head_dim * s->heads) % (size_t)s->q_len;
    size_t b = e / (size_t)(s->head_dim * s->heads * s->q_len);
    const mha_strides st = t->args.out_strides;
    return b * (size_t)st.batch + i * (size_t)st.seq + h * (size_t)st.head + d;
}

/* o (out in the case's layout, or probs) compared with the reference, in logical order. */
static void compare(const tdata *t, const float *o, const double *ref, size_t n, int is_out, err_stats *st)
{
    float *logical = malloc(n * sizeof *logical);
    for (size_t x = 0; x < n; x++)
        logical[x] = o[is_out ? out_index(t, x) : x];
    compare_values(logical, NULL, ref, n, st);
    free(logical);
}

static int run(const mha_impl *impl, tdata *t, int threads, float *out, float *probs)
{
    mha_args a = t->args;
    a.threads = threads;
    a.out = out;
    a.probs = probs;
    for (size_t x = 0; x < t->no; x++)
        out[x] = 12345.0f; /* every element must be written */
    char *buf = NULL;
    if (threads == 2) {
        /* a caller's workspace of exactly the reported size, 1 byte off alignment */
        a.workspace_bytes = mha_workspace_size(impl, &a);
        buf = malloc(a.workspace_bytes + 1);
        a.workspace = buf + 1;
    }
    mha_status st = mha_attention(impl, &a);
    free(buf);
    CHECK(st == MHA_OK, "%s threads %d: status %s: %s", impl->name, threads, mha_status_str(st), mha_last_error());
    return st == MHA_OK;
}

static void check_case(const tcase *c, const mha_impl *const *impls, int nimpl)
{
    char desc[200];
    describe(c, desc, sizeof desc);
    tdata t;
    make(c, &t);
    float vmax = 0.0f;
    for (size_t x = 0; x < t.nk; x++)
        if (fabsf(t.v[x]) > vmax)
            vmax = fabsf(t.v[x]);
    double err_out, err_probs;
    char why[256];
    if (measure_err_fp32(&t.args, t.ref, t.refp, &err_out, &err_probs, why, sizeof why)) {
        fprintf(stderr, "err_fp32: %s\n", why);
        exit(2);
    }
    const double tol = tolerance_of(TOL_FACTOR, TOL_FLOOR, err_out, vmax);
    const double ptol = tolerance_of(TOL_FACTOR, TOL_FLOOR, err_probs, 1.0);

    for (int v = 0; v < nimpl; v++) {
        const mha_impl *impl = impls[v];
        if (!run(impl, &t, 1, t.out, t.p) || !run(impl, &t, 2, t.out2, t.p2)) {
            printf("      case %s\n", desc);
            continue;
        }
        err_stats st;
        compare(&t, t.out, t.ref, t.no, 1, &st);
        CHECK(!st.nan_mismatch && st.max_abs <= tol,
              "%s out: max abs err %.3g > tol %.3g (err_fp32 %.3g), NaN mismatches %zu: %s", impl->name, st.max_abs,
              tol, err_out, st.nan_mismatch, desc);
        if (c->probs) {
            compare(&t, t.p, t.refp, t.np, 0, &st);
            CHECK(!st.nan_mismatch && st.max_abs <= ptol,
                  "%s probs: max abs err %.3g > tol %.3g (err_fp32 %.3g), NaN mismatches %zu: %s", impl->name,
                  st.max_abs, ptol, err_probs, st.nan_mismatch, desc);
        }
        CHECK(memcmp(t.out, t.out2, t.no * sizeof(float)) == 0 &&
                  (!c->probs || memcmp(t.p, t.p2, t.np * sizeof(float)) == 0),
              "%s: 1 and 2 threads differ: %s", impl->name, desc);
    }
    release(&t);
}

/*
 * full: every (Dh, S) point of the grid, else every third.
 * long_keys: also the decode cases against 2048-4097 keys (skipped for
 * block overrides of 1 row or 1 key, which turn them into thousands of
 * one-key blocks without covering anything new).
 */
static void run_cases(const mha_impl *const *impls, int nimpl, int full, int long_keys)
{
    static const int64_t dhs[] = {1, 3, 16, 33, 64, 80, 128};
    static const int64_t ss[] = {1, 2, 15, 16, 17, 63, 64, 65, 129, 257};
    uint64_t seed = 1;
    /* the (Dh, S) grid: self-attention, GQA / MQA / MHA, both layouts, causal or not */
    for (size_t a = 0; a < sizeof dhs / sizeof *dhs; a++)
        for (size_t b = 0; b < sizeof ss / sizeof *ss; b++) {
            if (!full && (a + b) % 3 != 0)
                continue;
            int64_t hkv = (int64_t)(1 + (a + b) % 2) * 2 / 2; /* 1 or 2 */
            tcase c = {1 + (int64_t)(b % 2), 4, hkv, ss[b], ss[b], dhs[a], (int)((a + b) % 2),
                       (int)(b % 3 == 1), 0, 1.0f, 0, (int)(a % 3 == 0), seed++};
            check_case(&c, impls, nimpl);
        }
    const tcase special[] = {
        /* causal with Sq < Skv (KV cache) and Sq > Skv (leading rows see nothing) */
        {1, 4, 2, 17, 129, 64, 0, 1, 0, 1.0f, 0, 1, 101},
        {2, 2, 1, 129, 17, 33, 1, 1, 0, 1.0f, 0, 1, 102},
        {1, 3, 3, 65, 3, 16, 0, 1, 0, 1.0f, 0, 0, 103},
        /* additive mask with -inf entries and a fully masked row; padding mask (masked tiles) */
        {1, 2, 2, 63, 65, 64, 0, 0, 1, 1.0f, 0, 1, 104},
        {2, 4, 1, 65, 257, 80, 1, 1, 1, 1.0f, 0, 1, 105},
        {1, 2, 1, 129, 257, 64, 0, 0, 2, 1.0f, 0, 1, 106},
        {1, 2, 2, 64, 64, 128, 1, 1, 2, 1.0f, 0, 0, 107},
        /* large logits (~1e4) */
        {1, 2, 1, 65, 129, 64, 0, 0, 0, 100.0f, 0, 1, 108},
        {1, 2, 2, 64, 64, 128, 1, 1, 0, 100.0f, 0, 0, 109},
        /* NaN in Q, K, V propagates where the reference has it, and only there */
        {1, 2, 1, 17, 65, 16, 0, 0, 0, 1.0f, 1, 1, 110},
        {1, 2, 1, 17, 65, 16, 0, 1, 0, 1.0f, 2, 1, 111},
        {1, 2, 1, 65, 65, 16, 0, 1, 0, 1.0f, 3, 1, 112},
        {1, 2, 2, 33, 64, 33, 1, 0, 1, 1.0f, 3, 0, 113},
        {1, 2, 2, 33, 64, 33, 1, 0, 2, 1.0f, 2, 0, 114},
        /* short decodes (streamed, one split; tasks by batch and kv-head group): MHA, GQA with a mask,
         * 8 rows per kv head under causal with NaN in V (hidden keys skipped), odd rows and Dh */
        {1, 8, 8, 1, 129, 64, 0, 1, 0, 1.0f, 0, 1, 119},
        {2, 8, 2, 1, 65, 33, 1, 0, 1, 1.0f, 0, 1, 120},
        {1, 4, 1, 2, 200, 16, 0, 1, 0, 1.0f, 3, 0, 121},
        {3, 6, 2, 1, 31, 80, 0, 1, 2, 1.0f, 0, 1, 122},
        /* decode against a long KV cache: split keys (GQA and MHA) */
        {1, 8, 2, 1, 4097, 64, 0, 0, 0, 1.0f, 0, 1, 115},
        {2, 4, 4, 1, 4097, 128, 1, 1, 0, 1.0f, 0, 0, 116},
        {1, 4, 1, 2, 4097, 16, 0, 1, 1, 1.0f, 0, 1, 117},
        {1, 2, 1, 1, 2048, 33, 0, 0, 2, 1.0f, 3, 0, 118},
    };
    for (size_t x = 0; x < sizeof special / sizeof *special; x++)
        if (long_keys || special[x].skv < 1024)
            check_case(&special[x], impls, nimpl);
}

/* Is name among argv[1..argc-1]? (no names: every variant) */
static int named(const char *name, int argc, char **argv)
{
    if (argc <= 1)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    const mha_impl *impls[8];
    int nimpl = 0;
    for (int i = 1; i < argc; i++) {
        const mha_impl *impl = mha_impl_find(argv[i]);
        if (!impl || strcmp(impl->algorithm, "flash") != 0) {
            printf("test_flash: '%s' is not a flash implementation of this build (see `mha list`)\n", argv[i]);
            return 2;
        }
    }
    for (size_t i = 0; i < mha_impl_count(); i++) {
        const mha_impl *impl = mha_impl_get(i);
        if (strcmp(impl->algorithm, "flash") != 0 || !named(impl->name, argc, argv))
            continue;
        char why[128];
        if (!mha_impl_runnable(impl, why, sizeof why)) {
            printf("SKIP %s: %s (compiled, not run)\n", impl->name, why);
            continue;
        }
        if (impl->dtypes && !(impl->dtypes & MHA_IO_F32)) { /* this test's inputs are fp32 */
            printf("SKIP %s: declares no fp32 -> fp32 (tests/test_flash_lowp.c checks it)\n", impl->name);
            continue;
        }
        CHECK((impl->caps & MHA_CAP_DETERMINISTIC) && (impl->caps & MHA_CAP_PROBS),
              "%s: expected the probs and deterministic capabilities", impl->name);
        impls[nimpl++] = impl;
    }
    if (nimpl == 0) {
        printf(argc > 1 ? "no runnable flash implementation of those names\n" : "no flash implementation compiled\n");
        return 1;
    }

    /*
     * MHA_TEST_QUICK=1 (set by the cross build under qemu, where this test
     * would take half an hour): a third of the grid and two overrides.
     */
    const char *quick_env = getenv("MHA_TEST_QUICK");
    const int quick = quick_env && strcmp(quick_env, "1") == 0;
    if (quick)
        printf("MHA_TEST_QUICK=1: a third of the (Dh, S) grid, overrides (3, 17) and (17, 3) only\n");

    /* default block sizes: the whole grid */
    run_cases(impls, nimpl, !quick, 1);

    /* odd block sizes (rows, keys) still conform */
    static const char *const overrides[][2] = {{"3", "17"}, {"17", "3"}, {"1", "1"}, {"1", "17"}, {"17", "1"}};
    const size_t n_over = quick ? 2 : sizeof overrides / sizeof *overrides;
    for (size_t o = 0; o < n_over; o++) {
        setenv("MHA_FLASH_BQ", overrides[o][0], 1);
        setenv("MHA_FLASH_BK", overrides[o][1], 1);
        printf("block override BQ=%s BK=%s\n", overrides[o][0], overrides[o][1]);
        int tiny = strcmp(overrides[o][0], "1") == 0 || strcmp(overrides[o][1], "1") == 0;
        run_cases(impls, nimpl, 0, !tiny);
    }
    unsetenv("MHA_FLASH_BQ");
    unsetenv("MHA_FLASH_BK");

    /* workspace does not grow with S */
    for (int v = 0; v < nimpl; v++) {
        mha_args a;
        memset(&a, 0, sizeof a);
        a.threads = 2;
        a.shape = (mha_shape){1, 8, 8, 1024, 1024, 128};
        size_t w1 = mha_workspace_size(impls[v], &a);
        a.shape.q_len = a.shape.kv_len = 16384;
        size_t w2 = mha_workspace_size(impls[v], &a);
        CHECK(w2 <= w1 && w1 != 0, "%s: workspace %zu bytes at S=16384 vs %zu at S=1024", impls[v]->name, w2, w1);
    }
    return check_summary();
}
