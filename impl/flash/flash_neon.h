/*
 * flash_neon's kernels: AArch64 Advanced SIMD microkernels with 4-lane
 * registers (32 of them). Register tile:
 *   Q K^T: 6 query rows x 16 keys = 24 accumulators; per head dim d, four
 *          loads of the packed K strip and 6 broadcasts of Q feed 24 FMAs.
 *   P V:   6 query rows x 16 head dims = 24 accumulators; per key j, four
 *          loads of the packed V strip and 6 broadcasts of P feed 24 FMAs.
 * exp is mha_vexp_neon (impl/vec), fused with the row sum. K strips are
 * packed with 4x4 transposes in registers.
 */
#ifndef MHA_FLASH_NEON_H
#define MHA_FLASH_NEON_H

#include <arm_neon.h>
#include <math.h>
#include <stdint.h>

#include "../vec/vexp_neon.h"
#include "flash_transpose_neon.h"

#define FLASH_MR 6
#define FLASH_NR 16
#define FLASH_DR 16

/* k[d][j] = rows[j][d] for j < nk, 0 for nk <= j < 16 */
static inline void flash_pack_strip(const float *const *rows, int nk, int64_t dh, float *k)
{
    for (int h = 0; h < FLASH_NR; h += 4) {
        int64_t d = 0;
        if (h + 4 <= nk) {
            for (; d + 4 <= dh; d += 4) {
                /* r_j = K[h+j][d..d+4) in, column x = K[h..h+4][d+x] out to k[d+x][h..h+4) */
                flash_transpose4_store_f32(vld1q_f32(rows[h] + d), vld1q_f32(rows[h + 1] + d),
                                           vld1q_f32(rows[h + 2] + d), vld1q_f32(rows[h + 3] + d),
                                           k + d * FLASH_NR + h, FLASH_NR);
            }
        }
        for (; d < dh; d++)
            for (int j = h; j < h + 4; j++)
                k[d * FLASH_NR + j] = j < nk ? rows[j][d] : 0.0f;
    }
}

/* s[r][0..16) = scale * sum_d q[r][d] * k[d][0..16),  r < 6 */
static inline void flash_qk_tile(const float *q, int64_t dh, const float *k, float scale,
                                 float *s, int64_t lds)
{
    float32x4_t c[FLASH_MR][4];
    for (int r = 0; r < FLASH_MR; r++)
        for (int x = 0; x < 4; x++)
            c[r][x] = vdupq_n_f32(0.0f);
    for (int64_t d = 0; d < dh; d++) {
        const float32x4_t k0 = vld1q_f32(k + d * 16), k1 = vld1q_f32(k + d * 16 + 4);
        const float32x4_t k2 = vld1q_f32(k + d * 16 + 8), k3 = vld1q_f32(k + d * 16 + 12);
        /* c[r] += q[r][d] * k[d][:] */
        for (int r = 0; r < FLASH_MR; r++) {
            const float32x4_t b = vld1q_dup_f32(q + r * dh + d);
            c[r][0] = vfmaq_f32(c[r][0], b, k0);
            c[r][1] = vfmaq_f32(c[r][1], b, k1);
            c[r][2] = vfmaq_f32(c[r][2], b, k2);
            c[r][3] = vfmaq_f32(c[r][3], b, k3);
        }
    }
    /* s = scale * c */
    for (int r = 0; r < FLASH_MR; r++)
        for (int x = 0; x < 4; x++)
            vst1q_f32(s + r * lds + 4 * x, vmulq_n_f32(c[r][x], scale));
}

/* o[r][0..16) = alpha[r] * o[r][0..16) + sum_{j<n} p[r][j] * v[j][0..16),  r < 6 */
static inline void flash_pv_tile(const float *p, int64_t ldp, const float *v, int64_t n,
                                 const float *alpha, int rescale, float *o, int64_t ldo)
{
    float32x4_t c[FLASH_MR][4];
    for (int r = 0; r < FLASH_MR; r++)
        for (int x = 0; x < 4; x++)
            c[r][x] = vld1q_f32(o + r * ldo + 4 * x);
    if (rescale) {
        /* c[r] = alpha[r] * o[r] */
        for (int r = 0; r < FLASH_MR; r++)
            for (int x = 0; x < 4; x++)
                c[r][x] = vmulq_n_f32(c[r][x], alpha[r]);
    }
    for (int64_t j = 0; j < n; j++) {
        const float32x4_t v0 = vld1q_f32(v + j * 16), v1 = vld1q_f32(v + j * 16 + 4);
        const float32x4_t v2 = vld1q_f32(v + j * 16 + 8), v3 = vld1q_f32(v + j * 16 + 12);
        /* c[r] += p[r][j] * v[j][:] */
        for (int r = 0; r < FLASH_MR; r++) {
            const float32x4_t b = vld1q_dup_f32(p + r * ldp + j);
            c[r][0] = vfmaq_f32(c[r][0], b, v0);
            c[r][1] = vfmaq_f32(c[r][1], b, v1);
            c[r][2] = vfmaq_f32(c[r][2], b, v2);
            c[r][3] = vfmaq_f32(c[r][3], b, v3);
        }
    }
    for (int r = 0; r < FLASH_MR; r++)
        for (int x = 0; x < 4; x++)
            vst1q_f32(o + r * ldo + 4 * x, c[r][x]);
}

/* max_j s[j], n a multiple of 16 (a NaN score is caught by the exp pass) */
static inline float flash_row_max(const float *s, int64_t n)
{
    float32x4_t m0 = vdupq_n_f32(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
    for (int64_t j = 0; j < n; j += 16) {
        m0 = vmaxnmq_f32(m0, vld1q_f32(s + j));
        m1 = vmaxnmq_f32(m1, vld1q_f32(s + j + 4));
        m2 = vmaxnmq_f32(m2, vld1q_f32(s + j + 8));
        m3 = vmaxnmq_f32(m3, vld1q_f32(s + j + 12));
    }
    /* horizontal max of 4 lanes */
    return vmaxnmvq_f32(vmaxnmq_f32(vmaxnmq_f32(m0, m1), vmaxnmq_f32(m2, m3)));
}

/* s[j] = exp(s[j] - m);  returns sum_j s[j];  n a multiple of 16 */
static inline float flash_row_exp_sum(float *s, int64_t n, float m)
{
    const float32x4_t mv = vdupq_n_f32(m);
    float32x4_t l0 = vdupq_n_f32(0.0f), l1 = l0;
    for (int64_t j = 0; j < n; j += 8) {
        const float32x4_t e0 = mha_vexp_neon(vsubq_f32(vld1q_f32(s + j), mv));
        const float32x4_t e1 = mha_vexp_neon(vsubq_f32(vld1q_f32(s + j + 4), mv));
        vst1q_f32(s + j, e0);
        vst1q_f32(s + j + 4, e1);
        l0 = vaddq_f32(l0, e0);
        l1 = vaddq_f32(l1, e1);
    }
    /* horizontal sum of 4 lanes */
    return vaddvq_f32(vaddq_f32(l0, l1));
}

/* The streamed-decode kernels: portable C (flash_rows_c.c) */
#define FLASH_QK_ROWS flash_qk_rows_c
#define FLASH_PV_ROWS flash_pv_rows_c

/* bf16 and fp16 inputs: widened in registers (flash_lowp_neon.c) */
#define FLASH_LOWP (&flash_lowp_neon)

#endif
