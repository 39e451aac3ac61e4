/*
 * The x86 flash kernels, written once over the f32v shims (impl/vec):
 * flash_avx2.h includes it after f32v_avx2.h (8 lanes), flash_avx512.h
 * after f32v_avx512.h (16 lanes). Register tile, with L = F32V_LANES:
 *   Q K^T: 6 query rows x 2L keys = 12 accumulators; per head dim d, two
 *          loads of the packed K strip and 6 broadcasts of Q feed 12 FMAs.
 *   P V:   6 query rows x 2L head dims = 12 accumulators; per key j, two
 *          loads of the packed V strip and 6 broadcasts of P feed 12 FMAs.
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

#include "flash_pack_avx2.h"

#define FLASH_MR 6
#define FLASH_NR (2 * F32V_LANES)
#define FLASH_DR (2 * F32V_LANES)

static inline void flash_pack_strip(const float *const *rows, int nk, int64_t dh, float *k)
{
    flash_pack_strip_avx2(rows, nk, dh, k, FLASH_NR);
}

/* s[r][0..NR) = scale * sum_d q[r][d] * k[d][0..NR),  r < 6 */
static inline void flash_qk_tile(const float *q, int64_t dh, const float *k, float scale,
                                 float *s, int64_t lds)
{
    f32v c00 = f32v_zero(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    f32v c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int64_t d = 0; d < dh; d++) {
        const f32v k0 = f32v_load(k + d * FLASH_NR), k1 = f32v_load(k + d * FLASH_NR + F32V_LANES);
        f32v b;
        /* c[r] += q[r][d] * k[d][:] */
        b = f32v_set1(q[0 * dh + d]);
        c00 = f32v_fmadd(b, k0, c00);
        c01 = f32v_fmadd(b, k1, c01);
        b = f32v_set1(q[1 * dh + d]);
        c10 = f32v_fmadd(b, k0, c10);
        c11 = f32v_fmadd(b, k1, c11);
        b = f32v_set1(q[2 * dh + d]);
        c20 = f32v_fmadd(b, k0, c20);
        c21 = f32v_fmadd(b, k1, c21);
        b = f32v_set1(q[3 * dh + d]);
        c30 = f32v_fmadd(b, k0, c30);
        c31 = f32v_fmadd(b, k1, c31);
        b = f32v_set1(q[4 * dh + d]);
        c40 = f32v_fmadd(b, k0, c40);
        c41 = f32v_fmadd(b, k1, c41);
        b = f32v_set1(q[5 * dh + d]);
        c50 = f32v_fmadd(b, k0, c50);
        c51 = f32v_fmadd(b, k1, c51);
    }
    /* s = scale * c */
    const f32v sc = f32v_set1(scale);
    f32v_store(s + 0 * lds, f32v_mul(sc, c00));
    f32v_store(s + 0 * lds + F32V_LANES, f32v_mul(sc, c01));
    f32v_store(s + 1 * lds, f32v_mul(sc, c10));
    f32v_store(s + 1 * lds + F32V_LANES, f32v_mul(sc, c11));
    f32v_store(s + 2 * lds, f32v_mul(sc, c20));
    f32v_store(s + 2 * lds + F32V_LANES, f32v_mul(sc, c21));
    f32v_store(s + 3 * lds, f32v_mul(sc, c30));
    f32v_store(s + 3 * lds + F32V_LANES, f32v_mul(sc, c31));
    f32v_store(s + 4 * lds, f32v_mul(sc, c40));
    f32v_store(s + 4 * lds + F32V_LANES, f32v_mul(sc, c41));
    f32v_store(s + 5 * lds, f32v_mul(sc, c50));
    f32v_store(s + 5 * lds + F32V_LANES, f32v_mul(sc, c51));
}

