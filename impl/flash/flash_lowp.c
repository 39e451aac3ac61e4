/*
 * The converting layer's baseline code (flash_lowp.h): loading and storing
 * rows of any dtype, the NaN/infinity test, the guarded P V step and the
 * V packing, and the dispatch of the streamed-decode kernels on the
 * call's dtype. Widening goes through the variant's table (vector code);
 * narrowing the output uses the portable conversions (dtype_convert.h).
 */
#include "../core/dtype_convert.h"
#include "flash_ctx.h"
#include "flash_lowp.h"

#include <string.h>

void flash_lp_load(const flash_kernels *kern, float *dst, const void *src, int64_t n, mha_dtype dtype)
{
    if (dtype == MHA_F32)
        memcpy(dst, src, (size_t)n * sizeof(float));
    else
        kern->lowp->widen[dtype](dst, src, n);
}

void flash_lp_store(void *dst, const float *o, int64_t n, float inv_l, mha_dtype out_dtype)
{
    if (out_dtype == MHA_F32) {
        float *d = dst;
        for (int64_t i = 0; i < n; i++)
            d[i] = o[i] * inv_l;
        return;
    }
    uint16_t *d = dst;
    for (int64_t i = 0; i < n; i++) {
        const float x = o[i] * inv_l; /* the fp32 result, then one rounding */
        d[i] = out_dtype == MHA_BF16 ? mha_f32_to_bf16_inline(x) : mha_f32_to_f16_inline(x);
    }
}

int flash_lp_nonfinite(const void *row, int64_t n, mha_dtype dtype)
{
    int bad = 0;
    if (dtype == MHA_F32) {
        const float *x = row;
        for (int64_t i = 0; i < n; i++)
            bad |= !(x[i] - x[i] == 0.0f); /* NaN or +-inf */
        return bad;
    }
    /* exponent field all ones: bf16 0x7f80, fp16 0x7c00 */
    const uint16_t e = dtype == MHA_BF16 ? 0x7f80u : 0x7c00u, *x = row;
    for (int64_t i = 0; i < n; i++)
        bad |= (x[i] & e) == e;
    return bad;
}

void flash_lp_axpy(const flash_kernels *kern, float *o, const void *row, int64_t n, float w, mha_dtype dtype)
{
    if (dtype == MHA_F32) {
        kern->axpy(o, row, n, w);
        return;
    }
    /* widened 64 at a time */
    float tmp[64];
    for (int64_t d0 = 0; d0 < n; d0 += 64) {
        const int64_t len = n - d0 < 64 ? n - d0 : 64;
        kern->lowp->widen[dtype](tmp, (const uint16_t *)row + d0, len);
        kern->axpy(o + d0, tmp, len, w);
    }
}

int flash_lp_pack_v(flash_ctx *c, int64_t k0, int64_t n, int check, int dr)
{
    const mha_args *a = c->a;
    const int64_t dh = a->shape.head_dim, ld = c->p->bk_pad;
    flash_lp_widen_fn *widen = c->kern->lowp->widen[a->dtype];
    int bad = 0;
    for (int64_t j = 0; j < n; j++) {
        const uint16_t *src = flash_lp_row(a->v, a->v_strides, c->b, k0 + j, c->g, a->dtype);
        int64_t d0 = 0;
        for (; d0 + dr <= dh; d0 += dr)
            widen(c->v_pack + (d0 / dr * ld + j) * dr, src + d0, dr);
        if (d0 < dh) {
            float *dst = c->v_pack + (d0 / dr * ld + j) * dr;
            widen(dst, src + d0, dh - d0);
            memset(dst + (dh - d0), 0, (size_t)(dr - (dh - d0)) * sizeof(float));
        }
        if (check)
            bad |= flash_lp_nonfinite(src, dh, a->dtype);
    }
    return bad;
}

void flash_lp_qk_rows(const flash_kernels *kern, const mha_args *a, const float *q, int nr, int64_t b, int64_t j,
                      int64_t g, int nk, float *s, int64_t lds)
{
    const int64_t dh = a->shape.head_dim, ldk = a->k_strides.seq;
    const void *k = flash_lp_row(a->k, a->k_strides, b, j, g, a->dtype);
    flash_prefetch none = {0}; /* the probabilities pass prefetches nothing */
    if (a->dtype == MHA_F32)
        kern->qk_rows(q, dh, nr, k, ldk, nk, dh, a->scale, s, lds, &none);
    else
        kern->lowp->qk_rows[a->dtype](q, dh, nr, k, ldk, nk, dh, a->scale, s, lds, &none);
}
