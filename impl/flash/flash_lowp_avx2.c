/*
 * The converting layer's kernels with AVX2 + F16C (flash_lowp.h), named
 * by the tables of flash_avx2 and flash_avx512 (both need AVX2 + FMA +
 * F16C). Widening 8 elements: bf16 is a zero-extension to 32 bits and a
 * shift by 16 (vpmovzxwd, vpslld); fp16 is vcvtph2ps. Both are exact.
 *
 * The streamed-decode kernels compute what flash_stream_avx2.c's do with
 * the K and V loads widened: the same accumulation per output, the same
 * order of operations and the same reduction trees, so a result on bf16 or
 * fp16 rows is bit for bit the fp32 kernels' on the widened rows. Q K^T
 * takes four query rows per pass (the fp32 kernel two), so each K vector
 * is widened once for four rows. A last partial group of 8 head
 * dims is copied into a zeroed buffer first (AVX2 has no 16-bit masked
 * load); lanes past Dh are 0, as the fp32 kernels' masked loads give.
 */
#include <immintrin.h>
#include <string.h>

#include "../core/dtype_convert.h"
#include "flash_ctx.h"
#include "flash_lowp.h"
#include "flash_pack_avx2.h"
#include "../vec/f32v_avx2.h"

#define LP_INLINE static inline __attribute__((always_inline))

/* 8 elements of dtype at p, widened */
LP_INLINE __m256 lp_load8(const uint16_t *p, mha_dtype dtype)
{
    const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    if (dtype == MHA_BF16)
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(x), 16));
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
 * transposed (flash_pack_strip_avx2_with) */
static void pack_k(flash_ctx *c, int64_t k0, int64_t n, int nr)
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

/* acc[i][x] += q_i[d..d+8) * y[x] for the 4 rows i and the nx keys x (q rows ldq apart; masked past dh) */
LP_INLINE void qk_fma_4xn(__m256 acc[4][2], const float *const qr[4], int64_t d, __m256i mask, int masked,
                          const __m256 *y, int nx)
{
    for (int i = 0; i < 4; i++) {
        const __m256 x = masked ? _mm256_maskload_ps(qr[i] + d, mask) : _mm256_loadu_ps(qr[i] + d);
        for (int k = 0; k < nx; k++)
            acc[i][k] = _mm256_fmadd_ps(x, y[k], acc[i][k]);
    }
}

/* acc[i][x] = sum over d of q_i[d] * k_x[d] as 8 lanes, for 4 rows and the nx keys k_x (nx <= 2): the
 * fp32 kernel's accumulation per (row, key), 8 head dims at a time, the last partial 8 zero-padded */
LP_INLINE void qk_acc(const float *const qr[4], const uint16_t *const kx[2], int nx, int64_t dh, __m256 acc[4][2],
                      mha_dtype dtype)
{
    const int64_t dv = dh & ~(int64_t)7;
    const int t = (int)(dh - dv);
    const __m256i tail = f32v_avx2_tail_mask(t);
    for (int i = 0; i < 4; i++)
        acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    __m256 y[2];
    int64_t d = 0;
    for (; d < dv; d += 8) {
        for (int k = 0; k < nx; k++)
            y[k] = lp_load8(kx[k] + d, dtype);
        qk_fma_4xn(acc, qr, d, tail, 0, y, nx);
    }
    if (d < dh) {
        for (int k = 0; k < nx; k++)
            y[k] = lp_load_tail(kx[k] + d, t, dtype);
        qk_fma_4xn(acc, qr, d, tail, 1, y, nx);
    }
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
LP_INLINE void qk_rows(const float *q, int64_t ldq, int nr, const uint16_t *k, int64_t ldk, int nk, int64_t dh,
                       float scale, float *s, int64_t lds, mha_dtype dtype)
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
            const uint16_t *k01[2] = {k + j * ldk, k + (j + 1) * ldk}, *k23[2] = {k + (j + 2) * ldk, k + (j + 3) * ldk};
            qk_acc(qr, k01, 2, dh, acc, dtype);
            /* the hadd tree of flash_qk_rows_avx2: (keys 0, 1), (keys 2, 3), then the two 128-bit halves */
            for (int i = 0; i < 4; i++)
                t01[i] = _mm256_hadd_ps(acc[i][0], acc[i][1]);
            qk_acc(qr, k23, 2, dh, acc, dtype);
            for (int i = 0; i < rows; i++) {
                const __m256 u = _mm256_hadd_ps(t01[i], _mm256_hadd_ps(acc[i][0], acc[i][1]));
                const __m128 sum = _mm_add_ps(_mm256_castps256_ps128(u), _mm256_extractf128_ps(u, 1));
                _mm_storeu_ps(s + (r0 + i) * lds + j, _mm_mul_ps(sc, sum));
            }
        }
        for (; j < nk; j++) {
            __m256 acc[4][2];
            const uint16_t *kj[2] = {k + j * ldk, NULL};
            qk_acc(qr, kj, 1, dh, acc, dtype);
            for (int i = 0; i < rows; i++) {
                const __m256 one[8] = {acc[i][0]}; /* lane 0 of the result sums acc[i][0]'s lanes */
                s[(r0 + i) * lds + j] = scale * _mm256_cvtss_f32(mha_sum8_m256(one));
            }
        }
    }
}

