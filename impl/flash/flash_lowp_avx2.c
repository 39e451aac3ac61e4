/*
 * The converting layer's kernels with AVX2 + F16C (flash_lowp.h), named
 * by the tables of flash_avx2 and flash_avx512 (both need AVX2 + FMA +
 * F16C). Widening 8 elements: bf16 is each 16-bit value placed in the
 * high half of a 32-bit lane (one in-lane byte shuffle, vpshufb); fp16 is
 * vcvtph2ps. Both are exact.
 *
 * qk_rows (the scores of a written P, flash_probs.c) computes what
 * flash_stream_avx2.c's does with the K loads widened: the same
 * accumulation per score, the same order of operations and the same
 * reduction tree, so a score on bf16 or fp16 rows is bit for bit the fp32
 * kernel's on the widened rows. It takes four query rows per pass (the
 * fp32 kernel two), so each K vector is widened once for four rows. A
 * last partial group of 8 head dims is copied into a zeroed buffer first
 * (AVX2 has no 16-bit masked load); lanes past Dh are 0, as the fp32
 * kernel's masked loads give.
 */
#include <immintrin.h>
#include <string.h>

#include "../core/dtype_convert.h"
#include "flash_ctx.h"
#include "flash_lowp.h"
#include "flash_pack_avx2.h"
#include "../vec/f32v_avx2.h"

#define LP_INLINE static inline __attribute__((always_inline))

/* 8 elements of dtype at p, widened. bf16: element i goes to the high half of 32-bit lane i, the low
 * half is zero (the bits of the fp32 value); the 16 bytes are broadcast to both 128-bit halves and
 * one in-lane byte shuffle places them, so no lane-crossing shuffle is needed. */
LP_INLINE __m256 lp_load8(const uint16_t *p, mha_dtype dtype)
{
    const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    if (dtype == MHA_BF16) {
        /* lane i (i < 4: bytes 2i, 2i + 1 of the low half; i >= 4: of the high half) <- x[i] << 16 */
        const __m256i place = _mm256_setr_epi8(-1, -1, 0, 1, -1, -1, 2, 3, -1, -1, 4, 5, -1, -1, 6, 7, -1, -1, 8, 9,
                                               -1, -1, 10, 11, -1, -1, 12, 13, -1, -1, 14, 15);
        return _mm256_castsi256_ps(_mm256_shuffle_epi8(_mm256_broadcastsi128_si256(x), place));
    }
    return _mm256_cvtph_ps(x);
}

/* n < 8 elements of dtype at p, widened; lanes >= n are 0 and p[n..] is not read */
LP_INLINE __m256 lp_load_tail(const uint16_t *p, int n, mha_dtype dtype)
{
    uint16_t buf[8] = {0};
    memcpy(buf, p, (size_t)(n > 0 ? n : 0) * sizeof *buf);
    return lp_load8(buf, dtype);
}

LP_INLINE void widen(float *dst, const void *src, int64_t n, mha_dtype dtype)
{
    const uint16_t *x = src;
    int64_t i = 0;
    FLASH_UNROLL4
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, lp_load8(x + i, dtype));
    for (; i < n; i++)
        dst[i] = flash_lp_widen1(x + i, dtype);
}

/* flash_pack_avx2.h's loads for rows of uint16_t (rows: const uint16_t *const *) */
LP_INLINE __m256 pack_load8_bf16(const void *rows, int j, int64_t d)
{
    return lp_load8(((const uint16_t *const *)rows)[j] + d, MHA_BF16);
}

LP_INLINE __m256 pack_load8_f16(const void *rows, int j, int64_t d)
{
    return lp_load8(((const uint16_t *const *)rows)[j] + d, MHA_F16);
}

LP_INLINE float pack_load1_bf16(const void *rows, int j, int64_t d)
{
    return flash_lp_widen1(((const uint16_t *const *)rows)[j] + d, MHA_BF16);
}

LP_INLINE float pack_load1_f16(const void *rows, int j, int64_t d)
{
    return flash_lp_widen1(((const uint16_t *const *)rows)[j] + d, MHA_F16);
}

/* K[k0 .. k0+n) of the call's dtype as [n/nr strips][Dh][nr] (keys past n zero), widened as it is
 * transposed (flash_pack_strip_avx2_with); flash_lowp_avx512 names it too */
