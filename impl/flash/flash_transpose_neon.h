/*
 * A 4x4 transpose of 32-bit lanes in NEON registers, for the K-strip packs
 * of flash_neon (fp32), its widening path (flash_lowp_neon.c) and
 * flash_neonbf16 (bf16 pairs as 32-bit words). Lanes are moved, never
 * computed on, so any 32-bit payload comes out bit for bit.
 */
#ifndef MHA_FLASH_TRANSPOSE_NEON_H
#define MHA_FLASH_TRANSPOSE_NEON_H

#include <arm_neon.h>

/* r[x][j] = old r[j][x], x, j < 4 (rows in, columns out) */
static inline void flash_transpose4_neon(uint32x4_t r[4])
{
    const uint64x2_t u0 = vreinterpretq_u64_u32(vtrn1q_u32(r[0], r[1]));
    const uint64x2_t u1 = vreinterpretq_u64_u32(vtrn2q_u32(r[0], r[1]));
    const uint64x2_t u2 = vreinterpretq_u64_u32(vtrn1q_u32(r[2], r[3]));
    const uint64x2_t u3 = vreinterpretq_u64_u32(vtrn2q_u32(r[2], r[3]));
    r[0] = vreinterpretq_u32_u64(vtrn1q_u64(u0, u2));
    r[1] = vreinterpretq_u32_u64(vtrn1q_u64(u1, u3));
    r[2] = vreinterpretq_u32_u64(vtrn2q_u64(u0, u2));
    r[3] = vreinterpretq_u32_u64(vtrn2q_u64(u1, u3));
}

/* The same for four fp32 rows, stored as columns: dst[x * ld + j] = r_j[x] */
static inline void flash_transpose4_store_f32(float32x4_t r0, float32x4_t r1, float32x4_t r2, float32x4_t r3,
                                              float *dst, int64_t ld)
{
    uint32x4_t r[4] = {vreinterpretq_u32_f32(r0), vreinterpretq_u32_f32(r1), vreinterpretq_u32_f32(r2),
                       vreinterpretq_u32_f32(r3)};
    flash_transpose4_neon(r);
    for (int x = 0; x < 4; x++)
        vst1q_f32(dst + x * ld, vreinterpretq_f32_u32(r[x]));
}

#endif
