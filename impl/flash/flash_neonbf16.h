/*
 * flash_neonbf16's microkernels: Q K^T and P V with BFDOT (FEAT_BF16,
 * vbfdotq_f32), which multiplies pairs of bf16 and adds both products to
 * an fp32 lane; pairs and packed layouts as flash_bf16_tmpl.h states.
 * P is rounded to bf16 with BFCVTN (nearest even, as FPCR's default mode).
 *
 * Register tile (as flash_neon's, in 24 of the 32 vector registers):
 *   Q K^T: 6 query rows x 16 keys; per pair of head dims, four loads of the
 *          packed K strip and 6 broadcasts of a Q pair feed 24 BFDOT
 *          (8 multiply-adds each: twice an fp32 FMLA's 4).
 *   P V:   6 query rows x 16 head dims; per pair of keys, four loads of the
 *          packed V strip and 6 broadcasts of a P pair feed 24 BFDOT.
 *
 * BFDOT's arithmetic (Arm ARM, BFDotAdd, with FPCR.EBF = 0 as Linux
 * leaves it): the two products (exact: 8-bit significands) are added and
 * the sum is added to the lane, each addition rounded to odd, with input
 * and output denormals flushed to zero; FPCR is otherwise ignored. Round
 * to odd errs by less than 1 ulp (2^-23 relative), twice nearest even's
 * bound: the accumulations of Q K^T and P V have twice fp32's unit
 * roundoff, half as many roundings (one per pair plus one per pair sum),
 * so the same error bound as fp32 FMAs over the same sum.
 */
#ifndef MHA_FLASH_NEONBF16_H
#define MHA_FLASH_NEONBF16_H

#include "flash_bf16_pairs.h"
#include "flash_neon.h" /* FLASH_MR/NR/DR = 6/16/16, flash_row_max, flash_row_exp_sum */

#include <arm_neon.h>

/* 4 bf16 pairs (32-bit words) at p, any alignment of 2 bytes */
static inline uint32x4_t bf16_load_words(const void *p)
{
    return vreinterpretq_u32_u16(vld1q_u16((const uint16_t *)p));
}

/* kp[t][j] = pair t of rows[j] for j < nk, 0 for nk <= j < 16: 4 keys x 4 pairs through 4x4
 * transposes of 32-bit words, scalar code for the edges */
static inline void bf16_pack_k_strip(const uint16_t *const *rows, int nk, int64_t dh, uint32_t *kp)
{
    const int64_t pairs = (dh + 1) / 2, whole = dh / 2;
    for (int h = 0; h < FLASH_NR; h += 4) {
        int64_t t = 0;
        if (h + 4 <= nk) {
            for (; t + 4 <= whole; t += 4) {
                uint32x4_t r[4] = {bf16_load_words(rows[h] + 2 * t), bf16_load_words(rows[h + 1] + 2 * t),
                                   bf16_load_words(rows[h + 2] + 2 * t), bf16_load_words(rows[h + 3] + 2 * t)};
                flash_transpose4_neon(r);
                for (int x = 0; x < 4; x++)
                    vst1q_u32(kp + (t + x) * FLASH_NR + h, r[x]);
            }
        }
        for (; t < pairs; t++)
            for (int j = h; j < h + 4; j++)
                kp[t * FLASH_NR + j] = j < nk ? bf16_row_pair(rows[j], t, dh) : 0;
    }
}

/* vp[u][0..16) for one strip of 16 head dims from d0: (a[d], b[d]) interleaved; b NULL reads as 0,
 * dims >= dh are 0 */
static inline void bf16_pack_v_pair(const uint16_t *a, const uint16_t *b, int64_t d0, int64_t dh, uint32_t *vp)
{
    for (int64_t d = d0; d < d0 + FLASH_DR; d += 8) {
        uint32_t *dst = vp + (d - d0);
        if (b && d + 8 <= dh) {
            const uint16x8_t x = vld1q_u16(a + d), y = vld1q_u16(b + d);
            vst1q_u16((uint16_t *)(void *)dst, vzip1q_u16(x, y));
            vst1q_u16((uint16_t *)(void *)(dst + 4), vzip2q_u16(x, y));
            continue;
        }
        bf16_pair_words(a, b, d, 8, dh, dst);
    }
}

/* The 4-lane BFDOT: acc[i] += a[i].0 * b[i].0 + a[i].1 * b[i].1 (pairs as 32-bit words) */
static inline float32x4_t bf16_dot(float32x4_t acc, uint32x4_t a, uint32x4_t b)
{
    return vbfdotq_f32(acc, vreinterpretq_bf16_u32(a), vreinterpretq_bf16_u32(b));
}

