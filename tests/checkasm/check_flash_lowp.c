/*
 * The converting layer's kernel tables (impl/flash/flash_lowp.h):
 * flash_lowp_avx2 (named by flash_avx2's table), flash_lowp_avx512
 * (flash_avx512's) and flash_lowp_neon (flash_neon's). Their contract is exactness against their variant's
 * fp32 kernels, which check_flash.c checks against double:
 *   widen            every one of the 65536 bf16 and fp16 values gives the
 *                    portable conversion's float (dtype_convert.h; any NaN
 *                    matches any NaN); random lengths cover the tails, and
 *                    nothing is written past n
 *   qk_rows          on K rows of bf16 or fp16, bit for bit the fp32
 *                    table's qk_rows on the same rows widened
 *   pv_rows          (tables that have it) on V rows of bf16 or fp16, bit
 *                    for bit the fp32 table's pv_rows on the same rows
 *                    widened, every column of o (the padding past Dh too)
 * pack_k needs a driver context and is covered by tests/test_flash_lowp.c.
 */
#include "checkasm.h"
#include "impl/core/dtype_convert.h"
#include "impl/flash/flash_kernels.h"
#include "impl/flash/flash_lowp.h"

#include <math.h>
#include <stdio.h>

/* A converting table and the fp32 table of the same variant. */
typedef struct lowp_pair {
    const flash_lowp_kernels *lowp;
    const flash_kernels *fp32;
} lowp_pair;

#ifdef CHECKASM_HAVE_AVX2
FLASH_TMPL_PROTOTYPES(avx2);
static const lowp_pair pair_avx2 = {&flash_lowp_avx2, &flash_kernels_avx2};
#endif
#ifdef CHECKASM_HAVE_AVX512
FLASH_TMPL_PROTOTYPES(avx512);
static const lowp_pair pair_avx512 = {&flash_lowp_avx512, &flash_kernels_avx512};
#endif
#ifdef CHECKASM_HAVE_NEON
FLASH_TMPL_PROTOTYPES(neon);
static const lowp_pair pair_neon = {&flash_lowp_neon, &flash_kernels_neon};
#endif

static const checkasm_table tables[] = {
#ifdef CHECKASM_HAVE_AVX2
    {"avx2", CHECKASM_AVX2 | MHA_CPU_F16C, &pair_avx2},
#endif
#ifdef CHECKASM_HAVE_AVX512
    {"avx512", CHECKASM_AVX512, &pair_avx512},
#endif
#ifdef CHECKASM_HAVE_NEON
    {"neon", CHECKASM_NEON, &pair_neon},
#endif
    {NULL, 0, NULL}, /* keeps the array non-empty in a build without these tables; not counted */
};

static const int64_t dhs[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 67, 128};
enum { DHS = sizeof dhs / sizeof dhs[0] };

static float widen1(mha_dtype dt, uint16_t x)
{
    return dt == MHA_BF16 ? mha_bf16_to_f32_inline(x) : mha_f16_to_f32_inline(x);
}

/* n random elements of dt in [-1, 1) (room for n / 2 + 1 floats) */
static uint16_t *random_lowp(mha_dtype dt, int64_t n)
{
    uint16_t *p = (uint16_t *)(void *)checkasm_alloc(n / 2 + 1);
    for (int64_t i = 0; i < n; i++) {
        const float x = checkasm_rand(1.0f);
        p[i] = dt == MHA_BF16 ? mha_f32_to_bf16(x) : mha_f32_to_f16(x);
    }
    return p;
}

/* rows x cols elements of dt, rows ld apart, widened into rows ld floats apart */
static float *widened(mha_dtype dt, const uint16_t *x, int64_t rows, int64_t ld)
{
    float *f = checkasm_alloc(rows * ld);
    for (int64_t i = 0; i < rows * ld; i++)
        f[i] = widen1(dt, x[i]);
    return f;
}

/* got[0..n) bit for bit want[0..n), and got's guard intact */
static void expect_same(const char *what, const float *got, const float *want, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        checkasm_same(what, i, got[i], want[i]);
    checkasm_check_guard(what, got, n);
}

static void check_widen(const lowp_pair *pr, mha_dtype dt)
{
    uint16_t *all = (uint16_t *)(void *)checkasm_alloc(32768 + 1);
    float *f = checkasm_alloc(65536);
    for (int64_t i = 0; i < 65536; i++)
        all[i] = (uint16_t)i;
    pr->lowp->widen[dt](f, all, 65536);
    for (int64_t i = 0; i < 65536; i++)
        checkasm_same("widened", i, f[i], widen1(dt, all[i]));
    checkasm_check_guard("widened", f, 65536);
    checkasm_free(f);
    for (int64_t n = 0; n <= 40; n++) {
        const int64_t off = checkasm_rand_below(65536 - n);
        f = checkasm_alloc(n);
        pr->lowp->widen[dt](f, all + off, n);
        for (int64_t i = 0; i < n; i++)
            checkasm_same("widened (tail)", i, f[i], widen1(dt, all[off + i]));
        checkasm_check_guard("widened (tail)", f, n);
        checkasm_free(f);
    }
    checkasm_free(all);
}

