/*
 * The P V kernel of the streamed flash decode with AVX2 + FMA, for V rows
 * of any storage type. The file that includes this header first defines
 *   __m256 pv_load(const void *v, int64_t i, mha_dtype dtype)
 *       V elements [i, i + 8) of v (element index, not bytes) as floats;
 *   __m256 pv_load_part(const void *v, int64_t i, int n, __m256i m, mha_dtype dtype)
 *       the same for the first n < 8 of them (m: the mask of lanes < n),
 *       zero in the other lanes, nothing past them read;
 * and then has pv_rows(..., dtype, pf): flash_pv_rows_fn's work on V of that
 * dtype, a constant where it is called, so each dtype gets its own code
 * (flash_stream_avx2.c: fp32 rows; flash_lowp_avx2.c: bf16 and fp16 rows
 * widened in registers). Only the loads differ, so P V on bf16 or fp16 rows
 * is bit for bit P V on the widened rows.
 *
 * Query rows four at a time (4 x 16 head dims), then two (2 x 32), then
 * one (1 x 64): 8 accumulators each; per key, the tile's V loads and one
 * broadcast of P per row feed 8 FMAs. Head dims past the wide tiles go 16
 * at a time. Each output element is summed in the same order whatever tile
 * computes it, so the row count never changes a row's result.
 */
#ifndef MHA_FLASH_PV_ROWS_AVX2_H
#define MHA_FLASH_PV_ROWS_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#include "../vec/f32v_avx2.h"
#include "flash_kernels.h"
#include "mha.h"

/* The helpers take their shape (rows, vectors) as arguments: inlined where the shape is a constant, their
 * loops unroll and their accumulator arrays live in registers. */
#define PV_INLINE static inline __attribute__((always_inline))

/* c[r][u] += p[r][j] * v[j][d + 8u ..] for j < n; full: every lane of the tile is before dh (a constant where
 * inlined, so the loop has no per-key test), else vector u reads left[u] lanes; a line of pf requested per key
 * (pf NULL where inlined: none, no test) */
PV_INLINE void pv_keys(int rows, int vecs, int full, __m256 c[8], const float *p, int64_t ldp, const void *v,
                       int64_t ldv, int n, int64_t d, const int left[8], const __m256i m[8], mha_dtype dtype,
                       flash_prefetch *pf)
{
    FLASH_UNROLL4
    for (int j = 0; j < n; j++) {
        flash_prefetch_line(pf);
        __m256 y[8];
        for (int u = 0; u < vecs; u++) {
            const int64_t i = j * ldv + d + 8 * u;
            y[u] = full ? pv_load(v, i, dtype) : pv_load_part(v, i, left[u], m[u], dtype);
        }
        for (int r = 0; r < rows; r++) {
            const __m256 b = _mm256_broadcast_ss(p + r * ldp + j);
            for (int u = 0; u < vecs; u++)
                c[r * vecs + u] = _mm256_fmadd_ps(b, y[u], c[r * vecs + u]);
        }
    }
}

/* rows x vecs vectors of o from column d on (rows * vecs <= 8): c = alpha * o (when rescale)
 * + sum_j p[r][j] * v[j][d ..]; lanes at or past dh read as zero V lanes */
PV_INLINE void pv_tile(int rows, int vecs, const float *p, int64_t ldp, const void *v, int64_t ldv, int n,
                       int64_t dh, const float *alpha, int rescale, float *o, int64_t ldo, int64_t d,
                       mha_dtype dtype, flash_prefetch *pf)
{
    __m256 c[8];
    __m256i m[8];
    int left[8]; /* V lanes of vector u before dh */
    for (int u = 0; u < vecs; u++) {
        const int64_t l = dh - d - 8 * u;
        left[u] = l < 0 ? 0 : l > 8 ? 8 : (int)l;
        m[u] = f32v_avx2_tail_mask(left[u]);
    }
    for (int r = 0; r < rows; r++) {
        /* c[r] = alpha[r] * o[r] */
        const __m256 e = _mm256_broadcast_ss(alpha + r);
        for (int u = 0; u < vecs; u++) {
            c[r * vecs + u] = _mm256_load_ps(o + r * ldo + d + 8 * u);
            if (rescale)
                c[r * vecs + u] = _mm256_mul_ps(e, c[r * vecs + u]);
        }
    }
    if (d + 8 * vecs <= dh)
        pv_keys(rows, vecs, 1, c, p, ldp, v, ldv, n, d, left, m, dtype, pf);
    else
        pv_keys(rows, vecs, 0, c, p, ldp, v, ldv, n, d, left, m, dtype, pf);
    for (int r = 0; r < rows; r++)
        for (int u = 0; u < vecs; u++)
            _mm256_store_ps(o + r * ldo + d + 8 * u, c[r * vecs + u]);
}

/* Every column of `rows` rows (4, 2 or 1): tiles of 8 / rows vectors while they fit in dh rounded up to 16,
 * then tiles of 2 vectors (16 columns) */
PV_INLINE void pv_rows_of(int rows, const float *p, int64_t ldp, const void *v, int64_t ldv, int n, int64_t dh,
                          const float *alpha, int rescale, float *o, int64_t ldo, mha_dtype dtype, flash_prefetch *pf)
{
    const int vecs = 8 / rows;
    const int64_t dp = (dh + 15) & ~(int64_t)15;
    int64_t d = 0;
    for (; d + 8 * vecs <= dp; d += 8 * vecs)
        pv_tile(rows, vecs, p, ldp, v, ldv, n, dh, alpha, rescale, o, ldo, d, dtype, pf);
    for (; d < dp; d += 16)
        pv_tile(rows, 2, p, ldp, v, ldv, n, dh, alpha, rescale, o, ldo, d, dtype, pf);
}

/* pv_rows_with and pv_rows: query rows 4, 2, then 1 at a time. o holds Dh rounded up to 16 columns,
 * 32-byte aligned; columns past Dh meet zero V lanes. */
#include "flash_pv_rows_order.h"

#endif
