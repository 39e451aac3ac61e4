/*
 * The table of vec_kernels.h for one ISA: compiled per ISA
 * (tests/checkasm/meson.build) with its flags and
 * -DVEC_ISA=<isa> -DVEC_F32V_H="impl/vec/f32v_<isa>.h".
 */
#include VEC_F32V_H
#include "vec_kernels.h"

#define VEC_CAT2(a, b) a##b
#define VEC_CAT(a, b) VEC_CAT2(a, b)

static void vec_exp(const float *x, float *y, int64_t n)
{
    int64_t i = 0;
    for (; i + F32V_LANES <= n; i += F32V_LANES)
        f32v_store(y + i, f32v_exp(f32v_load(x + i)));
    if (i < n)
        f32v_store_tail(y + i, f32v_exp(f32v_load_tail(x + i, (int)(n - i))), (int)(n - i));
}

static float vec_hsum(const float *x)
{
    return f32v_hsum(f32v_load(x));
}

static float vec_hmax(const float *x)
{
    return f32v_hmax(f32v_load(x));
}

static void vec_hsum8_scaled(const float *a, float scale, float *out)
{
    f32v v[8];
    for (int u = 0; u < 8; u++)
        v[u] = f32v_load(a + u * F32V_LANES);
    f32v_hsum8_scaled(v, scale, out);
}

static void vec_copy_tail(const float *src, float *dst, int n)
{
    f32v_store_tail(dst, f32v_load_tail(src, n), n);
}

static int vec_has_nan(const float *x)
{
    return f32v_nan_any(f32v_nan_or(f32v_nan_none(), f32v_load(x)));
}

const checkasm_vec_kernels VEC_CAT(checkasm_vec_, VEC_ISA) = {
    .lanes = F32V_LANES,
    .exp = vec_exp,
    .hsum = vec_hsum,
    .hmax = vec_hmax,
    .hsum8_scaled = vec_hsum8_scaled,
    .copy_tail = vec_copy_tail,
    .has_nan = vec_has_nan,
};
