/*
 * The x86 flash kernels, written once over the f32v shims (impl/vec):
 * flash_avx2.h includes it after f32v_avx2.h (8 lanes, FLASH_VREGS = 16
 * ymm registers), flash_avx512.h after f32v_avx512.h (16 lanes, 32 zmm).
 * Register tile, with L = F32V_LANES:
 *   Q K^T: MR query rows x 2L keys = 2 MR accumulators; per head dim d,
 *          two loads of the packed K strip and MR broadcasts of Q feed
 *          2 MR FMAs.
 *   P V:   MR query rows x 2L head dims = 2 MR accumulators; per key j,
 *          two loads of the packed V strip and MR broadcasts of P feed
 *          2 MR FMAs.
 * MR is the most rows the registers hold: 2 MR accumulators, the 2
 * strip vectors and 1 broadcast, MR = (FLASH_VREGS - 3) / 2: 6 rows with
 * 16 ymm (a 6 x 16 tile), 14 rows with 32 zmm (a 14 x 32 tile). The row
 * loops have constant bounds and unroll completely, so the accumulators
 * stay in registers.
 * exp is the ISA's vexp, fused with the row sum: FLASH_VEXP, which the
 * including header names (mha_vexp_avx2, mha_vexp_avx512). It is called
 * directly rather than through f32v_exp: with the extra inline level GCC
 * inlines the SIMDe-emulated AVX-512 exp differently, and the emulated
 * build's results change bits. K strips are packed with the AVX2 8x8
 * transpose (flash_pack_avx2.h).
 */
#ifndef MHA_FLASH_X86_H
#define MHA_FLASH_X86_H

#include <math.h>
#include <stdint.h>

#include "flash_kernels.h"
#include "flash_pack_avx2.h"

#define FLASH_MR ((FLASH_VREGS - 3) / 2)

/* The tile kernels inline into the loops of flash_tmpl.c (GCC's size
 * heuristics would otherwise call them, spilling the accumulators). */
#if defined(__GNUC__)
#define FLASH_TILE_INLINE static inline __attribute__((always_inline))
#else
#define FLASH_TILE_INLINE static inline
#endif
#define FLASH_NR (2 * F32V_LANES)
#define FLASH_DR (2 * F32V_LANES)

static inline void flash_pack_strip(const float *const *rows, int nk, int64_t dh, float *k)
{
    flash_pack_strip_avx2(rows, nk, dh, k, FLASH_NR);
}

/* s[r][0..NR) = scale * sum_d q[r][d] * k[d][0..NR),  r < MR */
FLASH_TILE_INLINE void flash_qk_tile(const float *q, int64_t dh, const float *k, float scale,
                                 float *s, int64_t lds)
{
    f32v c[FLASH_MR][2];
    for (int r = 0; r < FLASH_MR; r++)
        c[r][0] = c[r][1] = f32v_zero();
    FLASH_UNROLL4
    for (int64_t d = 0; d < dh; d++) {
        const f32v k0 = f32v_load(k + d * FLASH_NR), k1 = f32v_load(k + d * FLASH_NR + F32V_LANES);
        /* c[r] += q[r][d] * k[d][:] */
        for (int r = 0; r < FLASH_MR; r++) {
            const f32v b = f32v_set1(q[r * dh + d]);
            c[r][0] = f32v_fmadd(b, k0, c[r][0]);
            c[r][1] = f32v_fmadd(b, k1, c[r][1]);
        }
    }
    /* s = scale * c */
    const f32v sc = f32v_set1(scale);
    for (int r = 0; r < FLASH_MR; r++) {
        f32v_store(s + r * lds, f32v_mul(sc, c[r][0]));
        f32v_store(s + r * lds + F32V_LANES, f32v_mul(sc, c[r][1]));
    }
}

