/*
 * The converting table flash_lowp_avx512 (flash_lowp.h): the streamed
 * flash decode's two matrix-vector kernels on bf16 and fp16 K and V rows
 * in place, widened in AVX-512 registers, named by the tables of
 * flash_avx512 and flash_avx512bf16. Their fp32 kernels stay
 * flash_stream_avx2.c's (AVX-512 kernels on fp32 rows measured no faster:
 * docs/decode.md), and these kernels give that table's bits:
 *   Q K^T: 4 query rows x 8 keys; each zmm accumulator holds two keys,
 *          one per 256-bit half, each half summing 8 head dims at a time
 *          as flash_qk_rows_avx2's ymm accumulator does (per 8 head dims
 *          4 loads of two keys' K and 4 of Q feed 16 FMAs), reduced by the
 *          same tree (mha_sum8_m256) and multiplied by scale: a score is
 *          bit for bit flash_qk_rows_avx2's on the widened rows.
 *   P V:   4 query rows x 64 head dims, 2 rows x 128, 1 row x 128 (at most
 *          16 accumulators); per key the tile's V loads and one broadcast
 *          of P per row feed the FMAs; head dims past the wide tiles go 16
 *          at a time. Each output element is summed in key order from
 *          alpha * o, as in flash_pv_rows_avx2.h: the same bits.
 * Lanes past Dh are never read (a tail of K or V is copied into a zeroed
 * buffer, Q's is a masked load) and count as 0.
 */
#include <string.h>

#include "../vec/f32v_avx512.h"
#include "../vec/sum8_m256.h"
#include "flash_kernels.h"
#include "flash_lowp.h"

/* The tile helpers take their shape as arguments: inlined where it is a constant, their loops unroll and
 * their accumulator arrays live in registers. */
#define KV_INLINE static inline __attribute__((always_inline))

/* 16 bf16 or fp16 values as floats (exact): a bf16 value is the high half of its fp32 value */
KV_INLINE __m512 widen16(__m256i x, mha_dtype dtype)
{
    if (dtype == MHA_BF16)
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(x), 16));
    return _mm512_cvtph_ps(x);
}

/* Elements [i, i + n) of a row of dtype at p as floats, n <= 16, lanes >= n zero and not read (a tail is
 * copied into a zeroed buffer first) */
KV_INLINE __m512 kv_load(const void *p, int64_t i, int n, mha_dtype dtype)
{
    const uint16_t *h = (const uint16_t *)p + i;
    if (n == 16)
        return widen16(_mm256_loadu_si256((const __m256i *)(const void *)h), dtype);
    uint16_t buf[16] = {0};
    memcpy(buf, h, (size_t)n * sizeof *buf);
    return widen16(_mm256_loadu_si256((const __m256i *)(const void *)buf), dtype);
}

/* Elements [d, d + n) of rows a (lanes 0 - 7) and b (lanes 8 - 15), n <= 8, lanes past n zero and not read */
KV_INLINE __m512 kv_load_pair(const uint16_t *a, const uint16_t *b, int64_t d, int n, mha_dtype dtype)
{
    if (n == 8) {
        const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(a + d));
        const __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(b + d));
        return widen16(_mm256_inserti128_si256(_mm256_castsi128_si256(x), y, 1), dtype);
    }
    uint16_t buf[16] = {0};
    memcpy(buf, a + d, (size_t)n * sizeof *buf);
    memcpy(buf + 8, b + d, (size_t)n * sizeof *buf);
    return widen16(_mm256_loadu_si256((const __m256i *)(const void *)buf), dtype);
}

/* 8 head dims d of the tile: a[r][x] += (q_r[d .. d+n), q_r[d .. d+n)) * (k_2x[d .. d+n), k_2x+1[d .. d+n)):
 * each 256-bit half is flash_qk_rows_avx2's accumulator of one (row, key) */
KV_INLINE void qk_step(int rows, int pairs, __m512 a[4][4], const float *const q[4], const uint16_t *const k[8],
                       int64_t d, int n, mha_dtype dtype)
{
    __m512 y[4];
    for (int x = 0; x < pairs; x++)
        y[x] = kv_load_pair(k[2 * x], k[2 * x + 1], d, n, dtype);
    for (int r = 0; r < rows; r++) {
        /* q_r[d .. d+n) in both halves */
        __m512 qr;
        if (n == 8) {
            qr = _mm512_broadcast_f32x8(_mm256_loadu_ps(q[r] + d));
        } else {
            const __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
            const __m256 q8 = _mm256_maskload_ps(q[r] + d, lanes);
            qr = _mm512_insertf32x8(_mm512_castps256_ps512(q8), q8, 1);
        }
        for (int x = 0; x < pairs; x++)
            a[r][x] = _mm512_fmadd_ps(qr, y[x], a[r][x]);
    }
}

