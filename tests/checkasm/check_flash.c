/*
 * The flash microkernels (impl/flash/flash_kernels.h, flash_kernels_<isa>),
 * flash_c's table included. Each table has its own register tile (MR, NR,
 * DR), so the tile kernels of two tables do not compute the same thing:
 * every kernel is compared with its contract evaluated in double on the
 * same fp32 inputs, the C table's as well (so an ISA stays within the sum
 * of both bounds of flash_c). The loops of flash_tmpl.c (run_block,
 * pack_k, scores, softmax) work on a driver context: check_flash_loops.c
 * checks and times them, called from check and bench below.
 *
 * Bounds (checkasm.h: u, gamma):
 *   qk_tile, qk_rows: dh products and dh - 1 additions, then the product
 *              with scale: gamma(dh + 1) * |scale| sum_d |q_d k_d|
 *   pv_tile, pv_rows: alpha * o (one product), then n products added:
 *              gamma(n + 1) * (|alpha o| + sum_j |p_j v_j|)
 *   row_exp_sum: as row.exp_sum (check_row.c); libm's expf (flash_c) is
 *              within 0.502 ULP in glibc, inside MHA_VEXP_MAX_ERR
 *   axpy:      one product and one addition: gamma(2) * (|o| + |w x|)
 *   pack_strip, row_max: exact (a copy, a max)
 */
#include "checkasm.h"
#include "impl/flash/flash_kernels.h"

#include <math.h>

FLASH_TMPL_PROTOTYPES(c);
#ifdef CHECKASM_HAVE_AVX2
FLASH_TMPL_PROTOTYPES(avx2);
#endif
#ifdef CHECKASM_HAVE_AVX512
FLASH_TMPL_PROTOTYPES(avx512);
#endif
#ifdef CHECKASM_HAVE_NEON
FLASH_TMPL_PROTOTYPES(neon);
#endif

static const checkasm_table tables[] = {
    {"c", 0, &flash_kernels_c},
#ifdef CHECKASM_HAVE_AVX2
    {"avx2", CHECKASM_AVX2, &flash_kernels_avx2},
#endif
#ifdef CHECKASM_HAVE_AVX512
    {"avx512", CHECKASM_AVX512, &flash_kernels_avx512},
#endif
#ifdef CHECKASM_HAVE_NEON
    {"neon", CHECKASM_NEON, &flash_kernels_neon},
#endif
};

static const int64_t dhs[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 67, 128};
enum { DHS = sizeof dhs / sizeof dhs[0] };

/* An odd step of at least n (rows of that many floats do not start on vector boundaries). */
static int64_t odd_step(int64_t n)
{
    return n + 1 + 2 * checkasm_rand_below(3);
}

static void check_pack_strip(const flash_kernels *fk)
{
    const int nr = fk->tile.nr;
    for (int di = 0; di < DHS; di++)
        for (int nk = 1; nk <= nr; nk++) {
            const int64_t dh = dhs[di], ld = odd_step(dh);
            float *src = checkasm_random_floats(nr * ld, 1.0f), *k = checkasm_alloc(dh * nr);
            const float *rows[64];
            for (int j = 0; j < nk; j++)
                rows[j] = src + j * ld;
            fk->pack_strip(rows, nk, dh, k);
            for (int64_t d = 0; d < dh; d++)
                for (int j = 0; j < nr; j++)
                    checkasm_same("k", d * nr + j, k[d * nr + j], j < nk ? rows[j][d] : 0.0f);
            checkasm_check_guard("k", k, dh * nr);
            checkasm_free(src);
            checkasm_free(k);
        }
}

/* s[i] against scale * sum_d q[d] k[d * k_step], d < dh */
static void expect_score(int64_t i, float got, const float *q, const float *k, int64_t k_step, int64_t dh, float scale)
{
    double dot = 0.0, abs_dot = 0.0;
    for (int64_t d = 0; d < dh; d++) {
        dot += (double)q[d] * k[d * k_step];
        abs_dot += fabs((double)q[d] * k[d * k_step]);
    }
    checkasm_near("s", i, got, scale * dot, checkasm_gamma(dh + 1) * scale * abs_dot);
}

