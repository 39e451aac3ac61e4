/*
 * The row algorithm's kernels (impl/row/row.h, row_kernels_<isa>). There
 * is no C table: each kernel is compared with its contract evaluated in
 * double on the same fp32 inputs. The driver passes clear, max, exp_sum
 * and scale whole padded rows (a multiple of ROW_PAD floats, -inf
 * padding), so those are called with such rows; scores and weighted_sum
 * get any count of visible keys, any head dim and row steps that are not
 * a multiple of the lanes, and 1 to qrows rows at once, each seeing as many
 * keys as the row before or a few more (each row also alone: the same
 * bits either way).
 *
 * Bounds (checkasm.h: u, gamma):
 *   scores:       each product goes through at most dh - 1 additions (the
 *                 lanes' partial sums and their tree together), then the
 *                 product with scale and the sum with mask[j]:
 *                 gamma(dh + 2) * (|scale| sum_d |q_d k_d| + |mask[j]|)
 *   weighted_sum: n products, n - 1 additions: gamma(n) * sum_t |p v|
 *   exp_sum:      per value MHA_VEXP_MAX_ERR ULPs of exp(x), x = s[j] - m
 *                 rounded to fp32 as the kernel does (check_vec.c); the
 *                 returned sum, n - 1 additions of those values:
 *                 gamma(n - 1) * sum_j (e_j + b_j) + sum_j b_j
 *   clear, max, scale: exact (a store, a max, one fp32 product)
 */
#include "checkasm.h"
#include "impl/row/row.h"

#include <math.h>

static const checkasm_table tables[] = {
#ifdef CHECKASM_HAVE_AVX2
    {"avx2", CHECKASM_AVX2, &row_kernels_avx2},
#endif
#ifdef CHECKASM_HAVE_AVX512
    {"avx512", CHECKASM_AVX512, &row_kernels_avx512},
#endif
#ifdef CHECKASM_HAVE_NEON
    {"neon", CHECKASM_NEON, &row_kernels_neon},
#endif
    {NULL, 0, NULL},
};

/* n[0..nq) = random counts in [0, total], ascending, the last one total (rows that each see a few
 * more keys than the one before, as under a causal limit) */
static void random_counts(int nq, int64_t total, int64_t n[])
{
    n[nq - 1] = total;
    for (int r = nq - 2; r >= 0; r--)
        n[r] = n[r + 1] - (n[r + 1] > 0 ? checkasm_rand_below(2) : 0);
}

/* key[0..n) = an ascending random subset of [0, skv) holding each key with
 * probability 3/4; returns n */
static int64_t random_keys(int64_t skv, int32_t *key)
{
    int64_t n = 0;
    for (int64_t j = 0; j < skv; j++)
        if (checkasm_rand_below(4) != 0)
            key[n++] = (int32_t)j;
    return n;
}

static void check_scores(const row_kernels *kern)
{
    static const int64_t dhs[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 67};
    int32_t key[64];
    for (int nq = 1; nq <= kern->qrows; nq++)
        for (size_t di = 0; di < sizeof dhs / sizeof dhs[0]; di++)
            for (int64_t skv = 1; skv <= 40; skv += 3) {
                const int64_t dh = dhs[di], k_step = dh + 1 + 2 * checkasm_rand_below(3); /* odd padding */
                int64_t n[ROW_MAX_QROWS];
                random_counts(nq, random_keys(skv, key), n);
                const float scale = 1.0f / sqrtf((float)dh);
                float *q[ROW_MAX_QROWS], *mask[ROW_MAX_QROWS], *s[ROW_MAX_QROWS], *alone = checkasm_alloc(skv);
                float *k = checkasm_alloc(skv * k_step);
                for (int64_t i = 0; i < skv * k_step; i++)
                    k[i] = checkasm_rand(1.0f);
                for (int r = 0; r < nq; r++) {
                    q[r] = checkasm_alloc(dh);
                    s[r] = checkasm_alloc(skv);
                    for (int64_t d = 0; d < dh; d++)
                        q[r][d] = checkasm_rand(1.0f);
                    /* rows with and without a mask in one call */
                    mask[r] = (skv + r) % 2 ? checkasm_alloc(skv) : NULL;
                    for (int64_t j = 0; mask[r] && j < skv; j++)
                        mask[r][j] = checkasm_rand(2.0f);
                }
                kern->scores(nq, (const float *const *)q, k, k_step, key, n, dh, scale, (const float *const *)mask,
                             s);
                for (int r = 0; r < nq; r++) {
                    int64_t t = 0;
                    for (int64_t j = 0; j < skv; j++) {
                        if (t < n[r] && key[t] == j) {
                            double dot = 0.0, abs_dot = 0.0;
                            for (int64_t d = 0; d < dh; d++) {
                                dot += (double)q[r][d] * k[j * k_step + d];
                                abs_dot += fabs((double)q[r][d] * k[j * k_step + d]);
                            }
                            const double m = mask[r] ? mask[r][j] : 0.0;
                            checkasm_near("s", j, s[r][j], scale * dot + m,
                                          checkasm_gamma(dh + 2) * (scale * abs_dot + fabs(m)));
                            t++;
                        } else {
                            checkasm_intact("s (hidden key)", j, s[r][j]);
                        }
                    }
                    checkasm_check_guard("s", s[r], skv);
                    /* the row alone gives the same bits */
                    for (int64_t j = 0; j < skv; j++)
                        alone[j] = s[r][j];
                    kern->scores(1, (const float *const *)&q[r], k, k_step, key, &n[r], dh, scale,
                                 (const float *const *)&mask[r], &alone);
                    for (int64_t t2 = 0; t2 < n[r]; t2++)
                        checkasm_same("s of the row alone", key[t2], s[r][key[t2]], alone[key[t2]]);
                }
                for (int r = 0; r < nq; r++) {
                    checkasm_free(q[r]);
                    checkasm_free(s[r]);
                    if (mask[r])
                        checkasm_free(mask[r]);
                }
                checkasm_free(k);
                checkasm_free(alone);
            }
}

