/*
 * The converting layer's kernels with AVX2 + F16C (flash_lowp.h), named
 * by the tables of flash_avx2 and flash_avx512 (both need AVX2 + FMA +
 * F16C). Widening 8 elements: bf16 is a zero-extension to 32 bits and a
 * shift by 16 (vpmovzxwd, vpslld); fp16 is vcvtph2ps. Both are exact.
 *
 * The streamed-decode kernels are flash_stream_avx2.c's with the K and V
 * loads widened: the same accumulators, the same order of operations and
 * the same reduction tree, so a result on bf16 or fp16 rows is bit for bit
 * the fp32 kernel's on the widened rows. A last partial group of 8 head
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

/* one element, widened (the portable conversion gives the same value) */
LP_INLINE float lp_load1(const uint16_t *p, mha_dtype dtype)
{
    return dtype == MHA_BF16 ? mha_bf16_to_f32_inline(*p) : mha_f16_to_f32_inline(*p);
}

LP_INLINE void widen(float *dst, const void *src, int64_t n, mha_dtype dtype)
{
    const uint16_t *x = src;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, lp_load8(x + i, dtype));
    for (; i < n; i++)
        dst[i] = lp_load1(x + i, dtype);
}

static void widen_bf16(float *dst, const void *src, int64_t n)
{
    widen(dst, src, n, MHA_BF16);
}

static void widen_f16(float *dst, const void *src, int64_t n)
{
    widen(dst, src, n, MHA_F16);
}

/* K[k0 .. k0+n) of the call's dtype as [n/nr strips][Dh][nr] (keys past n zero): 8 keys x 8 head
 * dims widened and transposed in registers, scalar code for the edges (flash_pack_strip_avx2). */
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
        for (int h = 0; h < nr; h += 8) {
            int64_t d = 0;
            if (h + 8 <= nk) {
                for (; d + 8 <= dh; d += 8) {
                    __m256 r[8];
                    for (int j = 0; j < 8; j++)
                        r[j] = dtype == MHA_BF16 ? lp_load8(rows[h + j] + d, MHA_BF16)
                                                 : lp_load8(rows[h + j] + d, MHA_F16);
                    flash_transpose8_avx2(r);
                    for (int col = 0; col < 8; col++)
                        _mm256_storeu_ps(k + (d + col) * nr + h, r[col]);
                }
            }
            for (; d < dh; d++)
                for (int j = h; j < h + 8; j++)
                    k[d * nr + j] = j < nk ? lp_load1(rows[j] + d, dtype) : 0.0f;
        }
    }
}

/* a0[x] += x0 * y[x],  a1[x] += x1 * y[x]  for the 4 keys x */
LP_INLINE void qk_fma_2x4(__m256 a0[4], __m256 a1[4], __m256 x0, __m256 x1, const __m256 y[4])
{
    for (int x = 0; x < 4; x++) {
        a0[x] = _mm256_fmadd_ps(x0, y[x], a0[x]);
        a1[x] = _mm256_fmadd_ps(x1, y[x], a1[x]);
    }
}