static void check_qk_tile(const flash_kernels *fk)
{
    const int mr = fk->tile.mr, nr = fk->tile.nr;
    for (int di = 0; di < DHS; di++)
        for (int rep = 0; rep < 2; rep++) {
            const int64_t dh = dhs[di], lds = rep ? odd_step(nr) : nr;
            const float scale = 1.0f / sqrtf((float)dh);
            float *q = checkasm_random_floats(mr * dh, 1.0f), *k = checkasm_random_floats(dh * nr, 1.0f), *s = checkasm_alloc(mr * lds);
            fk->qk_tile(q, dh, k, scale, s, lds);
            for (int r = 0; r < mr; r++)
                for (int64_t j = 0; j < lds; j++) {
                    if (j >= nr) {
                        checkasm_intact("s (past NR)", r * lds + j, s[r * lds + j]);
                        continue;
                    }
                    expect_score(r * lds + j, s[r * lds + j], q + r * dh, k + j, nr, dh, scale);
                }
            checkasm_check_guard("s", s, mr * lds);
            checkasm_free(q);
            checkasm_free(k);
            checkasm_free(s);
        }
}

/* o[r][d] (rows ldo apart, d < dh) against alpha[r] o0[r][d] (when rescale) + sum_{j<n} p[r][j] v[j][d];
 * columns dh .. ldo must be left alone when `spare` is set */
static void expect_pv(const float *o, const float *o0, int64_t ldo, int nrows, int64_t dh, const float *p, int64_t ldp,
                      const float *v, int64_t ldv, int64_t n, const float *alpha, int rescale, int spare)
{
    for (int r = 0; r < nrows; r++)
        for (int64_t d = 0; d < ldo; d++) {
            const int64_t i = r * ldo + d;
            if (d >= dh) {
                if (spare)
                    checkasm_same("o (past the columns)", i, o[i], o0[i]);
                continue;
            }
            const double a = rescale ? (double)alpha[r] * o0[i] : o0[i];
            double sum = a, abs_sum = fabs(a);
            for (int64_t j = 0; j < n; j++) {
                sum += (double)p[r * ldp + j] * v[j * ldv + d];
                abs_sum += fabs((double)p[r * ldp + j] * v[j * ldv + d]);
            }
            checkasm_near("o", i, o[i], sum, checkasm_gamma(n + 1) * abs_sum);
        }
    checkasm_check_guard("o", o, nrows * ldo);
}

static void check_pv_tile(const flash_kernels *fk)
{
    const int mr = fk->tile.mr, dr = fk->tile.dr;
    static const int64_t ns[] = {0, 1, 2, 3, 5, 8, 9, 16, 17, 33, 64, 100};
    for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
        for (int rescale = 0; rescale < 2; rescale++) {
            const int64_t n = ns[ni], ldp = odd_step(n), ldo = rescale ? odd_step(dr) : dr;
            float *p = checkasm_random_floats(mr * ldp, 1.0f), *v = checkasm_random_floats(n * dr, 1.0f);
            float *o0 = checkasm_random_floats(mr * ldo, 1.0f), *o = checkasm_alloc(mr * ldo), alpha[64];
            for (int r = 0; r < mr; r++)
                alpha[r] = 0.5f + 0.5f * checkasm_rand(1.0f);
            for (int64_t i = 0; i < mr * ldo; i++)
                o[i] = o0[i];
            fk->pv_tile(p, ldp, v, n, alpha, rescale, o, ldo);
            expect_pv(o, o0, ldo, mr, dr, p, ldp, v, dr, n, alpha, rescale, 1);
            checkasm_free(p);
            checkasm_free(v);
            checkasm_free(o0);
            checkasm_free(o);
        }
}

static void check_row_max(const flash_kernels *fk)
{
    const int nr = fk->tile.nr;
    for (int64_t n = nr; n <= 4 * nr; n += nr)
        for (int rep = 0; rep < 20; rep++) {
            float *s = checkasm_alloc(n);
            float m = -INFINITY;
            for (int64_t j = 0; j < n; j++) {
                s[j] = checkasm_rand_below(3) == 0 ? -INFINITY : checkasm_rand(50.0f);
                m = s[j] > m ? s[j] : m;
            }
            checkasm_same("max", rep, fk->row_max(s, n), m);
            checkasm_free(s);
        }
}

