/*
 * Portable helpers of the bf16 pair kernels (flash_avx512bf16.h,
 * flash_neonbf16.h): their dot-product instructions (VDPBF16PS, BFDOT)
 * multiply pairs of bf16 and add both products to one fp32 lane, so the
 * reduction dimension comes in pairs. A pair is one 32-bit word, element
 * 0 in the low half.
 */
#ifndef MHA_FLASH_BF16_PAIRS_H
#define MHA_FLASH_BF16_PAIRS_H

#include <stdint.h>
#include <string.h>

/* Q pairs per chunk of the Q K^T loop (the Q tile's pairs live on the stack). */
#define BF16_QCHUNK 128

/* the 32-bit word at p (any effective type) */
static inline uint32_t bf16_word(const void *p)
{
    uint32_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* (row[2t], row[2t+1]) of a bf16 row of dh elements; 0 past dh */
static inline uint32_t bf16_row_pair(const uint16_t *row, int64_t t, int64_t dh)
{
    const uint32_t hi = 2 * t + 1 < dh ? row[2 * t + 1] : 0;
    return row[2 * t] | hi << 16;
}

/* dst[e] = (a[d + e], b[d + e]) for e < n: element d + e of two V rows as a key pair; b NULL reads
 * as 0, elements at or past dh are 0 */
static inline void bf16_pair_words(const uint16_t *a, const uint16_t *b, int64_t d, int n, int64_t dh, uint32_t *dst)
{
    for (int e = 0; e < n; e++) {
        const uint32_t x = d + e < dh ? a[d + e] : 0, y = b && d + e < dh ? b[d + e] : 0;
        dst[e] = x | y << 16;
    }
}

/* qp[r][t - t0] = (bf16 of q[r][2t], of q[r][2t+1]) for t0 <= t < t0 + nt, r < mr. q holds widened
 * bf16 values, so the bf16 is the upper half of each float (exact). */
static inline void bf16_q_pairs(const float *q, int mr, int64_t dh, int64_t t0, int64_t nt, uint32_t *qp)
{
    for (int r = 0; r < mr; r++) {
        const float *row = q + r * dh;
        for (int64_t t = t0; t < t0 + nt; t++) {
            const uint32_t lo = bf16_word(row + 2 * t) >> 16;
            const uint32_t hi = 2 * t + 1 < dh ? bf16_word(row + 2 * t + 1) & 0xffff0000u : 0;
            qp[r * BF16_QCHUNK + (t - t0)] = lo | hi;
        }
    }
}

/* A bf16 pair-dot variant's microkernels (flash_bf16_tmpl.h states them), for tests/checkasm;
 * the variant's loops call the inline functions directly. */
typedef struct flash_bf16_kernels {
    int mr, nr, dr;    /* register tile: rows, keys of a K strip, head dims of a V strip */
    int round_to_odd;  /* 1: the dot product rounds to odd (BFDOT), 0: to nearest even (VDPBF16PS) */
    void (*pack_k_strip)(const uint16_t *const *rows, int nk, int64_t dh, uint32_t *kp);
    void (*pack_v_pair)(const uint16_t *a, const uint16_t *b, int64_t d0, int64_t dh, uint32_t *vp);
    void (*qk_tile)(const uint32_t *qp, const uint32_t *kp, int64_t nt, int first, int last, float scale, float *s,
                    int64_t lds);
    void (*p_pairs_in_place)(float *p, int64_t cols);
    void (*pv_tile)(const float *pp, int64_t ldp, const uint32_t *vp, int64_t n2, const float *alpha, int rescale,
                    float *o, int64_t ldo);
} flash_bf16_kernels;

/* The tables (flash_avx512bf16.c, flash_neonbf16.c), where built. */
extern const flash_bf16_kernels flash_bf16_kernels_avx512, flash_bf16_kernels_neon;

#endif