/* c[i][0..2) += p_i[j] * (v0, v1)  for the 4 rows i */
LP_INLINE void pv_fma_4x2(__m256 c[4][2], const float *const pr[4], int j, __m256 v0, __m256 v1)
{
    for (int i = 0; i < 4; i++) {
        const __m256 b = _mm256_broadcast_ss(pr[i] + j);
        c[i][0] = _mm256_fmadd_ps(b, v0, c[i][0]);
        c[i][1] = _mm256_fmadd_ps(b, v1, c[i][1]);
    }
}

/* flash_pv_rows_avx2 with V rows of dtype */
LP_INLINE void pv_rows(const float *p, int64_t ldp, int nr, const uint16_t *v, int64_t ldv, int n, int64_t dh,
                       const float *alpha, int rescale, float *o, int64_t ldo, mha_dtype dtype)
{
    for (int r0 = 0; r0 < nr; r0 += 4) {
        int ri[4];
        const float *pr[4];
        float *orow[4];
        for (int i = 0; i < 4; i++) {
            ri[i] = r0 + i < nr ? r0 + i : nr - 1;
            pr[i] = p + ri[i] * ldp;
            orow[i] = o + ri[i] * ldo;
        }
        for (int64_t d = 0; d < dh; d += 16) {
            __m256 c[4][2];
            for (int i = 0; i < 4; i++) {
                c[i][0] = _mm256_load_ps(orow[i] + d);
                c[i][1] = _mm256_load_ps(orow[i] + d + 8);
            }
            if (rescale) {
                for (int i = 0; i < 4; i++) {
                    const __m256 e = _mm256_broadcast_ss(alpha + ri[i]);
                    c[i][0] = _mm256_mul_ps(e, c[i][0]);
                    c[i][1] = _mm256_mul_ps(e, c[i][1]);
                }
            }
            if (d + 16 <= dh) {
                for (int j = 0; j < n; j++)
                    pv_fma_4x2(c, pr, j, lp_load8(v + j * ldv + d, dtype), lp_load8(v + j * ldv + d + 8, dtype));
            } else {
                const int n0 = (int)(dh - d) < 8 ? (int)(dh - d) : 8, n1 = (int)(dh - d) - n0;
                for (int j = 0; j < n; j++)
                    pv_fma_4x2(c, pr, j, lp_load_tail(v + j * ldv + d, n0, dtype),
                               lp_load_tail(v + j * ldv + d + 8, n1, dtype));
            }
            for (int i = 0; i < 4; i++) {
                _mm256_store_ps(orow[i] + d, c[i][0]);
                _mm256_store_ps(orow[i] + d + 8, c[i][1]);
            }
        }
    }
}

FLASH_LOWP_TABLE(flash_lowp_avx2, widen, qk_rows, pv_rows, pack_k);