static void check_row_exp_sum(const flash_kernels *fk)
{
    const int nr = fk->tile.nr;
    for (int64_t n = nr; n <= 4 * nr; n += nr)
        for (int rep = 0; rep < 10; rep++) {
            float *s = checkasm_alloc(n);
            for (int64_t j = 0; j < n; j++)
                s[j] = j > 0 && checkasm_rand_below(4) == 0 ? -INFINITY : checkasm_rand(rep % 2 ? 20.0f : 2.0f);
            if (rep == 9) /* row_max passes a NaN score over; this pass must turn it and the sum into NaN */
                s[checkasm_rand_below(n)] = NAN;
            checkasm_check_exp_sum(fk->row_exp_sum, s, n);
            checkasm_free(s);
        }
}

void checkasm_prefetch_open(flash_prefetch *pf, const void *buf, int64_t len, int64_t rows)
{
    *pf = (flash_prefetch){(const char *)buf, 0, len, len, rows};
}

void checkasm_check_prefetch(const flash_prefetch *pf, const void *buf, int64_t len, int64_t rows)
{
    const int64_t done = rows - pf->rows, lines = (len + 63) / 64;
    const int64_t requested = done * lines + pf->off / 64;
    if (pf->rows < 0 || pf->rows > rows || pf->off % 64 != 0 || pf->off < 0 || (pf->rows > 0 && pf->off >= len) ||
        pf->row != (const char *)buf + done * len)
        checkasm_fail("prefetch cursor left inconsistent: %lld of %lld spans left, offset %lld of %lld",
                      (long long)pf->rows, (long long)rows, (long long)pf->off, (long long)len);
    else if (requested < 1)
        checkasm_fail("no line of the prefetch cursor requested (%lld spans of %lld bytes)", (long long)rows,
                      (long long)len);
}

static void check_qk_rows(const flash_kernels *fk)
{
    static const int nrs[] = {1, 2, 3, 5, 8};
    static const int nks[] = {1, 2, 3, 4, 5, 7, 9, 17, 32};
    for (int di = 0; di < DHS; di++)
        for (size_t ri = 0; ri < sizeof nrs / sizeof nrs[0]; ri++)
            for (size_t ki = 0; ki < sizeof nks / sizeof nks[0]; ki++) {
                const int64_t dh = dhs[di], ldq = odd_step(dh), ldk = odd_step(dh);
                const int nr = nrs[ri], nk = nks[ki];
                const int64_t lds = odd_step(nk);
                const float scale = 1.0f / sqrtf((float)dh);
                float *q = checkasm_random_floats(nr * ldq, 1.0f), *k = checkasm_random_floats(nk * ldk, 1.0f);
                float *s = checkasm_alloc(nr * lds);
                flash_prefetch pf;
                checkasm_prefetch_open(&pf, k, 192, 4);
                fk->qk_rows(q, ldq, nr, k, ldk, nk, dh, scale, s, lds, &pf);
                checkasm_check_prefetch(&pf, k, 192, 4);
                for (int r = 0; r < nr; r++)
                    for (int64_t j = 0; j < lds; j++) {
                        if (j >= nk) {
                            checkasm_intact("s (past nk)", r * lds + j, s[r * lds + j]);
                            continue;
                        }
                        expect_score(r * lds + j, s[r * lds + j], q + r * ldq, k + j * ldk, 1, dh, scale);
                    }
                checkasm_check_guard("s", s, nr * lds);
                checkasm_free(q);
                checkasm_free(k);
                checkasm_free(s);
            }
}

/* As flash_stream.c calls it: o is the output block, rows dhp = Dh rounded
 * up to DR apart, 64-byte aligned; the AVX2 kernel uses aligned loads and
 * stores of 16 columns and writes the padding columns dh .. dhp (never
 * read), so only columns below dh are compared. */