/* o[r][0..DR) = alpha[r] * o[r][0..DR) (when rescale) + sum_{j<n} p[r][j] * v[j][0..DR),  r < 6 */
static inline void flash_pv_tile(const float *p, int64_t ldp, const float *v, int64_t n,
                                 const float *alpha, int rescale, float *o, int64_t ldo)
{
    f32v c00 = f32v_load(o + 0 * ldo), c01 = f32v_load(o + 0 * ldo + F32V_LANES);
    f32v c10 = f32v_load(o + 1 * ldo), c11 = f32v_load(o + 1 * ldo + F32V_LANES);
    f32v c20 = f32v_load(o + 2 * ldo), c21 = f32v_load(o + 2 * ldo + F32V_LANES);
    f32v c30 = f32v_load(o + 3 * ldo), c31 = f32v_load(o + 3 * ldo + F32V_LANES);
    f32v c40 = f32v_load(o + 4 * ldo), c41 = f32v_load(o + 4 * ldo + F32V_LANES);
    f32v c50 = f32v_load(o + 5 * ldo), c51 = f32v_load(o + 5 * ldo + F32V_LANES);
    if (rescale) {
        /* c[r] = alpha[r] * o[r] */
        f32v a;
        a = f32v_set1(alpha[0]);
        c00 = f32v_mul(a, c00);
        c01 = f32v_mul(a, c01);
        a = f32v_set1(alpha[1]);
        c10 = f32v_mul(a, c10);
        c11 = f32v_mul(a, c11);
        a = f32v_set1(alpha[2]);
        c20 = f32v_mul(a, c20);
        c21 = f32v_mul(a, c21);
        a = f32v_set1(alpha[3]);
        c30 = f32v_mul(a, c30);
        c31 = f32v_mul(a, c31);
        a = f32v_set1(alpha[4]);
        c40 = f32v_mul(a, c40);
        c41 = f32v_mul(a, c41);
        a = f32v_set1(alpha[5]);
        c50 = f32v_mul(a, c50);
        c51 = f32v_mul(a, c51);
    }
    for (int64_t j = 0; j < n; j++) {
        const f32v v0 = f32v_load(v + j * FLASH_DR), v1 = f32v_load(v + j * FLASH_DR + F32V_LANES);
        f32v b;
        /* c[r] += p[r][j] * v[j][:] */
        b = f32v_set1(p[0 * ldp + j]);
        c00 = f32v_fmadd(b, v0, c00);
        c01 = f32v_fmadd(b, v1, c01);
        b = f32v_set1(p[1 * ldp + j]);
        c10 = f32v_fmadd(b, v0, c10);
        c11 = f32v_fmadd(b, v1, c11);
        b = f32v_set1(p[2 * ldp + j]);
        c20 = f32v_fmadd(b, v0, c20);
        c21 = f32v_fmadd(b, v1, c21);
        b = f32v_set1(p[3 * ldp + j]);
        c30 = f32v_fmadd(b, v0, c30);
        c31 = f32v_fmadd(b, v1, c31);
        b = f32v_set1(p[4 * ldp + j]);
        c40 = f32v_fmadd(b, v0, c40);
        c41 = f32v_fmadd(b, v1, c41);
        b = f32v_set1(p[5 * ldp + j]);
        c50 = f32v_fmadd(b, v0, c50);
        c51 = f32v_fmadd(b, v1, c51);
    }
    f32v_store(o + 0 * ldo, c00);
    f32v_store(o + 0 * ldo + F32V_LANES, c01);
    f32v_store(o + 1 * ldo, c10);
    f32v_store(o + 1 * ldo + F32V_LANES, c11);
    f32v_store(o + 2 * ldo, c20);
    f32v_store(o + 2 * ldo + F32V_LANES, c21);
    f32v_store(o + 3 * ldo, c30);
    f32v_store(o + 3 * ldo + F32V_LANES, c31);
    f32v_store(o + 4 * ldo, c40);
    f32v_store(o + 4 * ldo + F32V_LANES, c41);
    f32v_store(o + 5 * ldo, c50);
    f32v_store(o + 5 * ldo + F32V_LANES, c51);
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

/* s[j] = exp(s[j] - m);  returns sum_j s[j];  n a multiple of NR */
static inline float flash_row_exp_sum(float *s, int64_t n, float m)
{
    const f32v mv = f32v_set1(m);
    f32v l0 = f32v_zero(), l1 = l0;
    for (int64_t j = 0; j < n; j += FLASH_NR) {
        const f32v e0 = FLASH_VEXP(f32v_sub(f32v_load(s + j), mv));
        const f32v e1 = FLASH_VEXP(f32v_sub(f32v_load(s + j + F32V_LANES), mv));
        f32v_store(s + j, e0);
        f32v_store(s + j + F32V_LANES, e1);
        l0 = f32v_add(l0, e0);
        l1 = f32v_add(l1, e1);
    }
    return f32v_hsum(f32v_add(l0, l1));
}

#endif
