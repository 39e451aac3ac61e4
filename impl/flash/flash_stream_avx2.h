/*
 * The two matrix-vector kernels of the streamed flash decode (see
 * flash_driver.h, stream_block) with AVX2 + FMA, on K and V rows in place.
 * Shared by flash_avx2.c and flash_avx512.c (both are compiled with
 * -mavx2 -mfma). Rows past Dh are never read: the last partial group of 8
 * head dims goes through masked loads.
 *   Q K^T: 2 query rows x 4 keys = 8 accumulators; per 8 head dims, 2 loads
 *          of Q and 4 of K feed 8 FMAs; one hadd tree gives 4 scores per row.
 *   P V:   4 query rows x 16 head dims = 8 accumulators; per key, 2 loads
 *          of V and 4 broadcasts of P feed 8 FMAs.
 */
#ifndef MHA_FLASH_STREAM_AVX2_H
#define MHA_FLASH_STREAM_AVX2_H

#include <immintrin.h>
#include <stdint.h>

/* lanes x < n set (n in 0..8), for _mm256_maskload_ps */
static inline __m256i flash_lanes_avx2(int64_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* horizontal sum of 8 lanes */
static inline float flash_hsum_avx2(__m256 x)
{
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
}

/* s[r][j] = scale * sum_d q[r][d] * k[j][d],  r < nr (q rows ldq apart), j < nk (k rows ldk apart) */
__attribute__((noinline)) static void flash_qk_rows_avx2(const float *q, int64_t ldq, int nr, const float *k, int64_t ldk,
                                      int nk, int64_t dh, float scale, float *s, int64_t lds)
{
    const int64_t dv = dh & ~(int64_t)7;
    const __m256i tail = flash_lanes_avx2(dh - dv);
    const __m128 sc = _mm_set1_ps(scale);
    for (int r = 0; r < nr; r += 2) {
        /* an odd last row is computed twice (q1 = q0) and stored once */
        const float *q0 = q + r * ldq, *q1 = r + 1 < nr ? q0 + ldq : q0;
        int j = 0;
        for (; j + 4 <= nk; j += 4) {
            const float *k0 = k + j * ldk, *k1 = k0 + ldk, *k2 = k1 + ldk, *k3 = k2 + ldk;
            __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a03 = a00;
            __m256 a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            int64_t d = 0;
            /* a[i][x] += q_i[d] * k_x[d], 8 head dims at a time */
#define FLASH_QK_STEP(LOAD)                                                       \
    do {                                                                          \
        const __m256 x0 = LOAD(q0 + d), x1 = LOAD(q1 + d);                       \
        const __m256 y0 = LOAD(k0 + d), y1 = LOAD(k1 + d);                       \
        const __m256 y2 = LOAD(k2 + d), y3 = LOAD(k3 + d);                       \
        a00 = _mm256_fmadd_ps(x0, y0, a00);                                       \
        a01 = _mm256_fmadd_ps(x0, y1, a01);                                       \
        a02 = _mm256_fmadd_ps(x0, y2, a02);                                       \
        a03 = _mm256_fmadd_ps(x0, y3, a03);                                       \
        a10 = _mm256_fmadd_ps(x1, y0, a10);                                       \
        a11 = _mm256_fmadd_ps(x1, y1, a11);                                       \
        a12 = _mm256_fmadd_ps(x1, y2, a12);                                       \
        a13 = _mm256_fmadd_ps(x1, y3, a13);                                       \
    } while (0)
#define FLASH_LD_FULL(x) _mm256_loadu_ps(x)
#define FLASH_LD_TAIL(x) _mm256_maskload_ps((x), tail)
            for (; d < dv; d += 8)
                FLASH_QK_STEP(FLASH_LD_FULL);
            if (d < dh)
                FLASH_QK_STEP(FLASH_LD_TAIL);
#undef FLASH_LD_FULL
#undef FLASH_LD_TAIL
#undef FLASH_QK_STEP
            /* (sum a_i0, sum a_i1, sum a_i2, sum a_i3): two hadd levels, then low + high halves */
            const __m256 t0 = _mm256_hadd_ps(_mm256_hadd_ps(a00, a01), _mm256_hadd_ps(a02, a03));
            const __m256 t1 = _mm256_hadd_ps(_mm256_hadd_ps(a10, a11), _mm256_hadd_ps(a12, a13));
            const __m128 s0 = _mm_add_ps(_mm256_castps256_ps128(t0), _mm256_extractf128_ps(t0, 1));
            const __m128 s1 = _mm_add_ps(_mm256_castps256_ps128(t1), _mm256_extractf128_ps(t1, 1));
            /* s = scale * sum */
            _mm_storeu_ps(s + r * lds + j, _mm_mul_ps(sc, s0));
            if (r + 1 < nr)
                _mm_storeu_ps(s + (r + 1) * lds + j, _mm_mul_ps(sc, s1));
        }
        for (; j < nk; j++) {
            const float *kj = k + j * ldk;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0;
            int64_t d = 0;
            for (; d < dv; d += 8) {
                const __m256 y = _mm256_loadu_ps(kj + d);
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q0 + d), y, a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q1 + d), y, a1);
            }
            if (d < dh) {
                const __m256 y = _mm256_maskload_ps(kj + d, tail);
                a0 = _mm256_fmadd_ps(_mm256_maskload_ps(q0 + d, tail), y, a0);
                a1 = _mm256_fmadd_ps(_mm256_maskload_ps(q1 + d, tail), y, a1);
            }
            s[r * lds + j] = scale * flash_hsum_avx2(a0);
            if (r + 1 < nr)
                s[(r + 1) * lds + j] = scale * flash_hsum_avx2(a1);
        }
    }
}

