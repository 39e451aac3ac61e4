/*
 * The bf16 pair-dot microkernels of flash_avx512bf16 (VDPBF16PS) and
 * flash_neonbf16 (BFDOT): impl/flash/flash_bf16_pairs.h's
 * flash_bf16_kernels. Inputs are random bf16 values (uniform in [-1, 1)
 * rounded to bf16, so no denormal reaches the flushing instructions).
 *
 *   pack_k_strip, pack_v_pair: exact; every word against its definition
 *              (flash_bf16_tmpl.h), zero padding included
 *   p_pairs_in_place: exact; each bf16 is mha_f32_to_bf16 (nearest even)
 *   qk_tile, pv_tile: the products of two bf16 are exact in fp32; a sum
 *              over nt pairs is within gamma(w) sum |terms|, w = 2 nt for
 *              VDPBF16PS (two fused steps per pair, each rounded to
 *              nearest even) and w = 2 (nt + 1) for BFDOT (the pair sum and
 *              the accumulation each rounded to odd: < 2u); qk_tile adds
 *              one rounding (the product with scale), pv_tile one (alpha o).
 * qk_tile is also run in two chunks (first, then last), as the loops call
 * it for Dh > 2 BF16_QCHUNK: the partial sums are stored and reloaded
 * exactly, so the bound is the same.
 */
#include "checkasm.h"
#include "impl/core/dtype_convert.h"
#include "impl/flash/flash_bf16_pairs.h"

#include <math.h>

static const checkasm_table tables[] = {
#ifdef CHECKASM_HAVE_BF16_AVX512
#ifdef MHA_AVX512_EMULATION
    {"avx512", CHECKASM_AVX512, &flash_bf16_kernels_avx512},
#else
    {"avx512", CHECKASM_AVX512 | MHA_CPU_AVX512BF16, &flash_bf16_kernels_avx512},
#endif
#endif
#ifdef CHECKASM_HAVE_BF16_NEON
    {"neon", CHECKASM_NEON | MHA_CPU_NEON_BF16, &flash_bf16_kernels_neon},
#endif
    {NULL, 0, NULL}, /* keeps the array non-empty in a build without these variants; not counted */
};

static const int64_t dhs[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 67, 128};
enum { DHS = sizeof dhs / sizeof dhs[0] };

/* a random bf16 in [-1, 1) */
static uint16_t rand_bf16(void)
{
    return mha_f32_to_bf16(checkasm_rand(1.0f));
}

/* n random bf16 (plus room: callers read whole words) */
static uint16_t *random_bf16(int64_t n)
{
    uint16_t *p = (uint16_t *)(void *)checkasm_alloc(n / 2 + 1);
    for (int64_t i = 0; i < n; i++)
        p[i] = rand_bf16();
    return p;
}

/* n random words, each a pair of random bf16 */
static uint32_t *random_pairs(int64_t n)
{
    uint32_t *p = (uint32_t *)(void *)checkasm_alloc(n);
    for (int64_t i = 0; i < n; i++)
        p[i] = rand_bf16() | (uint32_t)rand_bf16() << 16;
    return p;
}

static double lo(uint32_t w)
{
    return mha_bf16_to_f32_inline((uint16_t)(w & 0xffffu));
}

static double hi(uint32_t w)
{
    return mha_bf16_to_f32_inline((uint16_t)(w >> 16));
}

/* The bound's rounding count for a sum over nt pairs (file comment). */
static int64_t dot_units(const flash_bf16_kernels *k, int64_t nt)
{
    return k->round_to_odd ? 2 * (nt + 1) : 2 * nt;
}

static void same_word(const char *what, int64_t i, uint32_t got, uint32_t want)
{
    if (got != want)
        checkasm_fail("%s[%lld] = 0x%08x, expected 0x%08x", what, (long long)i, got, want);
}

