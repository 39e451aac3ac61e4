/*
 * bf16 and fp16 inputs in every flash variant that declares them
 * (mha_impl.dtypes; naive's own rounding of P is tests/test_dtype's), on shapes that reach each path of the flash driver:
 * prefill tiles, the streamed decode (Sq = 1), the split decode with
 * packed blocks, odd Dh (pair and vector tails), masks, causal, GQA, both
 * layouts, NaN in V behind hidden keys (the guarded P V) and the
 * probabilities.
 *
 * Widening variants (they also declare fp32 and widen bf16 and fp16
 * exactly before their fp32 kernels: flash_avx2, flash_avx512, flash_neon): on inputs
 * of the low dtype,
 *   out fp32     must be bit for bit the implementation's fp32 result on
 *                the widened inputs (probabilities too);
 *   out = dtype  must be bit for bit that fp32 result rounded to nearest
 *                even (mha_f32_to_bf16, mha_f32_to_f16).
 * No tolerance: any difference is a bug in widening, addressing or tails.
 *
 * bf16-only variants (flash_avx512bf16: vdpbf16ps; flash_neonbf16:
 * BFDOT; P rounded to bf16) against the float64 reference on the same
 * inputs, with a bound derived from that algorithm (u = 2^-24,
 * g(n) = n u / (1 - n u)). A pair dot product over n terms costs
 * w(n) units u: vdpbf16ps rounds each fused step to nearest even, w = n;
 * BFDOT rounds the pair sum and the accumulation to odd (error < 2u each),
 * w = 2 (ceil(n / 2) + 1).
 *   a score's error      |e| <= g(w(Dh) + 1) T,  T = max scale * sum_d |q_d k_d|
 *   a weight's relative  rho  = 2 |e| + 2 u T + 4 u  (exp of s - m; m cancels
 *                        in O / l) + nres (4 u + 2 u T) for the rescales
 *                        by alpha and the split merges, nres = Skv/32 + 16
 *   P rounded to bf16    2^-8 relative (the unit roundoff), in O's sum only (l sums fp32 P)
 *   O's and l's sums     g(w(Skv) + Skv)
 *   tol = 2 max|V| (2^-8 + 2 rho + 2 g(w(Skv) + Skv + Dh))   (2: second-order terms)
 * This bound is loose (the conformance suite's tolerance is the tight
 * check); a wrong pairing, a missing zero pad or an unrounded tail breaks
 * it by orders of magnitude. Their bf16 output must equal the rounded
 * fp32 output bit for bit.
 * Every run also runs with 2 threads and must match 1 thread bit for bit.
 */
#include "mha.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

typedef struct tcase {
    int64_t b, h, hkv, sq, skv, dh;
    int head_major, causal;
    int mask;  /* 0 none, 1 random with -inf, 2 keys >= Skv/2 hidden */
    int nan_v; /* a NaN in the last V row (hidden by mask 2) */
    int probs;
} tcase;

static const tcase cases[] = {
    {1, 4, 2, 37, 53, 61, 0, 1, 0, 0, 1},    /* prefill, odd Dh, GQA, causal */
    {2, 2, 2, 64, 100, 64, 1, 0, 1, 0, 1},   /* bhsd, random mask, probs */
    {1, 8, 2, 1, 1500, 45, 0, 0, 0, 0, 1},   /* streamed decode, Dh tail */
    {1, 4, 1, 1, 1100, 32, 0, 0, 2, 1, 0},   /* streamed decode, NaN in hidden V */
    {1, 6, 1, 1, 1300, 40, 0, 0, 0, 0, 1},   /* streamed decode, 6 rows per kv head */
    {2, 3, 1, 1, 1030, 13, 1, 0, 0, 0, 0},   /* streamed decode, 3 rows, Dh 13, bhsd */
    {1, 8, 1, 2, 1200, 128, 0, 1, 0, 0, 0},  /* split decode with packed blocks */
    {1, 8, 2, 1, 300, 45, 0, 0, 0, 0, 0},    /* short streamed decode (one call over every key), Dh tail */
    {1, 4, 1, 1, 200, 32, 0, 0, 2, 1, 0},    /* short streamed decode, NaN in hidden V */
    {1, 2, 1, 40, 40, 16, 0, 1, 2, 1, 1},    /* prefill, NaN in hidden V */
    {1, 2, 2, 5, 33, 1, 0, 0, 0, 0, 0},      /* Dh = 1 */
    {1, 1, 1, 7, 20, 300, 0, 0, 0, 0, 0},    /* Dh = 300: Q K^T in chunks of head-dim pairs */
};