/* o[r][0..DR) = alpha[r] * o[r][0..DR) (when rescale) + sum_{j<n} p[r][j] * v[j][0..DR),  r < MR */
FLASH_TILE_INLINE void flash_pv_tile(const float *p, int64_t ldp, const float *v, int64_t n,
                                 const float *alpha, int rescale, float *o, int64_t ldo)
{
    f32v c[FLASH_MR][2];
    for (int r = 0; r < FLASH_MR; r++) {
        c[r][0] = f32v_load(o + r * ldo);
        c[r][1] = f32v_load(o + r * ldo + F32V_LANES);
    }
    if (rescale) {
        /* c[r] = alpha[r] * o[r] */
        for (int r = 0; r < FLASH_MR; r++) {
            const f32v a = f32v_set1(alpha[r]);
            c[r][0] = f32v_mul(a, c[r][0]);
            c[r][1] = f32v_mul(a, c[r][1]);
        }
    }
    FLASH_UNROLL4
    for (int64_t j = 0; j < n; j++) {
        const f32v v0 = f32v_load(v + j * FLASH_DR), v1 = f32v_load(v + j * FLASH_DR + F32V_LANES);
        /* c[r] += p[r][j] * v[j][:] */
        for (int r = 0; r < FLASH_MR; r++) {
            const f32v b = f32v_set1(p[r * ldp + j]);
            c[r][0] = f32v_fmadd(b, v0, c[r][0]);
            c[r][1] = f32v_fmadd(b, v1, c[r][1]);
        }
    }
    for (int r = 0; r < FLASH_MR; r++) {
        f32v_store(o + r * ldo, c[r][0]);
        f32v_store(o + r * ldo + F32V_LANES, c[r][1]);
    }
}

/* max_j s[j], n a multiple of NR (a NaN score is caught by the exp pass) */
static inline float flash_row_max(const float *s, int64_t n)
{
    f32v m0 = f32v_set1(-INFINITY), m1 = m0;
    for (int64_t j = 0; j < n; j += FLASH_NR) {
        m0 = f32v_max(m0, f32v_load(s + j));
        m1 = f32v_max(m1, f32v_load(s + j + F32V_LANES));
    }
    return f32v_hmax(f32v_max(m0, m1));
}

/* s[j] = exp(s[j] - m);  returns sum_j s[j];  n a multiple of NR. With
 * hidden set, lanes with s - m = -inf (hidden keys) go through vexp as 0
 * and come out as 0: vexp's rare path, taken for every vector that holds
 * such a lane, cost a causal call about 4% of its time. The results are
 * the same bits either way. */
FLASH_TILE_INLINE float flash_exp_sum(float *s, int64_t n, float m, int hidden)
{
    const f32v mv = f32v_set1(m);
    f32v l0 = f32v_zero(), l1 = l0;
    for (int64_t j = 0; j < n; j += FLASH_NR) {
        f32v x0 = f32v_sub(f32v_load(s + j), mv), x1 = f32v_sub(f32v_load(s + j + F32V_LANES), mv);
        const f32v_lanes h0 = f32v_neg_inf_lanes(x0), h1 = f32v_neg_inf_lanes(x1); /* unused unless hidden */
        if (hidden) {
            x0 = f32v_zero_lanes(x0, h0);
            x1 = f32v_zero_lanes(x1, h1);
        }
        f32v e0 = FLASH_VEXP(x0), e1 = FLASH_VEXP(x1);
        if (hidden) {
            e0 = f32v_zero_lanes(e0, h0);
            e1 = f32v_zero_lanes(e1, h1);
        }
        f32v_store(s + j, e0);
        f32v_store(s + j + F32V_LANES, e1);
        l0 = f32v_add(l0, e0);
        l1 = f32v_add(l1, e1);
    }
    return f32v_hsum(f32v_add(l0, l1));
}

/* s[j] = exp(s[j] - m);  returns sum_j s[j];  n a multiple of NR. Where
 * the ISA's vexp is slow on -inf (FLASH_VEXP_SLOW_NEG_INF), a row whose
 * last score is -inf (a causal limit or the padding ends it) takes the
 * hidden-lane loop. */
static inline float flash_row_exp_sum(float *s, int64_t n, float m)
{
    if (FLASH_VEXP_SLOW_NEG_INF && n > 0 && s[n - 1] == -INFINITY)
        return flash_exp_sum(s, n, m, 1);
    return flash_exp_sum(s, n, m, 0);
}

#endif
