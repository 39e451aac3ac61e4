/*
 * flash_avx512bf16's microkernels: Q K^T and P V with VDPBF16PS
 * (impl/vec/bf16_avx512.h), which multiplies pairs of bf16 and adds both
 * products to an fp32 lane. The reduction dimension therefore comes in
 * pairs: head dims (d, d+1) for Q K^T, keys (j, j+1) for P V. A pair is
 * one 32-bit word, element 0 in the low half.
 *
 * Register tile (as flash_avx512's, FLASH_MR = 14 rows, 28 accumulators
 * of the 32 zmm registers):
 *   Q K^T: 14 query rows x 32 keys; per pair of head dims, two loads of
 *          the packed K strip and 14 broadcasts of a Q pair feed 28
 *          VDPBF16PS (each twice an fp32 FMA's multiply-adds).
 *   P V:   14 query rows x 32 head dims; per pair of keys, two loads of the
 *          packed V strip and 14 broadcasts of a P pair feed 28 VDPBF16PS.
 * Packed layouts: flash_bf16_tmpl.h.
 */
#ifndef MHA_FLASH_AVX512BF16_H
#define MHA_FLASH_AVX512BF16_H

#include "../vec/bf16_avx512.h"
#include "flash_bf16_pairs.h"
#include "flash_avx512.h" /* f32v (16 lanes), FLASH_MR/NR/DR = 14/32/32, flash_row_max, flash_row_exp_sum */

/* kp[t][j] = pair t of rows[j] for j < nk, 0 for nk <= j < 32: 8 keys x 8 pairs through the
 * AVX2 8x8 transpose (of 32-bit words), scalar code for the edges */
static inline void bf16_pack_k_strip(const uint16_t *const *rows, int nk, int64_t dh, uint32_t *kp)
{
    const int64_t pairs = (dh + 1) / 2, whole = dh / 2;
    for (int h = 0; h < FLASH_NR; h += 8) {
        int64_t t = 0;
        if (h + 8 <= nk) {
            for (; t + 8 <= whole; t += 8) {
                __m256 r[8];
                for (int j = 0; j < 8; j++)
                    r[j] = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)(const void *)(rows[h + j] + 2 * t)));
                flash_transpose8_avx2(r);
                for (int col = 0; col < 8; col++)
                    _mm256_storeu_si256((__m256i *)(void *)(kp + (t + col) * FLASH_NR + h), _mm256_castps_si256(r[col]));
            }
        }
        for (; t < pairs; t++)
            for (int j = h; j < h + 8; j++)
                kp[t * FLASH_NR + j] = j < nk ? bf16_row_pair(rows[j], t, dh) : 0;
    }
}

/* vp[u][0..32) for one strip of 32 head dims from d0: (a[d], b[d]) interleaved; b NULL reads as 0, dims >= dh are 0 */
static inline void bf16_pack_v_pair(const uint16_t *a, const uint16_t *b, int64_t d0, int64_t dh, uint32_t *vp)
{
    for (int64_t d = d0; d < d0 + FLASH_DR; d += 16) {
        uint32_t *dst = vp + (d - d0);
        if (b && d + 16 <= dh) {
            const __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(a + d));
            const __m256i y = _mm256_loadu_si256((const __m256i *)(const void *)(b + d));
            /* per 128-bit lane: x0 y0 x1 y1 ...; lo holds dims 0-3 and 8-11, hi 4-7 and 12-15 */
            const __m256i lo = _mm256_unpacklo_epi16(x, y), hi = _mm256_unpackhi_epi16(x, y);
            _mm256_storeu_si256((__m256i *)(void *)dst, _mm256_permute2x128_si256(lo, hi, 0x20));
            _mm256_storeu_si256((__m256i *)(void *)(dst + 8), _mm256_permute2x128_si256(lo, hi, 0x31));
            continue;
        }
        bf16_pair_words(a, b, d, 16, dh, dst);
    }
}

/* qp[r][t - t0] = (bf16 of q[r][2t], of q[r][2t+1]) for t0 <= t < t0 + nt, r < FLASH_MR (bf16_q_pairs), 16
 * pairs at a time: q holds widened bf16, so rounding to nearest even gives each value's own bf16 (a denormal
 * becomes 0, as VDPBF16PS reads it anyway); dims at or past dh are 0. Words of the last 16 past nt may be
 * written, within the row's BF16_QCHUNK. */