/*
 * o[r][d] = alpha[r] * o[r][d] (when rescale) + sum_{j<n} p[r][j] * v[j][d],
 * r < nr (p rows ldp apart, o rows ldo apart), v rows ldv apart. o holds
 * Dh rounded up to 16 columns; columns past Dh meet masked (zero) V lanes.
 * Rows are taken 4 at a time; a short last group repeats its last row
 * (same inputs, same result, stored again).
 */
__attribute__((noinline)) static void flash_pv_rows_avx2(const float *p, int64_t ldp, int nr, const float *v, int64_t ldv,
                                      int n, int64_t dh, const float *alpha, int rescale, float *o,
                                      int64_t ldo)
{
    for (int r0 = 0; r0 < nr; r0 += 4) {
        int ri[4];
        for (int i = 0; i < 4; i++)
            ri[i] = r0 + i < nr ? r0 + i : nr - 1;
        const float *p0 = p + ri[0] * ldp, *p1 = p + ri[1] * ldp, *p2 = p + ri[2] * ldp, *p3 = p + ri[3] * ldp;
        float *o0 = o + ri[0] * ldo, *o1 = o + ri[1] * ldo, *o2 = o + ri[2] * ldo, *o3 = o + ri[3] * ldo;
        for (int64_t d = 0; d < dh; d += 16) {
            __m256 c00 = _mm256_load_ps(o0 + d), c01 = _mm256_load_ps(o0 + d + 8);
            __m256 c10 = _mm256_load_ps(o1 + d), c11 = _mm256_load_ps(o1 + d + 8);
            __m256 c20 = _mm256_load_ps(o2 + d), c21 = _mm256_load_ps(o2 + d + 8);
            __m256 c30 = _mm256_load_ps(o3 + d), c31 = _mm256_load_ps(o3 + d + 8);
            if (rescale) {
                /* c[i] = alpha[i] * o[i] */
                const __m256 e0 = _mm256_broadcast_ss(alpha + ri[0]), e1 = _mm256_broadcast_ss(alpha + ri[1]);
                const __m256 e2 = _mm256_broadcast_ss(alpha + ri[2]), e3 = _mm256_broadcast_ss(alpha + ri[3]);
                c00 = _mm256_mul_ps(e0, c00);
                c01 = _mm256_mul_ps(e0, c01);
                c10 = _mm256_mul_ps(e1, c10);
                c11 = _mm256_mul_ps(e1, c11);
                c20 = _mm256_mul_ps(e2, c20);
                c21 = _mm256_mul_ps(e2, c21);
                c30 = _mm256_mul_ps(e3, c30);
                c31 = _mm256_mul_ps(e3, c31);
            }
            /* c[i] += p[i][j] * v[j][d .. d+16) */
#define FLASH_PV_STEP(V0, V1)                                   \
    do {                                                        \
        const __m256 v0 = (V0), v1 = (V1);                      \
        __m256 b;                                               \
        b = _mm256_broadcast_ss(p0 + j);                        \
        c00 = _mm256_fmadd_ps(b, v0, c00);                      \
        c01 = _mm256_fmadd_ps(b, v1, c01);                      \
        b = _mm256_broadcast_ss(p1 + j);                        \
        c10 = _mm256_fmadd_ps(b, v0, c10);                      \
        c11 = _mm256_fmadd_ps(b, v1, c11);                      \
        b = _mm256_broadcast_ss(p2 + j);                        \
        c20 = _mm256_fmadd_ps(b, v0, c20);                      \
        c21 = _mm256_fmadd_ps(b, v1, c21);                      \
        b = _mm256_broadcast_ss(p3 + j);                        \
        c30 = _mm256_fmadd_ps(b, v0, c30);                      \
        c31 = _mm256_fmadd_ps(b, v1, c31);                      \
    } while (0)
            if (d + 16 <= dh) {
                for (int j = 0; j < n; j++)
                    FLASH_PV_STEP(_mm256_loadu_ps(v + j * ldv + d), _mm256_loadu_ps(v + j * ldv + d + 8));
            } else {
                const __m256i m0 = flash_lanes_avx2(dh - d), m1 = flash_lanes_avx2(dh - d - 8);
                for (int j = 0; j < n; j++)
                    FLASH_PV_STEP(_mm256_maskload_ps(v + j * ldv + d, m0),
                                  _mm256_maskload_ps(v + j * ldv + d + 8, m1));
            }
#undef FLASH_PV_STEP
            _mm256_store_ps(o0 + d, c00);
            _mm256_store_ps(o0 + d + 8, c01);
            _mm256_store_ps(o1 + d, c10);
            _mm256_store_ps(o1 + d + 8, c11);
            _mm256_store_ps(o2 + d, c20);
            _mm256_store_ps(o2 + d + 8, c21);
            _mm256_store_ps(o3 + d, c30);
            _mm256_store_ps(o3 + d + 8, c31);
        }
    }
}

/* The streamed-decode kernels flash_driver.h calls (instead of its portable C ones). */
#define FLASH_STREAM_KERNELS
static inline void flash_qk_rows(const float *q, int64_t ldq, int nr, const float *k, int64_t ldk,
                                 int nk, int64_t dh, float scale, float *s, int64_t lds)
{
    flash_qk_rows_avx2(q, ldq, nr, k, ldk, nk, dh, scale, s, lds);
}

static inline void flash_pv_rows(const float *p, int64_t ldp, int nr, const float *v, int64_t ldv, int n,
                                 int64_t dh, const float *alpha, int rescale, float *o, int64_t ldo)
{
    flash_pv_rows_avx2(p, ldp, nr, v, ldv, n, dh, alpha, rescale, o, ldo);
}

#endif