static void check_pv_rows(const flash_kernels *fk)
{
    /* n = MHA_FLASH_STREAM_STEP: the streamed decode's step; 9 rows: more than a stream plan has */
    static const int nrs[] = {1, 2, 3, 4, 5, 8, 9};
    static const int ns[] = {1, 2, 3, 7, MHA_FLASH_STREAM_STEP, 32, 33};
    for (int di = 0; di < DHS; di++)
        for (size_t ri = 0; ri < sizeof nrs / sizeof nrs[0]; ri++)
            for (size_t ni = 0; ni < 2 * (sizeof ns / sizeof ns[0]); ni++) {
                const int64_t dh = dhs[di], ldv = odd_step(dh), ldo = (dh + fk->tile.dr - 1) / fk->tile.dr * fk->tile.dr;
                const int nr = nrs[ri], n = ns[ni / 2], rescale = (int)(ni % 2);
                const int64_t ldp = odd_step(n);
                float *p = checkasm_random_floats(nr * ldp, 1.0f), *v = checkasm_random_floats(n * ldv, 1.0f);
                float *o0 = checkasm_random_floats(nr * ldo, 1.0f), *o = checkasm_alloc(nr * ldo), alpha[9];
                for (int r = 0; r < nr; r++)
                    alpha[r] = 0.5f + 0.5f * checkasm_rand(1.0f);
                for (int64_t i = 0; i < nr * ldo; i++)
                    o[i] = o0[i];
                flash_prefetch pf;
                checkasm_prefetch_open(&pf, v, 192, 4);
                fk->pv_rows(p, ldp, nr, v, ldv, n, dh, alpha, rescale, o, ldo, &pf);
                checkasm_check_prefetch(&pf, v, 192, 4);
                expect_pv(o, o0, ldo, nr, dh, p, ldp, v, ldv, n, alpha, rescale, 0);
                checkasm_free(p);
                checkasm_free(v);
                checkasm_free(o0);
                checkasm_free(o);
            }
}

static void check_axpy(const flash_kernels *fk)
{
    for (int64_t n = 0; n <= 40; n++) {
        float *x = checkasm_random_floats(n, 1.0f), *o0 = checkasm_random_floats(n, 1.0f), *o = checkasm_alloc(n);
        const float w = checkasm_rand(2.0f);
        for (int64_t i = 0; i < n; i++)
            o[i] = o0[i];
        fk->axpy(o, x, n, w);
        for (int64_t i = 0; i < n; i++)
            checkasm_near("o", i, o[i], o0[i] + (double)w * x[i], checkasm_gamma(2) * (fabs(o0[i]) + fabs(w * x[i])));
        checkasm_check_guard("o", o, n);
        checkasm_free(x);
        checkasm_free(o0);
        checkasm_free(o);
    }
}

static void check(const checkasm_table *t)
{
    static const struct { const char *name; void (*fn)(const flash_kernels *); } kernels[] = {
        {"pack_strip", check_pack_strip}, {"qk_tile", check_qk_tile},       {"pv_tile", check_pv_tile},
        {"row_max", check_row_max},       {"row_exp_sum", check_row_exp_sum}, {"qk_rows", check_qk_rows},
        {"pv_rows", check_pv_rows},       {"axpy", check_axpy},
    };
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++)
        if (checkasm_begin(kernels[k].name)) {
            kernels[k].fn(t->table);
            checkasm_end();
        }
    checkasm_flash_loops_check(t->table);
}

/* ---- --bench: the same work for every table, whatever its tile ---- */

/* 12 rows (a multiple of every MR), 96 keys (of every NR), Dh 64 (of every DR) */
enum { B_ROWS = 12, B_KEYS = 96, B_DH = 64 };

typedef struct flash_bench {
    float q[B_ROWS * B_DH], kv[B_KEYS * B_DH], pack[B_KEYS * B_DH], s[B_ROWS * B_KEYS], e[4 * B_KEYS];
    float o[B_ROWS * B_DH], alpha[B_ROWS];
} flash_bench;

/* K of 96 keys into NR-wide strips */
static void bench_pack_strip(const void *table, void *ctx)
{
    const flash_kernels *fk = table;
    flash_bench *b = ctx;
    const float *rows[64];
    for (int j0 = 0; j0 < B_KEYS; j0 += fk->tile.nr) {
        for (int j = 0; j < fk->tile.nr; j++)
            rows[j] = b->kv + (j0 + j) * B_DH;
        fk->pack_strip(rows, fk->tile.nr, B_DH, b->pack + j0 * B_DH);
    }
}