static void check_pack_k_strip(const flash_bf16_kernels *k)
{
    for (int di = 0; di < DHS; di++)
        for (int nk = 1; nk <= k->nr; nk++) {
            const int64_t dh = dhs[di], pairs = (dh + 1) / 2, ld = dh + 1 + 2 * checkasm_rand_below(3);
            uint16_t *src = random_bf16(k->nr * ld);
            uint32_t *kp = (uint32_t *)(void *)checkasm_alloc(pairs * k->nr);
            const uint16_t *rows[64];
            for (int j = 0; j < nk; j++)
                rows[j] = src + j * ld;
            k->pack_k_strip(rows, nk, dh, kp);
            for (int64_t t = 0; t < pairs; t++)
                for (int j = 0; j < k->nr; j++)
                    same_word("kp", t * k->nr + j, kp[t * k->nr + j], j < nk ? bf16_row_pair(rows[j], t, dh) : 0);
            checkasm_check_guard("kp", (const float *)(const void *)kp, pairs * k->nr);
            checkasm_free(src);
            checkasm_free(kp);
        }
}

static void check_pack_v_pair(const flash_bf16_kernels *k)
{
    for (int di = 0; di < DHS; di++)
        for (int with_b = 0; with_b < 2; with_b++) {
            const int64_t dh = dhs[di], dhp = (dh + k->dr - 1) / k->dr * k->dr;
            uint16_t *a = random_bf16(dh), *b = random_bf16(dh);
            uint32_t *vp = (uint32_t *)(void *)checkasm_alloc(dhp);
            for (int64_t d0 = 0; d0 < dhp; d0 += k->dr)
                k->pack_v_pair(a, with_b ? b : NULL, d0, dh, vp + d0);
            for (int64_t d = 0; d < dhp; d++) {
                const uint32_t x = d < dh ? a[d] : 0, y = with_b && d < dh ? b[d] : 0;
                same_word("vp", d, vp[d], x | y << 16);
            }
            checkasm_check_guard("vp", (const float *)(const void *)vp, dhp);
            checkasm_free(a);
            checkasm_free(b);
            checkasm_free(vp);
        }
}

static void check_qk_tile(const flash_bf16_kernels *k)
{
    static const int64_t nts[] = {1, 2, 3, 5, 8, 33, 64, BF16_QCHUNK};
    for (size_t ni = 0; ni < sizeof nts / sizeof nts[0]; ni++)
        for (int chunks = 1; chunks <= 2; chunks++) {
            const int64_t nt = nts[ni], lds = k->nr + 1 + 2 * checkasm_rand_below(3);
            const float scale = 1.0f / sqrtf((float)(2 * nt));
            uint32_t *qp = random_pairs(k->mr * BF16_QCHUNK), *kp = random_pairs(nt * k->nr);
            float *s = checkasm_alloc(k->mr * lds);
            const int64_t split = chunks == 2 ? nt / 2 : 0; /* pairs of the first call; 0: one call */
            if (split > 0) {
                k->qk_tile(qp, kp, split, 1, 0, scale, s, lds);
                /* the second call reads Q pairs from the start of its chunk */
                uint32_t *qp2 = random_pairs(k->mr * BF16_QCHUNK);
                for (int r = 0; r < k->mr; r++)
                    for (int64_t t = split; t < nt; t++)
                        qp2[r * BF16_QCHUNK + t - split] = qp[r * BF16_QCHUNK + t];
                k->qk_tile(qp2, kp + split * k->nr, nt - split, 0, 1, scale, s, lds);
                checkasm_free(qp2);
            } else {
                k->qk_tile(qp, kp, nt, 1, 1, scale, s, lds);
            }
            for (int r = 0; r < k->mr; r++)
                for (int64_t j = 0; j < lds; j++) {
                    if (j >= k->nr) {
                        checkasm_intact("s (past NR)", r * lds + j, s[r * lds + j]);
                        continue;
                    }
                    double dot = 0.0, abs_dot = 0.0;
                    for (int64_t t = 0; t < nt; t++) {
                        const uint32_t q = qp[r * BF16_QCHUNK + t], x = kp[t * k->nr + j];
                        dot += lo(q) * lo(x) + hi(q) * hi(x);
                        abs_dot += fabs(lo(q) * lo(x)) + fabs(hi(q) * hi(x));
                    }
                    checkasm_near("s", r * lds + j, s[r * lds + j], scale * dot,
                                  checkasm_gamma(dot_units(k, nt) + 1) * scale * abs_dot);
                }
            checkasm_check_guard("s", s, k->mr * lds);
            checkasm_free(qp);
            checkasm_free(kp);
            checkasm_free(s);
        }
}