void flash_lp_pack_k_avx2(flash_ctx *c, int64_t k0, int64_t n, int nr)
{
    const mha_args *a = c->a;
    const mha_dtype dtype = a->dtype;
    const int64_t dh = a->shape.head_dim;
    const uint16_t *rows[64]; /* nr <= 64 (flash_avx512: 32) */
    for (int64_t j0 = 0; j0 < n; j0 += nr) {
        float *k = c->k_pack + j0 * dh;
        const int nk = n - j0 < nr ? (int)(n - j0) : nr;
        for (int jj = 0; jj < nk; jj++)
            rows[jj] = flash_lp_row(a->k, a->k_strides, c->b, k0 + j0 + jj, c->g, dtype);
        if (dtype == MHA_BF16)
            flash_pack_strip_avx2_with(rows, nk, dh, k, nr, pack_load8_bf16, pack_load1_bf16);
        else
            flash_pack_strip_avx2_with(rows, nk, dh, k, nr, pack_load8_f16, pack_load1_f16);
    }
}

/* The 8 accumulators of 4 rows x 2 keys, as named members: an array indexed in loops would be kept in
 * memory (GCC scalarizes it only after the loops are unrolled). */
typedef struct qk_acc4x2 {
    __m256 r0k0, r0k1, r1k0, r1k1, r2k0, r2k1, r3k0, r3k1;
} qk_acc4x2;

/* x += q_i[d..d+8) * (y0, y1) for the 4 rows i; lanes of q outside mask m read as 0 when masked */
LP_INLINE void qk_step4x2(qk_acc4x2 *x, const float *const qr[4], int64_t d, __m256 y0, __m256 y1, int masked,
                          __m256i m)
{
#define LP_LOAD_Q(i) (masked ? _mm256_maskload_ps(qr[i] + d, m) : _mm256_loadu_ps(qr[i] + d))
    __m256 q = LP_LOAD_Q(0);
    x->r0k0 = _mm256_fmadd_ps(q, y0, x->r0k0);
    x->r0k1 = _mm256_fmadd_ps(q, y1, x->r0k1);
    q = LP_LOAD_Q(1);
    x->r1k0 = _mm256_fmadd_ps(q, y0, x->r1k0);
    x->r1k1 = _mm256_fmadd_ps(q, y1, x->r1k1);
    q = LP_LOAD_Q(2);
    x->r2k0 = _mm256_fmadd_ps(q, y0, x->r2k0);
    x->r2k1 = _mm256_fmadd_ps(q, y1, x->r2k1);
    q = LP_LOAD_Q(3);
    x->r3k0 = _mm256_fmadd_ps(q, y0, x->r3k0);
    x->r3k1 = _mm256_fmadd_ps(q, y1, x->r3k1);
#undef LP_LOAD_Q
}

/* acc[i][x] = sum over d of q_i[d] * k_x[d] as 8 lanes, for the 4 rows i and the keys k_0, k_1: the
 * fp32 kernel's accumulation per (row, key), 8 head dims at a time, the last partial 8 zero-padded */
LP_INLINE void qk_acc(const float *const qr[4], const uint16_t *k0, const uint16_t *k1, int64_t dh,
                      __m256 acc[4][2], mha_dtype dtype, flash_prefetch *pf)
{
    const int64_t dv = dh & ~(int64_t)7;
    const int t = (int)(dh - dv);
    const __m256i tail = f32v_avx2_tail_mask(t);
    const __m256 z = _mm256_setzero_ps();
    qk_acc4x2 x = {z, z, z, z, z, z, z, z};
    for (int64_t d = 0; d < dv; d += 8) {
        flash_prefetch_line(pf);
        qk_step4x2(&x, qr, d, lp_load8(k0 + d, dtype), lp_load8(k1 + d, dtype), 0, tail);
    }
    if (t) {
        flash_prefetch_line(pf);
        qk_step4x2(&x, qr, dv, lp_load_tail(k0 + dv, t, dtype), lp_load_tail(k1 + dv, t, dtype), 1, tail);
    }
    acc[0][0] = x.r0k0, acc[0][1] = x.r0k1, acc[1][0] = x.r1k0, acc[1][1] = x.r1k1;
    acc[2][0] = x.r2k0, acc[2][1] = x.r2k1, acc[3][0] = x.r3k0, acc[3][1] = x.r3k1;
}