typedef struct tdata {
    const tcase *c;
    mha_dtype dt;
    size_t nq, nk, np;
    uint16_t *q16, *k16, *v16; /* the low-precision inputs */
    float *q, *k, *v, *mask;   /* the same values widened */
    mha_args args;
} tdata;

static uint16_t narrow(mha_dtype dt, float x)
{
    return dt == MHA_BF16 ? mha_f32_to_bf16(x) : mha_f32_to_f16(x);
}

static float widen(mha_dtype dt, uint16_t x)
{
    return dt == MHA_BF16 ? mha_bf16_to_f32(x) : mha_f16_to_f32(x);
}

static void fill(mha_rng *rng, mha_dtype dt, uint16_t *x16, float *x, size_t n)
{
    mha_rng_fill(rng, x, n, 1.0f);
    for (size_t i = 0; i < n; i++) {
        x16[i] = narrow(dt, x[i]);
        x[i] = widen(dt, x16[i]);
    }
}

static void make(const tcase *c, mha_dtype dt, tdata *t)
{
    memset(t, 0, sizeof *t);
    t->c = c;
    t->dt = dt;
    mha_rng rng;
    mha_rng_seed(&rng, 17 + (uint64_t)dt);
    t->nq = (size_t)(c->b * c->sq * c->h * c->dh);
    t->nk = (size_t)(c->b * c->skv * c->hkv * c->dh);
    t->np = (size_t)(c->b * c->h * c->sq * c->skv);
    t->q16 = malloc(t->nq * 2);
    t->k16 = malloc(t->nk * 2);
    t->v16 = malloc(t->nk * 2);
    t->q = malloc(t->nq * 4);
    t->k = malloc(t->nk * 4);
    t->v = malloc(t->nk * 4);
    fill(&rng, dt, t->q16, t->q, t->nq);
    fill(&rng, dt, t->k16, t->k, t->nk);
    fill(&rng, dt, t->v16, t->v, t->nk);
    mha_args *a = &t->args;
    a->shape = (mha_shape){c->b, c->h, c->hkv, c->sq, c->skv, c->dh};
    a->q_strides = c->head_major ? mha_strides_bhsd(c->sq, c->h, c->dh) : mha_strides_bshd(c->sq, c->h, c->dh);
    a->k_strides = c->head_major ? mha_strides_bhsd(c->skv, c->hkv, c->dh) : mha_strides_bshd(c->skv, c->hkv, c->dh);
    a->v_strides = a->k_strides;
    a->out_strides = a->q_strides;
    a->causal = c->causal;
    if (c->nan_v) {
        /* the last V row of the buffer: key Skv-1 (bshd) of the last batch, hidden by mask 2 */
        for (int64_t d = 0; d < c->dh; d++) {
            t->v16[t->nk - 1 - (size_t)d] = dt == MHA_BF16 ? 0x7fc0 : 0x7e00;
            t->v[t->nk - 1 - (size_t)d] = NAN;
        }
    }
    if (c->mask) {
        t->mask = malloc(t->np * 4);
        for (size_t e = 0; e < t->np; e++) {
            const size_t j = e % (size_t)c->skv;
            const float u = mha_rng_uniform(&rng);
            t->mask[e] = c->mask == 1 ? (u < -0.6f ? -INFINITY : 2.0f * u)
                                      : (j >= (size_t)(c->skv + 1) / 2 ? -INFINITY : 0.5f * u);
        }
        a->mask = t->mask;
        a->mask_strides = (mha_mask_strides){c->h * c->sq * c->skv, c->sq * c->skv, c->skv};
    }
}

static void release(tdata *t)
{
    free(t->q16); free(t->k16); free(t->v16); free(t->q); free(t->k); free(t->v); free(t->mask);
}

/* One call: inputs of `in` (the case's dtype or fp32), out of out_dtype; returns success. */
static int run(const mha_impl *impl, const tdata *t, mha_dtype in, mha_dtype out_dtype, int threads, void *out,
               float *probs)
{
    mha_args a = t->args;
    const int low = in != MHA_F32;
    a.q = low ? (const void *)t->q16 : t->q;
    a.k = low ? (const void *)t->k16 : t->k;
    a.v = low ? (const void *)t->v16 : t->v;
    a.dtype = in;
    a.out_dtype = out_dtype;
    a.out = out;
    a.probs = probs;
    a.threads = threads;
    memset(out, 0x5a, t->nq * mha_dtype_size(out_dtype)); /* every element must be written */
    const mha_status st = mha_attention(impl, &a);
    CHECK(st == MHA_OK, "%s %s -> %s: %s", impl->name, mha_dtype_name(in), mha_dtype_name(out_dtype),
          mha_last_error());
    return st == MHA_OK;
}