/* s[r][0..16) (+)= sum over nt pairs of qp[r][t] . kp[t][0..16), r < 6; from 0 when first, else from s;
 * times scale when last. The partial sums between chunks are fp32 values, stored and reloaded exactly. */
static inline void bf16_qk_tile(const uint32_t *qp, const uint32_t *kp, int64_t nt, int first, int last, float scale,
                                float *s, int64_t lds)
{
    float32x4_t c[FLASH_MR][4];
    for (int r = 0; r < FLASH_MR; r++)
        for (int x = 0; x < 4; x++)
            c[r][x] = first ? vdupq_n_f32(0.0f) : vld1q_f32(s + r * lds + 4 * x);
    for (int64_t t = 0; t < nt; t++) {
        const uint32x4_t k0 = vld1q_u32(kp + t * FLASH_NR), k1 = vld1q_u32(kp + t * FLASH_NR + 4);
        const uint32x4_t k2 = vld1q_u32(kp + t * FLASH_NR + 8), k3 = vld1q_u32(kp + t * FLASH_NR + 12);
        for (int r = 0; r < FLASH_MR; r++) {
            const uint32x4_t b = vld1q_dup_u32(qp + r * BF16_QCHUNK + t);
            c[r][0] = bf16_dot(c[r][0], k0, b);
            c[r][1] = bf16_dot(c[r][1], k1, b);
            c[r][2] = bf16_dot(c[r][2], k2, b);
            c[r][3] = bf16_dot(c[r][3], k3, b);
        }
    }
    for (int r = 0; r < FLASH_MR; r++)
        for (int x = 0; x < 4; x++)
            vst1q_f32(s + r * lds + 4 * x, last ? vmulq_n_f32(c[r][x], scale) : c[r][x]);
}

/* Row of P (fp32, cols floats, a multiple of 16) rounded to bf16 in place: word u = (p[2u], p[2u+1]).
 * Word u lands at or before float 2u, which is read before it is written. */
static inline void bf16_p_pairs_in_place(float *p, int64_t cols)
{
    for (int64_t j = 0; j < cols; j += 8) {
        const bfloat16x8_t w = vcvtq_high_bf16_f32(vcvtq_low_bf16_f32(vld1q_f32(p + j)), vld1q_f32(p + j + 4));
        vst1q_u16((uint16_t *)(void *)(p + j / 2), vreinterpretq_u16_bf16(w));
    }
}

/* Q pairs of the row tile: the portable bf16_q_pairs */
static inline void bf16_q_pairs_tile(const float *q, int64_t dh, int64_t t0, int64_t nt, uint32_t *qp)
{
    bf16_q_pairs(q, FLASH_MR, dh, t0, nt, qp);
}

/* one P rounded to bf16 as bf16_p_pairs_in_place does (BFCVT) */
static inline uint16_t bf16_round_p(float x)
{
    const bfloat16_t h = vcvth_bf16_f32(x);
    uint16_t bits;
    memcpy(&bits, &h, sizeof bits);
    return bits;
}

/* o[r][0..16) = alpha[r] * o[r] (when rescale) + sum_{u<n2} pp[r][u] . vp[u][0..16), r < 6;
 * pp rows (P pairs) ldp floats apart */
static inline void bf16_pv_tile(const float *pp, int64_t ldp, const uint32_t *vp, int64_t n2, const float *alpha,
                                int rescale, float *o, int64_t ldo)
{
    float32x4_t c[FLASH_MR][4];
    for (int r = 0; r < FLASH_MR; r++)
        for (int x = 0; x < 4; x++) {
            c[r][x] = vld1q_f32(o + r * ldo + 4 * x);
            if (rescale)
                c[r][x] = vmulq_n_f32(c[r][x], alpha[r]);
        }
    for (int64_t u = 0; u < n2; u++) {
        const uint32x4_t v0 = vld1q_u32(vp + u * FLASH_DR), v1 = vld1q_u32(vp + u * FLASH_DR + 4);
        const uint32x4_t v2 = vld1q_u32(vp + u * FLASH_DR + 8), v3 = vld1q_u32(vp + u * FLASH_DR + 12);
        for (int r = 0; r < FLASH_MR; r++) {
            const uint32x4_t b = vdupq_n_u32(bf16_word(pp + r * ldp + u));
            c[r][0] = bf16_dot(c[r][0], v0, b);
            c[r][1] = bf16_dot(c[r][1], v1, b);
            c[r][2] = bf16_dot(c[r][2], v2, b);
            c[r][3] = bf16_dot(c[r][3], v3, b);
        }
    }
    for (int r = 0; r < FLASH_MR; r++)
        for (int x = 0; x < 4; x++)
            vst1q_f32(o + r * ldo + 4 * x, c[r][x]);
}

#endif