/*
 * flash_qk_rows_avx2 with K rows of dtype, the same bits: per (row, key)
 * the same accumulation, the same reduction (mha_sum8_m256's order,
 * ((h0 + h1) + (h2 + h3)) + ((h4 + h5) + (h6 + h7)) over the 8 lanes: the
 * hadd tree for keys in whole groups of 4 from key 0, mha_sum8_m256 itself
 * for the rest) and one multiply
 * by scale. Four query rows share each widened K vector (the fp32 kernel
 * takes two rows a pass), so K is widened once per four rows; a group of
 * 4 keys runs as two passes of 2 keys (8 accumulators).
 */
LP_INLINE void qk_rows_with(const float *q, int64_t ldq, int nr, const uint16_t *k, int64_t ldk, int nk, int64_t dh,
                            float scale, float *s, int64_t lds, mha_dtype dtype, flash_prefetch *pf)
{
    const __m128 sc = _mm_set1_ps(scale);
    for (int r0 = 0; r0 < nr; r0 += 4) {
        /* rows past nr repeat the last row (computed, not stored) */
        const float *qr[4];
        for (int i = 0; i < 4; i++)
            qr[i] = q + (r0 + i < nr ? r0 + i : nr - 1) * ldq;
        const int rows = nr - r0 < 4 ? nr - r0 : 4;
        int j = 0;
        for (; j + 4 <= nk; j += 4) {
            __m256 acc[4][2], t01[4];
            qk_acc(qr, k + j * ldk, k + (j + 1) * ldk, dh, acc, dtype, pf);
            /* the hadd tree of flash_qk_rows_avx2: (keys 0, 1), (keys 2, 3), then the two 128-bit halves */
            for (int i = 0; i < 4; i++)
                t01[i] = _mm256_hadd_ps(acc[i][0], acc[i][1]);
            qk_acc(qr, k + (j + 2) * ldk, k + (j + 3) * ldk, dh, acc, dtype, pf);
            for (int i = 0; i < rows; i++) {
                const __m256 u = _mm256_hadd_ps(t01[i], _mm256_hadd_ps(acc[i][0], acc[i][1]));
                const __m128 sum = _mm_add_ps(_mm256_castps256_ps128(u), _mm256_extractf128_ps(u, 1));
                _mm_storeu_ps(s + (r0 + i) * lds + j, _mm_mul_ps(sc, sum));
            }
        }
        /* the last 1 - 3 keys two at a time; an odd last key is its own pair (the second copy not stored) */
        for (; j < nk; j += 2) {
            __m256 acc[4][2];
            const int pair = j + 1 < nk;
            qk_acc(qr, k + j * ldk, k + (j + pair) * ldk, dh, acc, dtype, pf);
            for (int i = 0; i < rows; i++)
                for (int x = 0; x <= pair; x++) {
                    const __m256 one[8] = {acc[i][x]}; /* lane 0 of the result sums acc[i][x]'s lanes */
                    s[(r0 + i) * lds + j + x] = scale * _mm256_cvtss_f32(mha_sum8_m256(one));
                }
        }
    }
}

/* qk_rows_with, its copy without a prefetch test where the cursor is empty */
LP_INLINE void qk_rows(const float *q, int64_t ldq, int nr, const uint16_t *k, int64_t ldk, int nk, int64_t dh,
                       float scale, float *s, int64_t lds, mha_dtype dtype, flash_prefetch *pf)
{
    FLASH_WITH_PREFETCH(qk_rows_with, pf, q, ldq, nr, k, ldk, nk, dh, scale, s, lds, dtype);
}

/* P V on bf16 and fp16 V rows (flash_pv_rows_avx2.h), widened in registers */
LP_INLINE __m256 pv_load(const void *v, int64_t i, mha_dtype dtype)
{
    return lp_load8((const uint16_t *)v + i, dtype);
}

LP_INLINE __m256 pv_load_part(const void *v, int64_t i, int n, __m256i m, mha_dtype dtype)
{
    (void)m;
    return lp_load_tail((const uint16_t *)v + i, n, dtype);
}

#include "flash_pv_rows_avx2.h"

FLASH_LOWP_TABLE_WITH_PV(flash_lowp_avx2, widen, qk_rows, pv_rows, flash_lp_pack_k_avx2);
