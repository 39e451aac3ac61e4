/*
 * The vector shims of impl/vec (f32v_<isa>.h, with f32v_exp) are inline
 * functions; vec_tmpl.c, compiled once per ISA with its flags, wraps them
 * into this table so that check_vec.c can call them.
 */
#ifndef MHA_CHECKASM_VEC_KERNELS_H
#define MHA_CHECKASM_VEC_KERNELS_H

#include <stdint.h>

typedef struct checkasm_vec_kernels {
    int lanes; /* F32V_LANES */
    /* y[i] = f32v_exp(x)[i], i < n; whole vectors through f32v_load and
     * f32v_store, the last n % lanes through f32v_load_tail and f32v_store_tail */
    void (*exp)(const float *x, float *y, int64_t n);
    /* f32v_hsum and f32v_hmax of the vector x[0..lanes) */
    float (*hsum)(const float *x);
    float (*hmax)(const float *x);
    /* out[u] = f32v_hsum8_scaled: scale * sum of the lanes of vector a[u * lanes ..], u < 8 */
    void (*hsum8_scaled)(const float *a, float scale, float *out);
    /* f32v_store_tail(dst, f32v_load_tail(src, n), n), n in [0, lanes] */
    void (*copy_tail)(const float *src, float *dst, int n);
    /* f32v_nan_any(f32v_nan_or(f32v_nan_none(), vector x[0..lanes))) */
    int (*has_nan)(const float *x);
} checkasm_vec_kernels;

extern const checkasm_vec_kernels checkasm_vec_avx2, checkasm_vec_avx512, checkasm_vec_neon;

#endif