/* A padded score row: n (a multiple of ROW_PAD) floats, the first `used` random in [-spread, spread), the rest -inf. */
static void score_row(float *s, int64_t n, int64_t used, float spread)
{
    for (int64_t j = 0; j < n; j++)
        s[j] = j < used ? checkasm_rand(spread) : -INFINITY;
}

static void check_clear(const row_kernels *kern)
{
    for (int64_t n = ROW_PAD; n <= 4 * ROW_PAD; n += ROW_PAD) {
        float *s = checkasm_alloc(n);
        kern->clear(s, n);
        for (int64_t j = 0; j < n; j++)
            checkasm_same("s", j, s[j], -INFINITY);
        checkasm_check_guard("s", s, n);
        checkasm_free(s);
    }
}

static void check_max(const row_kernels *kern)
{
    for (int64_t n = ROW_PAD; n <= 4 * ROW_PAD; n += ROW_PAD)
        for (int64_t used = 0; used <= n; used += 1 + checkasm_rand_below(5)) {
            float *s = checkasm_alloc(n);
            score_row(s, n, used, 50.0f);
            float m = -INFINITY;
            for (int64_t j = 0; j < n; j++)
                m = s[j] > m ? s[j] : m;
            checkasm_same("max", used, kern->max(s, n), m);
            if (used > 0) { /* a NaN anywhere makes the max NaN */
                s[checkasm_rand_below(used)] = NAN;
                checkasm_same("max with a NaN", used, kern->max(s, n), NAN);
            }
            checkasm_free(s);
        }
}

static void check_exp_sum(const row_kernels *kern)
{
    for (int64_t n = ROW_PAD; n <= 4 * ROW_PAD; n += ROW_PAD)
        for (int64_t used = 1; used <= n; used += 1 + checkasm_rand_below(5)) {
            float *s = checkasm_alloc(n);
            score_row(s, n, used, used % 2 ? 20.0f : 2.0f);
            checkasm_check_exp_sum(kern->exp_sum, s, n);
            checkasm_free(s);
        }
}

static void check_scale(const row_kernels *kern)
{
    for (int64_t n = ROW_PAD; n <= 4 * ROW_PAD; n += ROW_PAD) {
        float *s = checkasm_alloc(n), *orig = checkasm_alloc(n);
        score_row(orig, n, n - 3, 1.0f);
        const float c = checkasm_rand(3.0f);
        for (int64_t j = 0; j < n; j++)
            s[j] = orig[j];
        kern->scale(s, n, c);
        for (int64_t j = 0; j < n; j++) {
            const float want = orig[j] * c;
            checkasm_same("s", j, s[j], want);
        }
        checkasm_check_guard("s", s, n);
        checkasm_free(s);
        checkasm_free(orig);
    }
}