/* flash_qk_rows_avx2 with K rows of dtype */
LP_INLINE void qk_rows(const float *q, int64_t ldq, int nr, const uint16_t *k, int64_t ldk, int nk, int64_t dh,
                       float scale, float *s, int64_t lds, mha_dtype dtype)
{
    const int64_t dv = dh & ~(int64_t)7;
    const int t = (int)(dh - dv);
    const __m256i tail = f32v_avx2_tail_mask(t);
    const __m128 sc = _mm_set1_ps(scale);
    for (int r = 0; r < nr; r += 2) {
        /* an odd last row is computed twice (q1 = q0) and stored once */
        const float *q0 = q + r * ldq, *q1 = r + 1 < nr ? q0 + ldq : q0;
        int j = 0;
        for (; j + 4 <= nk; j += 4) {
            const uint16_t *kx[4] = {k + j * ldk, k + (j + 1) * ldk, k + (j + 2) * ldk, k + (j + 3) * ldk};
            __m256 a0[4], a1[4], y[4];
            for (int x = 0; x < 4; x++)
                a0[x] = a1[x] = _mm256_setzero_ps();
            int64_t d = 0;
            for (; d < dv; d += 8) {
                for (int x = 0; x < 4; x++)
                    y[x] = lp_load8(kx[x] + d, dtype);
                qk_fma_2x4(a0, a1, _mm256_loadu_ps(q0 + d), _mm256_loadu_ps(q1 + d), y);
            }
            if (d < dh) {
                for (int x = 0; x < 4; x++)
                    y[x] = lp_load_tail(kx[x] + d, t, dtype);
                qk_fma_2x4(a0, a1, _mm256_maskload_ps(q0 + d, tail), _mm256_maskload_ps(q1 + d, tail), y);
            }
            const __m256 t0 = _mm256_hadd_ps(_mm256_hadd_ps(a0[0], a0[1]), _mm256_hadd_ps(a0[2], a0[3]));
            const __m256 t1 = _mm256_hadd_ps(_mm256_hadd_ps(a1[0], a1[1]), _mm256_hadd_ps(a1[2], a1[3]));
            const __m128 s0 = _mm_add_ps(_mm256_castps256_ps128(t0), _mm256_extractf128_ps(t0, 1));
            const __m128 s1 = _mm_add_ps(_mm256_castps256_ps128(t1), _mm256_extractf128_ps(t1, 1));
            _mm_storeu_ps(s + r * lds + j, _mm_mul_ps(sc, s0));
            if (r + 1 < nr)
                _mm_storeu_ps(s + (r + 1) * lds + j, _mm_mul_ps(sc, s1));
        }
        for (; j < nk; j++) {
            const uint16_t *kj = k + j * ldk;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0;
            int64_t d = 0;
            for (; d < dv; d += 8) {
                const __m256 y = lp_load8(kj + d, dtype);
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q0 + d), y, a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q1 + d), y, a1);
            }
            if (d < dh) {
                const __m256 y = lp_load_tail(kj + d, t, dtype);
                a0 = _mm256_fmadd_ps(_mm256_maskload_ps(q0 + d, tail), y, a0);
                a1 = _mm256_fmadd_ps(_mm256_maskload_ps(q1 + d, tail), y, a1);
            }
            s[r * lds + j] = scale * f32v_hsum(a0);
            if (r + 1 < nr)
                s[(r + 1) * lds + j] = scale * f32v_hsum(a1);
        }
    }
}

static void qk_rows_bf16(const float *q, int64_t ldq, int nr, const void *k, int64_t ldk, int nk, int64_t dh,
                         float scale, float *s, int64_t lds)
{
    qk_rows(q, ldq, nr, k, ldk, nk, dh, scale, s, lds, MHA_BF16);
}

static void qk_rows_f16(const float *q, int64_t ldq, int nr, const void *k, int64_t ldk, int nk, int64_t dh,
                        float scale, float *s, int64_t lds)
{
    qk_rows(q, ldq, nr, k, ldk, nk, dh, scale, s, lds, MHA_F16);
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

static void pv_rows_bf16(const float *p, int64_t ldp, int nr, const void *v, int64_t ldv, int n, int64_t dh,
                         const float *alpha, int rescale, float *o, int64_t ldo)
{
    pv_rows(p, ldp, nr, v, ldv, n, dh, alpha, rescale, o, ldo, MHA_BF16);
}

static void pv_rows_f16(const float *p, int64_t ldp, int nr, const void *v, int64_t ldv, int n, int64_t dh,
                        const float *alpha, int rescale, float *o, int64_t ldo)
{
    pv_rows(p, ldp, nr, v, ldv, n, dh, alpha, rescale, o, ldo, MHA_F16);
}

const flash_lowp_kernels flash_lowp_avx2 = {
    .widen = {[MHA_BF16] = widen_bf16, [MHA_F16] = widen_f16},
    .qk_rows = {[MHA_BF16] = qk_rows_bf16, [MHA_F16] = qk_rows_f16},
    .pv_rows = {[MHA_BF16] = pv_rows_bf16, [MHA_F16] = pv_rows_f16},
    .pack_k = pack_k,
};
