/*
 * The converting layer's kernels with AArch64 Advanced SIMD (flash_lowp.h),
 * named by the tables of flash_neon and flash_neonbf16. Widening 4
 * elements: bf16 is a shift left long by 16 (USHLL), fp16 is FCVTL; both
 * are exact and in the base AArch64 ISA, so they need no CPU feature.
 *
 * qk_rows (the scores of a written P, flash_probs.c) computes what
 * flash_rows_c.c's does with the K loads widened: per (row, key) the same
 * 8 partial sums of fused multiply-adds (flash_rows_c.c is built with
 * GCC's default -ffp-contract=fast, which fuses a * b + c on AArch64)
 * added in the same tree, so a score on bf16 or fp16 rows is bit for bit
 * the fp32 kernel's on the widened rows (tests/test_flash_lowp.c). Each K
 * row is read once for all query rows, as 16-bit elements.
 */
#include <arm_neon.h>
#include <math.h>

#include "../core/dtype_convert.h"
#include "flash_ctx.h"
#include "flash_lowp.h"
#include "flash_transpose_neon.h"

#define LP_INLINE static inline __attribute__((always_inline))

/* 4 elements of dtype at p, widened */
LP_INLINE float32x4_t lp_load4(const uint16_t *p, mha_dtype dtype)
{
    const uint16x4_t x = vld1_u16(p);
    if (dtype == MHA_BF16)
        return vreinterpretq_f32_u32(vshll_n_u16(x, 16));
    return vcvt_f32_f16(vreinterpret_f16_u16(x));
}

LP_INLINE void widen(float *dst, const void *src, int64_t n, mha_dtype dtype)
{
    const uint16_t *x = src;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(dst + i, lp_load4(x + i, dtype));
    for (; i < n; i++)
        dst[i] = flash_lp_widen1(x + i, dtype);
}

/* K[k0 .. k0+n) of the call's dtype as [n/nr strips][Dh][nr] (keys past n zero): 4 keys x 4 head
 * dims widened and transposed in registers (as flash_neon.h's flash_pack_strip), scalar code for
 * the edges. */
LP_INLINE void pack_k_dtype(flash_ctx *c, int64_t k0, int64_t n, int nr, mha_dtype dtype)
{
    const mha_args *a = c->a;
    const int64_t dh = a->shape.head_dim;
    const uint16_t *rows[64]; /* nr <= 64 (flash_neon: 16) */
    for (int64_t j0 = 0; j0 < n; j0 += nr) {
        float *k = c->k_pack + j0 * dh;
        const int nk = n - j0 < nr ? (int)(n - j0) : nr;
        for (int jj = 0; jj < nk; jj++)
            rows[jj] = flash_lp_row(a->k, a->k_strides, c->b, k0 + j0 + jj, c->g, dtype);
        for (int h = 0; h < nr; h += 4) {
            int64_t d = 0;
            if (h + 4 <= nk) {
                for (; d + 4 <= dh; d += 4) {
                    flash_transpose4_store_f32(lp_load4(rows[h] + d, dtype), lp_load4(rows[h + 1] + d, dtype),
                                               lp_load4(rows[h + 2] + d, dtype), lp_load4(rows[h + 3] + d, dtype),
                                               k + d * nr + h, nr);
                }
            }
            for (; d < dh; d++)
                for (int j = h; j < h + 4; j++)
                    k[d * nr + j] = j < nk ? flash_lp_widen1(rows[j] + d, dtype) : 0.0f;
        }
    }
}

static void pack_k(flash_ctx *c, int64_t k0, int64_t n, int nr)
{
    if (c->a->dtype == MHA_BF16)
        pack_k_dtype(c, k0, n, nr, MHA_BF16);
    else
        pack_k_dtype(c, k0, n, nr, MHA_F16);
}

/* flash_qk_rows_c with K rows of dtype: per (row, key) 8 partial sums (lanes 0-3 and 4-7 of two
 * vectors), the tail's head dim d into partial sum d % 8, the same addition tree and one multiply
 * by scale. Keys outer, rows inner: each K row comes from memory once. */
LP_INLINE void qk_rows(const float *q, int64_t ldq, int nr, const uint16_t *k, int64_t ldk, int nk, int64_t dh,
                       float scale, float *s, int64_t lds, mha_dtype dtype, flash_prefetch *pf)
{
    for (int j = 0; j < nk; j++) {
        const uint16_t *kj = k + j * ldk;
        for (int r = 0; r < nr; r++) {
            flash_prefetch_line(pf);
            const float *qr = q + r * ldq;
            float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0;
            int64_t d = 0;
            for (; d + 8 <= dh; d += 8) {
                a0 = vfmaq_f32(a0, vld1q_f32(qr + d), lp_load4(kj + d, dtype));
                a1 = vfmaq_f32(a1, vld1q_f32(qr + d + 4), lp_load4(kj + d + 4, dtype));
            }
            float acc[8];
            vst1q_f32(acc, a0);
            vst1q_f32(acc + 4, a1);
            for (; d < dh; d++)
                acc[d % 8] = fmaf(qr[d], flash_lp_widen1(kj + d, dtype), acc[d % 8]);
            s[r * lds + j] = scale * (((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])));
        }
    }
}

FLASH_LOWP_TABLE(flash_lowp_neon, widen, qk_rows, pack_k);