/* S (12 x 96) = Q K^T, one MR x NR tile at a time */
static void bench_qk_tile(const void *table, void *ctx)
{
    const flash_kernels *fk = table;
    flash_bench *b = ctx;
    for (int r = 0; r < B_ROWS; r += fk->tile.mr)
        for (int j = 0; j < B_KEYS; j += fk->tile.nr)
            fk->qk_tile(b->q + r * B_DH, B_DH, b->pack + j * B_DH, 0.125f, b->s + r * B_KEYS + j, B_KEYS);
}

/* O (12 x 64) = alpha O + P V over 96 keys, one MR x DR tile at a time */
static void bench_pv_tile(const void *table, void *ctx)
{
    const flash_kernels *fk = table;
    flash_bench *b = ctx;
    for (int r = 0; r < B_ROWS; r += fk->tile.mr)
        for (int d = 0; d < B_DH; d += fk->tile.dr)
            fk->pv_tile(b->s + r * B_KEYS, B_KEYS, b->pack + d * B_KEYS, B_KEYS, b->alpha + r, 1, b->o + r * B_DH + d,
                        B_DH);
}

static void bench_row_max(const void *table, void *ctx)
{
    const flash_kernels *fk = table;
    flash_bench *b = ctx;
    b->alpha[0] = fk->row_max(b->s, B_ROWS * B_KEYS);
}

/* in place: after the first call e holds values in (0, 1], and exp(e - 1) stays there */
static void bench_row_exp_sum(const void *table, void *ctx)
{
    const flash_kernels *fk = table;
    flash_bench *b = ctx;
    b->alpha[0] = fk->row_exp_sum(b->e, 4 * B_KEYS, 1.0f);
}

/* 4 query rows against 96 K rows in place */
static void bench_qk_rows(const void *table, void *ctx)
{
    const flash_kernels *fk = table;
    flash_bench *b = ctx;
    flash_prefetch none = {0};
    fk->qk_rows(b->q, B_DH, 4, b->kv, B_DH, B_KEYS, B_DH, 0.125f, b->s, B_KEYS, &none);
}

static void bench_pv_rows(const void *table, void *ctx)
{
    const flash_kernels *fk = table;
    flash_bench *b = ctx;
    flash_prefetch none = {0};
    fk->pv_rows(b->s, B_KEYS, 4, b->kv, B_DH, B_KEYS, B_DH, b->alpha, 1, b->o, B_DH, &none);
}

static void bench_axpy(const void *table, void *ctx)
{
    const flash_kernels *fk = table;
    flash_bench *b = ctx;
    fk->axpy(b->o, b->q, B_DH, 0.5f);
}

static void bench(const checkasm_table *t, const checkasm_table *ref)
{
    static flash_bench b;
    static const struct { const char *name; checkasm_bench_fn *fn; } kernels[] = {
        {"pack_strip", bench_pack_strip}, {"qk_tile", bench_qk_tile},       {"pv_tile", bench_pv_tile},
        {"row_max", bench_row_max},       {"row_exp_sum", bench_row_exp_sum}, {"qk_rows", bench_qk_rows},
        {"pv_rows", bench_pv_rows},       {"axpy", bench_axpy},
    };
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
        /* fresh inputs per kernel: P in [0, 1), alpha 1 (O stays bounded over many calls) */
        for (int i = 0; i < B_ROWS * B_DH; i++) {
            b.q[i] = checkasm_rand(1.0f);
            b.o[i] = 0.0f;
        }
        for (int i = 0; i < B_KEYS * B_DH; i++)
            b.kv[i] = b.pack[i] = checkasm_rand(1.0f);
        for (int i = 0; i < B_ROWS * B_KEYS; i++)
            b.s[i] = 0.5f + 0.5f * checkasm_rand(1.0f);
        for (int i = 0; i < 4 * B_KEYS; i++)
            b.e[i] = checkasm_rand(1.0f);
        for (int r = 0; r < B_ROWS; r++)
            b.alpha[r] = 1.0f;
        if (checkasm_begin(kernels[k].name))
            checkasm_bench(kernels[k].fn, t->table, ref && ref != t ? ref->table : NULL, &b);
    }
    checkasm_flash_loops_bench(t->table, ref ? ref->table : NULL);
}

const checkasm_family checkasm_flash = {"flash", tables, (int)(sizeof tables / sizeof tables[0]), check, bench};
