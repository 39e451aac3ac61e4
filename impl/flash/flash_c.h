/*
 * flash_c's kernels: portable C, written as fixed-size loops that the
 * compiler unrolls and vectorizes for the baseline ISA. The register tile
 * is 4 rows x 8 keys (Q K^T) and 4 rows x 8 head dims (P V).
 */
#ifndef MHA_FLASH_C_H
#define MHA_FLASH_C_H

#include <math.h>
#include <stdint.h>

#define FLASH_MR 4
#define FLASH_NR 8
#define FLASH_DR 8

/* k[d][j] = rows[j][d] for j < nk, 0 for nk <= j < NR */
static inline void flash_pack_strip(const float *const *rows, int nk, int64_t dh, float *k)
{
    for (int j = 0; j < FLASH_NR; j++)
        for (int64_t d = 0; d < dh; d++)
            k[d * FLASH_NR + j] = j < nk ? rows[j][d] : 0.0f;
}

/* s[r][0..NR) = scale * sum_d q[r][d] * k[d][0..NR) */
static inline void flash_qk_tile(const float *q, int64_t dh, const float *k, float scale,
                                 float *s, int64_t lds)
{
    float acc[FLASH_MR][FLASH_NR] = {{0}};
    for (int64_t d = 0; d < dh; d++)
        for (int r = 0; r < FLASH_MR; r++)
            for (int j = 0; j < FLASH_NR; j++)
                acc[r][j] += q[r * dh + d] * k[d * FLASH_NR + j];
    for (int r = 0; r < FLASH_MR; r++)
        for (int j = 0; j < FLASH_NR; j++)
            s[r * lds + j] = scale * acc[r][j];
}

/* o[r][0..DR) = alpha[r] * o[r][0..DR) + sum_{j<n} p[r][j] * v[j][0..DR) */
static inline void flash_pv_tile(const float *p, int64_t ldp, const float *v, int64_t n,
                                 const float *alpha, int rescale, float *o, int64_t ldo)
{
    float acc[FLASH_MR][FLASH_DR];
    for (int r = 0; r < FLASH_MR; r++)
        for (int d = 0; d < FLASH_DR; d++)
            acc[r][d] = rescale ? alpha[r] * o[r * ldo + d] : o[r * ldo + d];
    for (int64_t j = 0; j < n; j++)
        for (int r = 0; r < FLASH_MR; r++)
            for (int d = 0; d < FLASH_DR; d++)
                acc[r][d] += p[r * ldp + j] * v[j * FLASH_DR + d];
    for (int r = 0; r < FLASH_MR; r++)
        for (int d = 0; d < FLASH_DR; d++)
            o[r * ldo + d] = acc[r][d];
}

/* max_j s[j] (a NaN score is caught by the exp pass: exp(NaN) = NaN) */
static inline float flash_row_max(const float *s, int64_t n)
{
    float m = -INFINITY;
    for (int64_t j = 0; j < n; j++)
        m = s[j] > m ? s[j] : m;
    return m;
}

/* s[j] = exp(s[j] - m);  returns sum_j s[j] */
static inline float flash_row_exp_sum(float *s, int64_t n, float m)
{
    float sum = 0.0f;
    for (int64_t j = 0; j < n; j++) {
        s[j] = expf(s[j] - m);
        sum += s[j];
    }
    return sum;
}

/* The streamed-decode kernels: portable C (flash_rows_c.c) */
#define FLASH_QK_ROWS flash_qk_rows_c
#define FLASH_PV_ROWS flash_pv_rows_c

#endif