static void check_qk_rows(const lowp_pair *pr, mha_dtype dt)
{
    static const int nrs[] = {1, 2, 3, 5, 8};
    static const int nks[] = {1, 3, 4, 5, 9, 32};
    for (int di = 0; di < DHS; di++)
        for (size_t ri = 0; ri < sizeof nrs / sizeof nrs[0]; ri++)
            for (size_t ki = 0; ki < sizeof nks / sizeof nks[0]; ki++) {
                const int64_t dh = dhs[di], ld = dh + 1 + 2 * checkasm_rand_below(3);
                const int nr = nrs[ri], nk = nks[ki];
                const float scale = 1.0f / sqrtf((float)dh);
                uint16_t *q16 = random_lowp(dt, nr * ld), *k16 = random_lowp(dt, nk * ld);
                float *q = widened(dt, q16, nr, ld), *k = widened(dt, k16, nk, ld);
                float *s = checkasm_alloc(nr * nk), *want = checkasm_alloc(nr * nk);
                flash_prefetch pf, none = {0};
                checkasm_prefetch_open(&pf, k16, 192, 4);
                pr->lowp->qk_rows[dt](q, ld, nr, k16, ld, nk, dh, scale, s, nk, &pf);
                checkasm_check_prefetch(&pf, k16, 192, 4);
                pr->fp32->qk_rows(q, ld, nr, k, ld, nk, dh, scale, want, nk, &none);
                expect_same("s", s, want, nr * nk);
                void *bufs[] = {q16, k16, q, k, s, want};
                for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
                    checkasm_free(bufs[i]);
            }
}

/* o as flash_stream.c passes it: rows Dh rounded up to the tile's DR apart, 64-byte aligned */
static void check_pv_rows(const lowp_pair *pr, mha_dtype dt)
{
    static const int nrs[] = {1, 2, 3, 4, 5, 8};
    static const int ns[] = {1, 3, MHA_FLASH_STREAM_STEP, 9, 33};
    const int64_t dr = pr->fp32->tile.dr;
    for (int di = 0; di < DHS; di++)
        for (size_t ri = 0; ri < sizeof nrs / sizeof nrs[0]; ri++)
            for (size_t ni = 0; ni < 2 * (sizeof ns / sizeof ns[0]); ni++) {
                const int64_t dh = dhs[di], ld = dh + 1 + 2 * checkasm_rand_below(3), ldo = (dh + dr - 1) / dr * dr;
                const int nr = nrs[ri], n = ns[ni / 2], rescale = (int)(ni % 2);
                uint16_t *v16 = random_lowp(dt, n * ld);
                float *v = widened(dt, v16, n, ld), *p = checkasm_random_floats(nr * n, 1.0f);
                float *o = checkasm_random_floats(nr * ldo, 1.0f), *want = checkasm_alloc(nr * ldo), alpha[8];
                for (int64_t i = 0; i < nr * ldo; i++)
                    want[i] = o[i];
                for (int r = 0; r < nr; r++)
                    alpha[r] = 0.5f + 0.5f * checkasm_rand(1.0f);
                flash_prefetch pf, none = {0};
                checkasm_prefetch_open(&pf, v16, 192, 4);
                pr->lowp->pv_rows[dt](p, n, nr, v16, ld, n, dh, alpha, rescale, o, ldo, &pf);
                checkasm_check_prefetch(&pf, v16, 192, 4);
                pr->fp32->pv_rows(p, n, nr, v, ld, n, dh, alpha, rescale, want, ldo, &none);
                expect_same("o", o, want, nr * ldo);
                void *bufs[] = {v16, v, p, o, want};
                for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
                    checkasm_free(bufs[i]);
            }
}

static void check(const checkasm_table *t)
{
    static const struct { const char *name; void (*fn)(const lowp_pair *, mha_dtype); } kernels[] = {
        {"widen", check_widen}, {"qk_rows", check_qk_rows}, {"pv_rows", check_pv_rows}};
    const lowp_pair *pr = t->table;
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++)
        for (mha_dtype dt = MHA_BF16; dt <= MHA_F16; dt++) {
            if (kernels[k].fn == check_pv_rows && !pr->lowp->pv_rows[dt])
                continue; /* this table's stream widens each step (flash_stream.c) */
            char name[32];
            snprintf(name, sizeof name, "%s_%s", kernels[k].name, mha_dtype_name(dt));
            if (checkasm_begin(name)) {
                kernels[k].fn(pr, dt);
                checkasm_end();
            }
        }
}

/* The contract is bit-identity with the fp32 table (timed by the flash family): --bench skips this family. */
const checkasm_family checkasm_flash_lowp = {"flash_lowp", tables, (int)(sizeof tables / sizeof tables[0]) - 1,
                                             check, NULL};
