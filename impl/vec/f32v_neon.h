/*
 * f32v for AArch64 Advanced SIMD: 4 fp32 lanes in a float32x4_t. NEON has
 * no masked loads or stores: tails go through a zero-padded 4-float buffer.
 * f32v_avx2.h and f32v_avx512.h define the same names; a source includes
 * exactly one of them.
 */
#ifndef MHA_F32V_NEON_H
#define MHA_F32V_NEON_H

#include <arm_neon.h>
#include <string.h>

#include "vexp_neon.h"

typedef float32x4_t f32v;
#define F32V_LANES 4

/* v[i] = p[i] */
static inline f32v f32v_load(const float *p)
{
    return vld1q_f32(p);
}

/* v[i] = i < n ? p[i] : 0; p[n..] is not read (n clamped to [0, 4]) */
static inline f32v f32v_load_tail(const float *p, int n)
{
    float buf[F32V_LANES] = {0.0f, 0.0f, 0.0f, 0.0f};
    memcpy(buf, p, (size_t)(n < 0 ? 0 : n > F32V_LANES ? F32V_LANES : n) * sizeof(float));
    return vld1q_f32(buf);
}

/* p[i] = v[i] */
static inline void f32v_store(float *p, f32v v)
{
    vst1q_f32(p, v);
}

/* p[i] = v[i] for i < n; p[n..] is not written (n clamped to [0, 4]) */
static inline void f32v_store_tail(float *p, f32v v, int n)
{
    float buf[F32V_LANES];
    vst1q_f32(buf, v);
    memcpy(p, buf, (size_t)(n < 0 ? 0 : n > F32V_LANES ? F32V_LANES : n) * sizeof(float));
}

/* v[i] = x */
static inline f32v f32v_set1(float x)
{
    return vdupq_n_f32(x);
}

/* v[i] = 0 */
static inline f32v f32v_zero(void)
{
    return vdupq_n_f32(0.0f);
}

/* a[i] + b[i] */
static inline f32v f32v_add(f32v a, f32v b)
{
    return vaddq_f32(a, b);
}

/* a[i] - b[i] */
static inline f32v f32v_sub(f32v a, f32v b)
{
    return vsubq_f32(a, b);
}

/* a[i] * b[i] */
static inline f32v f32v_mul(f32v a, f32v b)
{
    return vmulq_f32(a, b);
}

/* a[i] > b[i] ? a[i] : b[i]; NaN when either is NaN */
static inline f32v f32v_max(f32v a, f32v b)
{
    return vmaxq_f32(a, b);
}

/* a[i] * b[i] + c[i], one rounding */
static inline f32v f32v_fmadd(f32v a, f32v b, f32v c)
{
    return vfmaq_f32(c, a, b);
}

/* sum of the lanes, faddv: (v0 + v1) + (v2 + v3) */
static inline float f32v_hsum(f32v v)
{
    return vaddvq_f32(v);
}

/* max of the lanes, fmaxv (NaN if any lane is NaN) */
static inline float f32v_hmax(f32v v)
{
    return vmaxvq_f32(v);
}

/* out[u] = scale * (sum of the lanes of a[u]), u < 8. Order per u:
 * (a0 + a1) + (a2 + a3), the pairwise sums of faddp. */
static inline void f32v_hsum8_scaled(const f32v a[8], float scale, float out[8])
{
    const float32x4_t sv = vdupq_n_f32(scale);
    vst1q_f32(out, vmulq_f32(sv, vpaddq_f32(vpaddq_f32(a[0], a[1]), vpaddq_f32(a[2], a[3]))));
    vst1q_f32(out + 4, vmulq_f32(sv, vpaddq_f32(vpaddq_f32(a[4], a[5]), vpaddq_f32(a[6], a[7]))));
}

/* Per-lane NaN flags, accumulated: f32v_nan_none, f32v_nan_or, f32v_nan_any. */
typedef uint32x4_t f32v_nan;

static inline f32v_nan f32v_nan_none(void)
{
    return vdupq_n_u32(0);
}

/* f[i] |= isnan(v[i]) */
static inline f32v_nan f32v_nan_or(f32v_nan f, f32v v)
{
    return vorrq_u32(f, vmvnq_u32(vceqq_f32(v, v)));
}

/* any f[i] set */
static inline int f32v_nan_any(f32v_nan f)
{
    return vmaxvq_u32(f) != 0;
}

/* Lanes that are -inf (f32v_neg_inf_lanes), and v with those lanes set to +0 (f32v_zero_lanes). */
typedef uint32x4_t f32v_lanes;

static inline f32v_lanes f32v_neg_inf_lanes(f32v v)
{
    return vceqq_f32(v, vdupq_n_f32(-__builtin_inff()));
}

static inline f32v f32v_zero_lanes(f32v v, f32v_lanes l)
{
    return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(v), l));
}

/* v[i] = expf(x[i]), vexp_neon.h */
static inline f32v f32v_exp(f32v x)
{
    return mha_vexp_neon(x);
}

#endif