/* One tile: s[r][x] = scale * <q_r, k_x>, r < rows, x < 2 * pairs (rows x pairs <= 16); keys past nk are computed
 * from the last key and not stored; a line of pf requested per 8 head dims (pf NULL: none, no test). Per (row,
 * key) the accumulation, the reduction (mha_sum8_m256) and the product with scale of flash_qk_rows_avx2. */
KV_INLINE void qk_tile(int rows, int pairs, const float *const q[4], const uint16_t *k, int64_t ldk, int nk,
                       int64_t dh, float scale, float *s, int64_t lds, mha_dtype dtype, flash_prefetch *pf)
{
    const uint16_t *kx[8];
    __m512 a[4][4];
    for (int x = 0; x < 2 * pairs; x++)
        kx[x] = k + (x < nk ? x : nk - 1) * ldk;
    for (int r = 0; r < rows; r++)
        for (int x = 0; x < pairs; x++)
            a[r][x] = _mm512_setzero_ps();
    const int64_t dv = dh & ~(int64_t)7;
    FLASH_UNROLL4
    for (int64_t d = 0; d < dv; d += 8) {
        flash_prefetch_line(pf);
        qk_step(rows, pairs, a, q, kx, d, 8, dtype);
    }
    if (dv < dh) {
        flash_prefetch_line(pf);
        qk_step(rows, pairs, a, q, kx, dv, (int)(dh - dv), dtype);
    }
    /* s[r][x] = scale * (sum of the 8 lanes of the half of a[r][x / 2]), 8 keys per tree */
    const __m256 sc = _mm256_set1_ps(scale);
    for (int r = 0; r < rows; r++)
        for (int x0 = 0; x0 < 2 * pairs; x0 += 8) {
            __m256 h[8];
            float t[8];
            for (int i = 0; i < 8; i++) {
                const __m512 v = a[r][(x0 + i) / 2 < pairs ? (x0 + i) / 2 : 0];
                h[i] = (x0 + i) % 2 ? _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))
                                    : _mm512_castps512_ps256(v);
            }
            _mm256_storeu_ps(t, _mm256_mul_ps(sc, mha_sum8_m256(h)));
            for (int i = 0; i < 8 && x0 + i < 2 * pairs && x0 + i < nk; i++)
                s[r * lds + x0 + i] = t[i];
        }
}

/* s[r][j] = scale * sum_d q[r][d] * k[j][d], r < nr (q rows ldq apart), j < nk (k rows ldk elements apart):
 * 4 rows x 8 keys (16 accumulators), then 2 rows x 8 keys, then 1 x 8 */
KV_INLINE void qk_rows_with(const float *q, int64_t ldq, int nr, const uint16_t *k, int64_t ldk, int nk, int64_t dh,
                            float scale, float *s, int64_t lds, mha_dtype dtype, flash_prefetch *pf)
{
    int r = 0;
    for (; r + 4 <= nr; r += 4) {
        const float *qr[4] = {q + r * ldq, q + (r + 1) * ldq, q + (r + 2) * ldq, q + (r + 3) * ldq};
        for (int j = 0; j < nk; j += 8)
            qk_tile(4, 4, qr, k + j * ldk, ldk, nk - j, dh, scale, s + r * lds + j, lds, dtype, pf);
    }
    if (r + 2 <= nr) {
        const float *qr[4] = {q + r * ldq, q + (r + 1) * ldq};
        for (int j = 0; j < nk; j += 8)
            qk_tile(2, 4, qr, k + j * ldk, ldk, nk - j, dh, scale, s + r * lds + j, lds, dtype, pf);
        r += 2;
    }
    if (r < nr) {
        const float *qr[4] = {q + r * ldq};
        for (int j = 0; j < nk; j += 8)
            qk_tile(1, 4, qr, k + j * ldk, ldk, nk - j, dh, scale, s + r * lds + j, lds, dtype, pf);
    }
}

/* qk_rows_with, its copy without a prefetch test where the cursor is empty */
KV_INLINE void qk_rows(const float *q, int64_t ldq, int nr, const void *k, int64_t ldk, int nk, int64_t dh,
                       float scale, float *s, int64_t lds, mha_dtype dtype, flash_prefetch *pf)
{
    FLASH_WITH_PREFETCH(qk_rows_with, pf, q, ldq, nr, k, ldk, nk, dh, scale, s, lds, dtype);
}

/* c[r][u] += p[r][j] * v[j][d + 16u ..] for j < n; full: every lane of the tile is before dh (a constant where
 * inlined, so the loop holds no tail code), else vector u reads left[u] lanes; a line of pf requested per key
 * (pf NULL: none, no test) */