/* Whether two buffers hold the same bits. */
static int same(const void *x, const void *y, size_t bytes)
{
    return memcmp(x, y, bytes) == 0;
}

/* Index of the logical element e of [B][Sq][H][Dh] in the case's output layout. */
static size_t out_index(const tdata *t, size_t e)
{
    const mha_shape *s = &t->args.shape;
    const size_t d = e % (size_t)s->head_dim, h = e / (size_t)s->head_dim % (size_t)s->heads;
    const size_t i = e / (size_t)(s->head_dim * s->heads) % (size_t)s->q_len;
    const size_t b = e / (size_t)(s->head_dim * s->heads * s->q_len);
    const mha_strides st = t->args.out_strides;
    return b * (size_t)st.batch + i * (size_t)st.seq + h * (size_t)st.head + d;
}

/* Units u a pair dot product over n terms of implementation impl costs (file comment). */
static int64_t dot_units(const mha_impl *impl, int64_t n)
{
    return strcmp(impl->isa, "neon_bf16") == 0 ? 2 * ((n + 1) / 2 + 1) : n;
}

/* The derived bound of a bf16-only implementation (file comment). */
static double bf16_bound(const mha_impl *impl, const tdata *t)
{
    const tcase *c = t->c;
    const double u = 0x1p-24, scale = 1.0 / sqrt((double)c->dh);
    const int64_t g = c->h / c->hkv;
    double tmax = 0.0, vmax = 0.0;
    for (size_t x = 0; x < t->nk; x++)
        if (!isnan(t->v[x]) && fabs(t->v[x]) > vmax)
            vmax = fabs(t->v[x]);
    for (int64_t b = 0; b < c->b; b++)
        for (int64_t h = 0; h < c->h; h++)
            for (int64_t i = 0; i < c->sq; i++)
                for (int64_t j = 0; j < c->skv; j++) {
                    const float *q = t->q + b * t->args.q_strides.batch + i * t->args.q_strides.seq +
                                     h * t->args.q_strides.head;
                    const float *k = t->k + b * t->args.k_strides.batch + j * t->args.k_strides.seq +
                                     (h / g) * t->args.k_strides.head;
                    double sum = 0.0;
                    for (int64_t d = 0; d < c->dh; d++)
                        sum += fabs((double)q[d] * k[d]);
                    tmax = sum * scale > tmax ? sum * scale : tmax;
                }
#define GAMMA(n) ((double)(n) * u / (1.0 - (double)(n) * u))
    const double e = GAMMA(dot_units(impl, c->dh) + 1) * tmax, nres = (double)c->skv / 32.0 + 16.0;
    const double rho = 2.0 * e + 2.0 * u * tmax + 4.0 * u + nres * (4.0 * u + 2.0 * u * tmax);
    return 2.0 * vmax * (0x1p-8 + 2.0 * rho + 2.0 * GAMMA(dot_units(impl, c->skv) + c->skv + c->dh));
#undef GAMMA
}

/* Converting implementation: the low-dtype runs against the fp32 run on the widened inputs, bit for bit. */
static void check_converting(const mha_impl *impl, const tdata *t, const char *desc)
{
    const size_t no = t->nq, np = t->c->probs ? t->np : 0;
    float *ref = malloc(no * 4), *o32 = malloc(no * 4), *p_ref = malloc(np * 4 + 4), *p = malloc(np * 4 + 4);
    uint16_t *o16 = malloc(no * 2), *want16 = malloc(no * 2);
    if (run(impl, t, MHA_F32, MHA_F32, 1, ref, np ? p_ref : NULL)) {
        for (int threads = 1; threads <= 2; threads++) {
            if (run(impl, t, t->dt, MHA_F32, threads, o32, np ? p : NULL)) {
                CHECK(same(o32, ref, no * 4), "%s %s -> fp32, %d threads: differs from fp32 on the widened inputs: %s",
                      impl->name, mha_dtype_name(t->dt), threads, desc);
                CHECK(same(p, p_ref, np * 4), "%s %s probs, %d threads: differ from fp32's: %s", impl->name,
                      mha_dtype_name(t->dt), threads, desc);
            }
            for (size_t x = 0; x < no; x++)
                want16[x] = narrow(t->dt, ref[x]);
            if (run(impl, t, t->dt, t->dt, threads, o16, NULL))
                CHECK(same(o16, want16, no * 2), "%s %s -> %s, %d threads: not the rounded fp32 result: %s",
                      impl->name, mha_dtype_name(t->dt), mha_dtype_name(t->dt), threads, desc);
        }
    }
    free(ref); free(o32); free(p_ref); free(p); free(o16); free(want16);
}