static void check_weighted_sum(const row_kernels *kern)
{
    static const int64_t dhs[] = {1, 3, 4, 5, 8, 9, 16, 17, 31, 32, 33, 63, 64, 65, 67, 128, 130};
    int32_t key[64];
    for (int nq = 1; nq <= kern->qrows; nq++)
        for (size_t di = 0; di < sizeof dhs / sizeof dhs[0]; di++)
            for (int64_t skv = 1; skv <= 40; skv += 5) {
                const int64_t dh = dhs[di], v_step = dh + 1 + 2 * checkasm_rand_below(3);
                int64_t n[ROW_MAX_QROWS];
                random_counts(nq, random_keys(skv, key), n);
                float *p[ROW_MAX_QROWS], *o[ROW_MAX_QROWS], *v = checkasm_alloc(skv * v_step);
                float *alone = checkasm_alloc(dh);
                for (int64_t i = 0; i < skv * v_step; i++)
                    v[i] = checkasm_rand(1.0f);
                for (int r = 0; r < nq; r++) {
                    p[r] = checkasm_alloc(skv);
                    o[r] = checkasm_alloc(dh);
                    for (int64_t j = 0; j < skv; j++)
                        p[r][j] = (checkasm_rand(1.0f) + 1.0f) * 0.5f;
                }
                kern->weighted_sum(nq, (const float *const *)p, key, n, v, v_step, dh, o);
                for (int r = 0; r < nq; r++) {
                    for (int64_t d = 0; d < dh; d++) {
                        double sum = 0.0, abs_sum = 0.0;
                        for (int64_t t = 0; t < n[r]; t++) {
                            const double term = (double)p[r][key[t]] * v[key[t] * v_step + d];
                            sum += term;
                            abs_sum += fabs(term);
                        }
                        checkasm_near("o", d, o[r][d], sum, checkasm_gamma(n[r]) * abs_sum);
                    }
                    checkasm_check_guard("o", o[r], dh);
                    /* the row alone gives the same bits */
                    kern->weighted_sum(1, (const float *const *)&p[r], key, &n[r], v, v_step, dh, &alone);
                    for (int64_t d = 0; d < dh; d++)
                        checkasm_same("o of the row alone", d, o[r][d], alone[d]);
                }
                for (int r = 0; r < nq; r++) {
                    checkasm_free(p[r]);
                    checkasm_free(o[r]);
                }
                checkasm_free(v);
                checkasm_free(alone);
            }
}

static void check(const checkasm_table *t)
{
    static const struct { const char *name; void (*fn)(const row_kernels *); } kernels[] = {
        {"scores", check_scores}, {"clear", check_clear}, {"max", check_max},
        {"exp_sum", check_exp_sum}, {"scale", check_scale}, {"weighted_sum", check_weighted_sum},
    };
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++)
        if (checkasm_begin(kernels[k].name)) {
            kernels[k].fn(t->table);
            checkasm_end();
        }
}

/* ---- --bench: one row of 512 visible keys, Dh 64 (no C table) ---- */

enum { BENCH_KEYS = 512, BENCH_DH = 64 };

typedef struct row_bench {
    float q[BENCH_DH], k[BENCH_KEYS * BENCH_DH], s[BENCH_KEYS], e[BENCH_KEYS], o[BENCH_DH];
    int32_t key[BENCH_KEYS];
} row_bench;

static void bench_scores(const void *table, void *ctx)
{
    const row_kernels *kern = table;
    row_bench *b = ctx;
    const float *q = b->q, *mask = NULL;
    float *s = b->s;
    const int64_t n = BENCH_KEYS;
    kern->scores(1, &q, b->k, BENCH_DH, b->key, &n, BENCH_DH, 0.125f, &mask, &s);
}

static void bench_max(const void *table, void *ctx)
{
    const row_kernels *kern = table;
    row_bench *b = ctx;
    b->o[0] = kern->max(b->s, BENCH_KEYS);
}

static void bench_exp_sum(const void *table, void *ctx)
{
    const row_kernels *kern = table;
    row_bench *b = ctx;
    /* in place: after the first call e holds values in (0, 1], and exp(e - 1) stays there */
    b->o[0] = kern->exp_sum(b->e, BENCH_KEYS, 1.0f);
}

static void bench_weighted_sum(const void *table, void *ctx)
{
    const row_kernels *kern = table;
    row_bench *b = ctx;
    const float *p = b->s;
    float *o = b->o;
    const int64_t n = BENCH_KEYS;
    kern->weighted_sum(1, &p, b->key, &n, b->k, BENCH_DH, BENCH_DH, &o);
}

static void bench(const checkasm_table *t, const checkasm_table *ref)
{
    (void)ref; /* no C table */
    static row_bench b;
    for (int i = 0; i < BENCH_KEYS * BENCH_DH; i++)
        b.k[i] = checkasm_rand(1.0f);
    for (int j = 0; j < BENCH_KEYS; j++) {
        b.key[j] = j;
        b.s[j] = checkasm_rand(1.0f);
        b.e[j] = checkasm_rand(1.0f);
    }
    for (int d = 0; d < BENCH_DH; d++)
        b.q[d] = checkasm_rand(1.0f);
    static const struct { const char *name; checkasm_bench_fn *fn; } kernels[] = {
        {"scores", bench_scores}, {"max", bench_max}, {"exp_sum", bench_exp_sum}, {"weighted_sum", bench_weighted_sum},
    };
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++)
        if (checkasm_begin(kernels[k].name))
            checkasm_bench(kernels[k].fn, t->table, NULL, &b);
}

const checkasm_family checkasm_row = {"row", tables, (int)(sizeof tables / sizeof tables[0]) - 1, check, bench};