static void check_p_pairs_in_place(const flash_bf16_kernels *k)
{
    for (int64_t cols = k->nr; cols <= 4 * k->nr; cols += k->nr) {
        float *p = checkasm_alloc(cols), *p0 = checkasm_alloc(cols);
        for (int64_t j = 0; j < cols; j++) /* probabilities: in [0, 1], some exactly halfway between two bf16 */
            p[j] = p0[j] = checkasm_rand_below(4) == 0 ? (float)(1 + 2 * checkasm_rand_below(128)) / 256.0f + 0x1p-9f
                                                       : 0.5f + 0.5f * checkasm_rand(1.0f);
        k->p_pairs_in_place(p, cols);
        for (int64_t u = 0; u < cols / 2; u++)
            same_word("p pairs", u, bf16_word(p + u),
                      mha_f32_to_bf16(p0[2 * u]) | (uint32_t)mha_f32_to_bf16(p0[2 * u + 1]) << 16);
        checkasm_check_guard("p", p, cols);
        checkasm_free(p);
        checkasm_free(p0);
    }
}

static void check_pv_tile(const flash_bf16_kernels *k)
{
    static const int64_t n2s[] = {0, 1, 2, 3, 5, 8, 17, 50};
    for (size_t ni = 0; ni < sizeof n2s / sizeof n2s[0]; ni++)
        for (int rescale = 0; rescale < 2; rescale++) {
            const int64_t n2 = n2s[ni], ldp = n2 + 1 + 2 * checkasm_rand_below(3), ldo = k->dr + 2 * rescale;
            uint32_t *vp = random_pairs(n2 * k->dr);
            float *pp = checkasm_alloc(k->mr * ldp), *o0 = checkasm_alloc(k->mr * ldo), *o = checkasm_alloc(k->mr * ldo);
            float alpha[64];
            for (int r = 0; r < k->mr; r++) {
                alpha[r] = 0.5f + 0.5f * checkasm_rand(1.0f);
                for (int64_t u = 0; u < ldp; u++) { /* P pairs: bf16 in [0, 1] */
                    const uint32_t w = mha_f32_to_bf16(0.5f + 0.5f * checkasm_rand(1.0f)) |
                                       (uint32_t)mha_f32_to_bf16(0.5f + 0.5f * checkasm_rand(1.0f)) << 16;
                    memcpy(pp + r * ldp + u, &w, sizeof w);
                }
                for (int64_t d = 0; d < ldo; d++)
                    o[r * ldo + d] = o0[r * ldo + d] = checkasm_rand(1.0f);
            }
            k->pv_tile(pp, ldp, vp, n2, alpha, rescale, o, ldo);
            for (int r = 0; r < k->mr; r++)
                for (int64_t d = 0; d < ldo; d++) {
                    const int64_t i = r * ldo + d;
                    if (d >= k->dr) {
                        checkasm_same("o (past DR)", i, o[i], o0[i]);
                        continue;
                    }
                    const double a = rescale ? (double)alpha[r] * o0[i] : o0[i];
                    double sum = a, abs_sum = fabs(a);
                    for (int64_t u = 0; u < n2; u++) {
                        const uint32_t p = bf16_word(pp + r * ldp + u), v = vp[u * k->dr + d];
                        sum += lo(p) * lo(v) + hi(p) * hi(v);
                        abs_sum += fabs(lo(p) * lo(v)) + fabs(hi(p) * hi(v));
                    }
                    checkasm_near("o", i, o[i], sum, checkasm_gamma(dot_units(k, n2) + 1) * abs_sum);
                }
            checkasm_check_guard("o", o, k->mr * ldo);
            checkasm_free(vp);
            checkasm_free(pp);
            checkasm_free(o0);
            checkasm_free(o);
        }
}

static void check(const checkasm_table *t)
{
    static const struct { const char *name; void (*fn)(const flash_bf16_kernels *); } kernels[] = {
        {"pack_k_strip", check_pack_k_strip},         {"pack_v_pair", check_pack_v_pair},
        {"qk_tile", check_qk_tile},                   {"p_pairs_in_place", check_p_pairs_in_place},
        {"pv_tile", check_pv_tile},
    };
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++)
        if (checkasm_begin(kernels[k].name)) {
            kernels[k].fn(t->table);
            checkasm_end();
        }
}

/* No C table to time against: --bench skips this family. */
const checkasm_family checkasm_flash_bf16 = {"flash_bf16", tables, (int)(sizeof tables / sizeof tables[0]) - 1,
                                             check, NULL};
