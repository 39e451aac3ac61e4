/*
 * The two matrix-vector kernels of the streamed flash decode
 * (flash_stream.c) with AVX2 + FMA, on K and V rows in place, compiled
 * with the AVX2 flags; the tables of flash_avx2 and flash_avx512 name
 * them. Every K and V element is read through kv_load / kv_load_tail.
 * Rows past Dh are never read: the last partial group of 8 head dims goes
 * through masked loads (f32v_avx2_tail_mask).
 *   Q K^T: query rows two at a time, 2 rows x 4 keys = 8 accumulators (per
 *          8 head dims 2 loads of Q and 4 of K feed 8 FMAs); an odd last
 *          row alone, 1 row x 8 keys = 8 accumulators (1 load of Q, 8 of K).
 *          One hadd tree per tile gives the scores, summed in the same
 *          order by both tiles (sum8_m256.h).
 *   P V:   flash_pv_rows_avx2.h with fp32 loads (flash_lowp_avx2.c uses the
 *          same code on bf16 and fp16 rows).
 * Each score and each output element is summed in the same order whatever
 * tile computes it, so the row count never changes a row's result.
 */
#include "../vec/f32v_avx2.h"
#include "flash_kernels.h"

/* The tile helpers below take their shape (rows, keys, vectors) as arguments: inlined where the shape is a
 * constant, their loops unroll and their accumulator arrays live in registers. */
#define FLASH_INLINE static inline __attribute__((always_inline))

/* 8 consecutive K or V elements as floats */
FLASH_INLINE __m256 kv_load(const float *p)
{
    return _mm256_loadu_ps(p);
}

/* the same for the lanes of mask m, zero elsewhere; lanes outside m are not read */
FLASH_INLINE __m256 kv_load_tail(const float *p, __m256i m)
{
    return _mm256_maskload_ps(p, m);
}

/* 8 head dims d of the rows: a[r][x] += q_r[d..d+8) * k_x[d..d+8), R rows x X keys (R * X = 8) */
FLASH_INLINE void qk_step(int rows, int keys, __m256 a[8], const float *const q[2], const float *const k[8],
                           int64_t d, int tail, __m256i m)
{
    __m256 y[8];
    for (int x = 0; x < keys; x++)
        y[x] = tail ? kv_load_tail(k[x] + d, m) : kv_load(k[x] + d);
    for (int r = 0; r < rows; r++) {
        const __m256 qr = tail ? _mm256_maskload_ps(q[r] + d, m) : _mm256_loadu_ps(q[r] + d);
        for (int x = 0; x < keys; x++)
            a[r * keys + x] = _mm256_fmadd_ps(qr, y[x], a[r * keys + x]);
    }
}

/* One tile: s[r][x] = scale * <q_r, k_x>, rows x keys = 8 (2 x 4 or 1 x 8); keys past nk are
 * computed from the last key and not stored. */
FLASH_INLINE void qk_tile(int rows, int keys, const float *const q[2], const float *k, int64_t ldk, int nk,
                           int64_t dh, float scale, float *s, int64_t lds, flash_prefetch *pf)
{
    const int64_t dv = dh & ~(int64_t)7;
    const __m256i m = f32v_avx2_tail_mask((int)(dh - dv));
    const float *kx[8];
    __m256 a[8];
    for (int x = 0; x < keys; x++)
        kx[x] = k + (x < nk ? x : nk - 1) * ldk;
    for (int i = 0; i < 8; i++)
        a[i] = _mm256_setzero_ps();
    FLASH_UNROLL4
    for (int64_t d = 0; d < dv; d += 8) {
        flash_prefetch_line(pf);
        qk_step(rows, keys, a, q, kx, d, 0, m);
    }
    if (dv < dh) {
        flash_prefetch_line(pf);
        qk_step(rows, keys, a, q, kx, dv, 1, m);
    }
    /* lane i = scale * (sum of the lanes of a[i]); a[r * keys + x]: row r, key x */
    const __m256 t = _mm256_mul_ps(_mm256_set1_ps(scale), mha_sum8_m256(a));
    if (nk >= keys && rows == 1) {
        _mm256_storeu_ps(s, t);
    } else if (nk >= keys) {
        _mm_storeu_ps(s, _mm256_castps256_ps128(t));
        _mm_storeu_ps(s + lds, _mm256_extractf128_ps(t, 1));
    } else {
        float tf[8];
        _mm256_storeu_ps(tf, t);
        for (int r = 0; r < rows; r++)
            for (int x = 0; x < nk; x++)
                s[r * lds + x] = tf[r * keys + x];
    }
}

/* s[r][j] = scale * sum_d q[r][d] * k[j][d],  r < nr (q rows ldq apart), j < nk (k rows ldk apart);
 * a line of pf requested per step of 8 head dims (pf NULL: none, and no test in the inlined copy) */
FLASH_INLINE void qk_rows_with(const float *q, int64_t ldq, int nr, const float *k, int64_t ldk, int nk,
                               int64_t dh, float scale, float *s, int64_t lds, flash_prefetch *pf)
{
    int r = 0;
    for (; r + 2 <= nr; r += 2) {
        const float *qr[2] = {q + r * ldq, q + (r + 1) * ldq};
        for (int j = 0; j < nk; j += 4)
            qk_tile(2, 4, qr, k + j * ldk, ldk, nk - j, dh, scale, s + r * lds + j, lds, pf);
    }
    if (r < nr) {
        const float *qr[2] = {q + r * ldq, q + r * ldq};
        for (int j = 0; j < nk; j += 8)
            qk_tile(1, 8, qr, k + j * ldk, ldk, nk - j, dh, scale, s + r * lds + j, lds, pf);
    }
}

void flash_qk_rows_avx2(const float *q, int64_t ldq, int nr, const float *k, int64_t ldk, int nk, int64_t dh,
                        float scale, float *s, int64_t lds, flash_prefetch *pf)
{
    FLASH_WITH_PREFETCH(qk_rows_with, pf, q, ldq, nr, k, ldk, nk, dh, scale, s, lds);
}

/* P V on fp32 V rows (flash_pv_rows_avx2.h) */
FLASH_INLINE __m256 pv_load(const void *v, int64_t i, mha_dtype dtype)
{
    (void)dtype;
    return kv_load((const float *)v + i);
}

FLASH_INLINE __m256 pv_load_part(const void *v, int64_t i, int n, __m256i m, mha_dtype dtype)
{
    (void)n, (void)dtype;
    return kv_load_tail((const float *)v + i, m);
}

#include "flash_pv_rows_avx2.h"

void flash_pv_rows_avx2(const float *p, int64_t ldp, int nr, const float *v, int64_t ldv, int n, int64_t dh,
                        const float *alpha, int rescale, float *o, int64_t ldo, flash_prefetch *pf)
{
    pv_rows(p, ldp, nr, v, ldv, n, dh, alpha, rescale, o, ldo, MHA_F32, pf);
}