static inline void bf16_q_pairs_tile(const float *q, int64_t dh, int64_t t0, int64_t nt, uint32_t *qp)
{
    for (int r = 0; r < FLASH_MR; r++)
        for (int64_t t = 0; t < nt; t += 16) {
            const float *x = q + r * dh + 2 * (t0 + t);
            const int64_t left = dh - 2 * (t0 + t); /* dims of the row from x on */
            const __m512 lo = _mm512_maskz_loadu_ps(f32v_avx512_tail_mask((int)(left < 16 ? left : 16)), x);
            const __m512 hi = _mm512_maskz_loadu_ps(f32v_avx512_tail_mask((int)(left - 16 < 16 ? left - 16 : 16)), x + 16);
            _mm512_storeu_si512(qp + r * BF16_QCHUNK + t, mha_cvt2_bf16(hi, lo));
        }
}

/* s[r][0..32) (+)= sum over nt pairs of qp[r][t] . kp[t][0..32), r < FLASH_MR; from 0 when first, else from s;
 * times scale when last. The partial sums between chunks are fp32 values, stored and reloaded exactly. */
static inline void bf16_qk_tile(const uint32_t *qp, const uint32_t *kp, int64_t nt, int first, int last, float scale,
                                float *s, int64_t lds)
{
    __m512 c[FLASH_MR][2];
    for (int r = 0; r < FLASH_MR; r++) {
        c[r][0] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(s + r * lds);
        c[r][1] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(s + r * lds + 16);
    }
    for (int64_t t = 0; t < nt; t++) {
        const __m512i k0 = _mm512_loadu_si512(kp + t * FLASH_NR), k1 = _mm512_loadu_si512(kp + t * FLASH_NR + 16);
        for (int r = 0; r < FLASH_MR; r++) {
            const __m512i b = _mm512_set1_epi32((int)qp[r * BF16_QCHUNK + t]);
            c[r][0] = mha_dpbf16(c[r][0], b, k0);
            c[r][1] = mha_dpbf16(c[r][1], b, k1);
        }
    }
    const __m512 sc = _mm512_set1_ps(last ? scale : 1.0f);
    for (int r = 0; r < FLASH_MR; r++) {
        _mm512_storeu_ps(s + r * lds, last ? _mm512_mul_ps(sc, c[r][0]) : c[r][0]);
        _mm512_storeu_ps(s + r * lds + 16, last ? _mm512_mul_ps(sc, c[r][1]) : c[r][1]);
    }
}

/* Row of P (fp32, cols floats, a multiple of 32) rounded to bf16 in place: word u = (p[2u], p[2u+1]).
 * Word u lands at or before float 2u, which is read before it is written. */
static inline void bf16_p_pairs_in_place(float *p, int64_t cols)
{
    for (int64_t j = 0; j < cols; j += 32) {
        const __m512i w = mha_cvt2_bf16(_mm512_loadu_ps(p + j + 16), _mm512_loadu_ps(p + j));
        _mm512_storeu_si512((void *)(p + j / 2), w);
    }
}

/* o[r][0..32) = alpha[r] * o[r] (when rescale) + sum_{u<n2} pp[r][u] . vp[u][0..32), r < FLASH_MR;
 * pp rows (P pairs) ldp floats apart */
static inline void bf16_pv_tile(const float *pp, int64_t ldp, const uint32_t *vp, int64_t n2, const float *alpha,
                                int rescale, float *o, int64_t ldo)
{
    __m512 c[FLASH_MR][2];
    for (int r = 0; r < FLASH_MR; r++) {
        c[r][0] = _mm512_loadu_ps(o + r * ldo);
        c[r][1] = _mm512_loadu_ps(o + r * ldo + 16);
        if (rescale) {
            const __m512 a = _mm512_set1_ps(alpha[r]);
            c[r][0] = _mm512_mul_ps(a, c[r][0]);
            c[r][1] = _mm512_mul_ps(a, c[r][1]);
        }
    }
    for (int64_t u = 0; u < n2; u++) {
        const __m512i v0 = _mm512_loadu_si512(vp + u * FLASH_DR), v1 = _mm512_loadu_si512(vp + u * FLASH_DR + 16);
        for (int r = 0; r < FLASH_MR; r++) {
            const __m512i b = _mm512_set1_epi32((int)bf16_word(pp + r * ldp + u));
            c[r][0] = mha_dpbf16(c[r][0], b, v0);
            c[r][1] = mha_dpbf16(c[r][1], b, v1);
        }
    }
    for (int r = 0; r < FLASH_MR; r++) {
        _mm512_storeu_ps(o + r * ldo, c[r][0]);
        _mm512_storeu_ps(o + r * ldo + 16, c[r][1]);
    }
}

/* one P rounded to bf16 as VCVTNE2PS2BF16 does (bf16_p_pairs_in_place) */
static inline uint16_t bf16_round_p(float x)
{
    return mha_bf16m_round(x);
}

#endif