/* bf16-only implementation: against the float64 reference within the derived bound. */
static void check_bf16_only(const mha_impl *impl, const tdata *t, const char *desc)
{
    const size_t no = t->nq;
    double *ref = malloc(no * sizeof *ref);
    float *o1 = malloc(no * 4), *o2 = malloc(no * 4);
    uint16_t *o16 = malloc(no * 2);
    mha_args a = t->args;
    a.q = t->q;
    a.k = t->k;
    a.v = t->v;
    a.out = o1; /* validated, not written */
    if (mha_reference(&a, ref, NULL) != MHA_OK) {
        fprintf(stderr, "reference failed: %s\n", mha_last_error());
        exit(2);
    }
    const double tol = bf16_bound(impl, t);
    if (run(impl, t, MHA_BF16, MHA_F32, 1, o1, NULL) && run(impl, t, MHA_BF16, MHA_F32, 2, o2, NULL)) {
        double worst = 0.0;
        size_t nan_mismatch = 0;
        for (size_t x = 0; x < no; x++) {
            const float o = o1[out_index(t, x)]; /* ref is [B][Sq][H][Dh], out in the case's layout */
            if (isnan(ref[x]) || isnan(o))
                nan_mismatch += isnan(ref[x]) != isnan(o);
            else
                worst = max_of(worst, fabs((double)o - ref[x]));
        }
        printf("  %s %s: max abs err %.3g, bound %.3g\n", impl->name, desc, worst, tol);
        CHECK(nan_mismatch == 0 && worst <= tol, "%s: max abs err %.3g > bound %.3g or %zu NaN mismatches: %s",
              impl->name, worst, tol, nan_mismatch, desc);
        CHECK(same(o1, o2, no * 4), "%s: 1 and 2 threads differ: %s", impl->name, desc);
        if (run(impl, t, MHA_BF16, MHA_BF16, 1, o16, NULL)) {
            size_t bad = 0;
            for (size_t x = 0; x < no; x++)
                bad += o16[x] != mha_f32_to_bf16(o1[x]);
            CHECK(bad == 0, "%s: bf16 out not the rounded fp32 out at %zu elements: %s", impl->name, bad, desc);
        }
    }
    free(ref); free(o1); free(o2); free(o16);
}

int main(int argc, char **argv)
{
    int tested = 0;
    for (size_t i = 0; i < mha_impl_count(); i++) {
        const mha_impl *impl = mha_impl_get(i);
        if (strcmp(impl->algorithm, "flash") != 0 || (argc > 1 && strcmp(argv[1], impl->name) != 0))
            continue;
        const uint32_t dtypes = impl->dtypes ? impl->dtypes : MHA_IO_F32;
        if (!(dtypes & ~MHA_IO_F32))
            continue;
        char why[128];
        if (!mha_impl_runnable(impl, why, sizeof why)) {
            SKIP("%s: %s", impl->name, why);
            continue;
        }
        tested++;
        const int failed_before = check_failed;
        for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
            const tcase *c = &cases[ci];
            for (mha_dtype dt = MHA_BF16; dt <= MHA_F16; dt++) {
                if (!(dtypes & mha_dtype_combo(dt, MHA_F32)))
                    continue;
                char desc[160];
                snprintf(desc, sizeof desc, "case %zu: B%lld H%lld/%lld Sq%lld Skv%lld Dh%lld %s", ci, (long long)c->b,
                         (long long)c->h, (long long)c->hkv, (long long)c->sq, (long long)c->skv, (long long)c->dh,
                         mha_dtype_name(dt));
                tdata t;
                make(c, dt, &t);
                if (dtypes & MHA_IO_F32)
                    check_converting(impl, &t, desc);
                else
                    check_bf16_only(impl, &t, desc);
                release(&t);
            }
        }
        printf("%s: %s\n", impl->name, check_failed > failed_before ? "FAILED" : "ok");
    }
    if (tested == 0) {
        SKIP("no runnable flash variant declares bf16 or fp16%s%s", argc > 1 ? " among " : "", argc > 1 ? argv[1] : "");
        return 77; /* meson: skipped */
    }
    return check_summary();
}