KV_INLINE void pv_keys(int rows, int vecs, int full, __m512 c[4][8], const float *p, int64_t ldp, const void *v,
                       int64_t ldv, int n, int64_t d, const int left[8], mha_dtype dtype, flash_prefetch *pf)
{
    FLASH_UNROLL4
    for (int j = 0; j < n; j++) {
        flash_prefetch_line(pf);
        __m512 y[8];
        for (int u = 0; u < vecs; u++)
            y[u] = kv_load(v, j * ldv + d + 16 * u, full ? 16 : left[u], dtype);
        for (int r = 0; r < rows; r++) {
            const __m512 b = _mm512_set1_ps(p[r * ldp + j]);
            for (int u = 0; u < vecs; u++)
                c[r][u] = _mm512_fmadd_ps(b, y[u], c[r][u]);
        }
    }
}

/* rows x vecs vectors of o from column d on (rows x vecs <= 16): c = alpha * o (when rescale)
 * + sum_{j<n} p[r][j] * v[j][d ..]; lanes at or past dh read as zero V lanes */
KV_INLINE void pv_tile(int rows, int vecs, const float *p, int64_t ldp, const void *v, int64_t ldv, int n,
                       int64_t dh, const float *alpha, int rescale, float *o, int64_t ldo, int64_t d, mha_dtype dtype,
                       flash_prefetch *pf)
{
    __m512 c[4][8];
    int left[8]; /* V lanes of vector u before dh */
    for (int u = 0; u < vecs; u++) {
        const int64_t l = dh - d - 16 * u;
        left[u] = l < 0 ? 0 : l > 16 ? 16 : (int)l;
    }
    for (int r = 0; r < rows; r++) {
        /* c[r] = alpha[r] * o[r] */
        const __m512 e = _mm512_set1_ps(alpha[r]);
        for (int u = 0; u < vecs; u++) {
            c[r][u] = _mm512_loadu_ps(o + r * ldo + d + 16 * u);
            if (rescale)
                c[r][u] = _mm512_mul_ps(e, c[r][u]);
        }
    }
    if (d + 16 * vecs <= dh)
        pv_keys(rows, vecs, 1, c, p, ldp, v, ldv, n, d, left, dtype, pf);
    else
        pv_keys(rows, vecs, 0, c, p, ldp, v, ldv, n, d, left, dtype, pf);
    for (int r = 0; r < rows; r++)
        for (int u = 0; u < vecs; u++)
            _mm512_storeu_ps(o + r * ldo + d + 16 * u, c[r][u]);
}

/* Every column of `rows` rows (4, 2 or 1): tiles of 4 vectors (4 rows) or 8 while they fit in dh rounded up
 * to 16, then tiles of 1 vector (16 columns) */
KV_INLINE void pv_rows_of(int rows, const float *p, int64_t ldp, const void *v, int64_t ldv, int n, int64_t dh,
                          const float *alpha, int rescale, float *o, int64_t ldo, mha_dtype dtype, flash_prefetch *pf)
{
    const int vecs = rows == 4 ? 4 : 8;
    const int64_t dp = (dh + 15) & ~(int64_t)15;
    int64_t d = 0;
    for (; d + 16 * vecs <= dp; d += 16 * vecs)
        pv_tile(rows, vecs, p, ldp, v, ldv, n, dh, alpha, rescale, o, ldo, d, dtype, pf);
    for (; d < dp; d += 16)
        pv_tile(rows, 1, p, ldp, v, ldv, n, dh, alpha, rescale, o, ldo, d, dtype, pf);
}

/* pv_rows_with and pv_rows: query rows 4, 2, then 1 at a time. o holds Dh rounded up to 16 columns; columns
 * past Dh meet zero V lanes. Each output element is summed in key order from alpha * o whatever tile computes
 * it. */
#include "flash_pv_rows_order.h"

/* dst[i] = src[i] widened, i < n */
KV_INLINE void widen(float *dst, const void *src, int64_t n, mha_dtype dtype)
{
    for (int64_t i = 0; i < n; i += 16) {
        const int w = n - i < 16 ? (int)(n - i) : 16;
        _mm512_mask_storeu_ps(dst + i, f32v_avx512_tail_mask(w), kv_load(src, i, w, dtype));
    }
}

/* Prefill packing of bf16 and fp16 K: flash_lowp_avx2.c's (AVX2 8 x 8 transposes, which this file's flags
 * include). */
FLASH_LOWP_TABLE_WITH_PV(flash_lowp_avx512, widen, qk_rows, pv_rows, flash_lp_pack_k_avx2);
