/*
 * The two matrix-vector kernels of the streamed flash decode
 * (flash_stream.c) with AVX2 + FMA, on K and V rows in place, compiled
 * with the AVX2 flags; the tables of flash_avx2 and flash_avx512 name
 * them. Rows past Dh are never read: the last partial group of 8 head
 * dims goes through masked loads (f32v_avx2_tail_mask).
 *   Q K^T: 2 query rows x 4 keys = 8 accumulators; per 8 head dims, 2 loads
 *          of Q and 4 of K feed 8 FMAs; one hadd tree gives 4 scores per row.
 *   P V:   4 query rows x 16 head dims = 8 accumulators; per key, 2 loads
 *          of V and 4 broadcasts of P feed 8 FMAs.
 */
#include "../vec/f32v_avx2.h"
#include "flash_kernels.h"

/* a0[x] += x0 * y[x],  a1[x] += x1 * y[x]  for the 4 keys x */
static inline void flash_qk_fma_2x4(__m256 a0[4], __m256 a1[4], __m256 x0, __m256 x1, const __m256 y[4])
{
    for (int x = 0; x < 4; x++) {
        a0[x] = _mm256_fmadd_ps(x0, y[x], a0[x]);
        a1[x] = _mm256_fmadd_ps(x1, y[x], a1[x]);
    }
}

/* s[r][j] = scale * sum_d q[r][d] * k[j][d],  r < nr (q rows ldq apart), j < nk (k rows ldk apart) */
void flash_qk_rows_avx2(const float *q, int64_t ldq, int nr, const float *k, int64_t ldk, int nk, int64_t dh,
                        float scale, float *s, int64_t lds)
{
    const int64_t dv = dh & ~(int64_t)7;
    const __m256i tail = f32v_avx2_tail_mask((int)(dh - dv));
    const __m128 sc = _mm_set1_ps(scale);
    for (int r = 0; r < nr; r += 2) {
        /* an odd last row is computed twice (q1 = q0) and stored once */
        const float *q0 = q + r * ldq, *q1 = r + 1 < nr ? q0 + ldq : q0;
        int j = 0;
        for (; j + 4 <= nk; j += 4) {
            const float *kx[4] = {k + j * ldk, k + (j + 1) * ldk, k + (j + 2) * ldk, k + (j + 3) * ldk};
            __m256 a0[4], a1[4], y[4];
            for (int x = 0; x < 4; x++)
                a0[x] = a1[x] = _mm256_setzero_ps();
            /* a_i[x] += q_i[d] * k_x[d], 8 head dims at a time; the last partial 8 through masked loads */
            int64_t d = 0;
            for (; d < dv; d += 8) {
                for (int x = 0; x < 4; x++)
                    y[x] = _mm256_loadu_ps(kx[x] + d);
                flash_qk_fma_2x4(a0, a1, _mm256_loadu_ps(q0 + d), _mm256_loadu_ps(q1 + d), y);
            }
            if (d < dh) {
                for (int x = 0; x < 4; x++)
                    y[x] = _mm256_maskload_ps(kx[x] + d, tail);
                flash_qk_fma_2x4(a0, a1, _mm256_maskload_ps(q0 + d, tail), _mm256_maskload_ps(q1 + d, tail), y);
            }
            /* (sum a_i0, sum a_i1, sum a_i2, sum a_i3): two hadd levels, then low + high halves */
            const __m256 t0 = _mm256_hadd_ps(_mm256_hadd_ps(a0[0], a0[1]), _mm256_hadd_ps(a0[2], a0[3]));
            const __m256 t1 = _mm256_hadd_ps(_mm256_hadd_ps(a1[0], a1[1]), _mm256_hadd_ps(a1[2], a1[3]));
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
            s[r * lds + j] = scale * f32v_hsum(a0);
            if (r + 1 < nr)
                s[(r + 1) * lds + j] = scale * f32v_hsum(a1);
        }
    }
}

/* c[i][0..2) += p_i[j] * (v0, v1)  for the 4 rows i */
static inline void flash_pv_fma_4x2(__m256 c[4][2], const float *const pr[4], int j, __m256 v0, __m256 v1)
{
    for (int i = 0; i < 4; i++) {
        const __m256 b = _mm256_broadcast_ss(pr[i] + j);
        c[i][0] = _mm256_fmadd_ps(b, v0, c[i][0]);
        c[i][1] = _mm256_fmadd_ps(b, v1, c[i][1]);
    }
}

/*
 * o[r][d] = alpha[r] * o[r][d] (when rescale) + sum_{j<n} p[r][j] * v[j][d],
 * r < nr (p rows ldp apart, o rows ldo apart), v rows ldv apart. o holds
 * Dh rounded up to 16 columns; columns past Dh meet masked (zero) V lanes.
 * Rows are taken 4 at a time; a short last group repeats its last row
 * (same inputs, same result, stored again).
 */
void flash_pv_rows_avx2(const float *p, int64_t ldp, int nr, const float *v, int64_t ldv, int n, int64_t dh,
                        const float *alpha, int rescale, float *o, int64_t ldo)
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
                /* c[i] = alpha[i] * o[i] */
                for (int i = 0; i < 4; i++) {
                    const __m256 e = _mm256_broadcast_ss(alpha + ri[i]);
                    c[i][0] = _mm256_mul_ps(e, c[i][0]);
                    c[i][1] = _mm256_mul_ps(e, c[i][1]);
                }
            }
            /* c[i] += p[i][j] * v[j][d .. d+16) */
            if (d + 16 <= dh) {
                for (int j = 0; j < n; j++)
                    flash_pv_fma_4x2(c, pr, j, _mm256_loadu_ps(v + j * ldv + d), _mm256_loadu_ps(v + j * ldv + d + 8));
            } else {
                const __m256i m0 = f32v_avx2_tail_mask((int)(dh - d)), m1 = f32v_avx2_tail_mask((int)(dh - d - 8));
                for (int j = 0; j < n; j++)
                    flash_pv_fma_4x2(c, pr, j, _mm256_maskload_ps(v + j * ldv + d, m0),
                                     _mm256_maskload_ps(v + j * ldv + d + 8, m1));
            }
            for (int i = 0; i < 4; i++) {
                _mm256_store_ps(orow[i] + d, c[i][0]);
                _mm256_store_ps(orow[i] + d + 8, c[i][1]);
            }
        }
    }
}

