/*
 * Packing a K strip with AVX2: 8 keys x 8 head dims at a time through an
 * 8x8 transpose in registers, scalar code for the edges. Shared by
 * flash_avx2.c and flash_avx512.c (both are compiled with -mavx2) for fp32
 * rows and by flash_lowp_avx2.c, whose load functions widen bf16 and fp16
 * rows (F16C stays in that file's flags).
 */
#ifndef MHA_FLASH_PACK_AVX2_H
#define MHA_FLASH_PACK_AVX2_H

#include <immintrin.h>
#include <stdint.h>

/* r[0..8) rows of 8 floats -> r[c] = column c of the input (a 8x8 transpose) */
static inline void flash_transpose8_avx2(__m256 r[8])
{
    /* t0 = a0 b0 a1 b1 | a4 b4 a5 b5,  t1 = a2 b2 a3 b3 | a6 b6 a7 b7, ... */
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    /* s0 = a0 b0 c0 d0 | a4 b4 c4 d4,  s1 = a1 b1 c1 d1 | a5 b5 c5 d5, ... */
    __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    /* column c = low halves (c < 4) or high halves (c >= 4) of s_c and s_{c+4} */
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/*
 * How a pack reads its rows: 8 elements of row j from head dim d, and the
 * single element (j, d), as fp32. rows is the caller's array of row
 * pointers, of whatever element type the functions know.
 */
typedef __m256 flash_pack_load8_fn(const void *rows, int j, int64_t d);
typedef float flash_pack_load1_fn(const void *rows, int j, int64_t d);

/*
 * k[d][j] = row j's element d for j < nk, 0 for nk <= j < nr; nr a
 * multiple of 8. Inlined with constant load functions, which inline in turn.
 */
static inline __attribute__((always_inline)) void
flash_pack_strip_avx2_with(const void *rows, int nk, int64_t dh, float *k, int nr, flash_pack_load8_fn *load8,
                           flash_pack_load1_fn *load1)
{
    for (int h = 0; h < nr; h += 8) {
        int64_t d = 0;
        if (h + 8 <= nk) {
            for (; d + 8 <= dh; d += 8) {
                __m256 r[8];
                for (int j = 0; j < 8; j++)
                    r[j] = load8(rows, h + j, d);
                flash_transpose8_avx2(r);
                for (int c = 0; c < 8; c++)
                    _mm256_storeu_ps(k + (d + c) * nr + h, r[c]);
            }
        }
        for (; d < dh; d++)
            for (int j = h; j < h + 8; j++)
                k[d * nr + j] = j < nk ? load1(rows, j, d) : 0.0f;
    }
}

static inline __attribute__((always_inline)) __m256 flash_pack_load8_f32(const void *rows, int j, int64_t d)
{
    return _mm256_loadu_ps(((const float *const *)rows)[j] + d);
}

static inline __attribute__((always_inline)) float flash_pack_load1_f32(const void *rows, int j, int64_t d)
{
    return ((const float *const *)rows)[j][d];
}

/* k[d][j] = rows[j][d] for j < nk, 0 for nk <= j < nr; nr a multiple of 8 */
static inline void flash_pack_strip_avx2(const float *const *rows, int nk, int64_t dh, float *k, int nr)
{
    flash_pack_strip_avx2_with(rows, nk, dh, k, nr, flash_pack_load8_f32, flash_pack_load1_f32);
}

#endif
