/*
 * Low-precision inputs (bf16, fp16) in the fp32 flash variants: the
 * converting layer. Q, K and V of args->dtype are widened to fp32 where
 * the driver copies them anyway (loading a Q block, packing K and V
 * blocks), so the fp32 microkernels run unchanged and the memory is read
 * at 2 bytes per element. Where nothing is copied (the streamed decode,
 * the scores of a written P in flash_probs.c) the table's qk_rows and
 * pv_rows read the rows in place and widen them in registers, with the
 * fp32 kernels' arithmetic; a table without pv_rows has the streamed
 * decode widen each step of rows into a buffer for the fp32 kernels
 * instead. O is rounded once to args->out_dtype when stored (round to
 * nearest even). Widening is exact, so with out_dtype fp32 a variant's
 * result on bf16 or fp16 inputs is bit for bit its result on the widened
 * fp32 inputs (tests/test_flash_lowp.c checks it).
 *
 * A variant opts in by naming a flash_lowp_kernels table in its kernel
 * table (flash_kernels.lowp); flash_avx2 and flash_avx512 name
 * flash_lowp_avx2 (flash_lowp_avx2.c, AVX2 + F16C), flash_neon names
 * flash_lowp_neon (flash_lowp_neon.c).
 */
#ifndef MHA_FLASH_LOWP_H
#define MHA_FLASH_LOWP_H

#include "../core/dtype_convert.h"
#include "../core/internal.h"

#include <stdint.h>

struct flash_ctx;
struct flash_kernels;

/* dst[i] = src[i] widened to fp32 (exact), i < n */
typedef void flash_lp_widen_fn(float *dst, const void *src, int64_t n);
/* flash_qk_rows_fn with K rows of the table's dtype */
typedef void flash_lp_qk_rows_fn(const float *q, int64_t ldq, int nr, const void *k, int64_t ldk, int nk, int64_t dh,
                                 float scale, float *s, int64_t lds, flash_prefetch *pf);
/* flash_pv_rows_fn with V rows of the table's dtype */
typedef void flash_lp_pv_rows_fn(const float *p, int64_t ldp, int nr, const void *v, int64_t ldv, int n, int64_t dh,
                                 const float *alpha, int rescale, float *o, int64_t ldo, flash_prefetch *pf);
/* K[k0, k0 + n) of the call's dtype into strips of nr keys, as flash_tmpl.c's pack_k */
typedef void flash_lp_pack_k_fn(struct flash_ctx *c, int64_t k0, int64_t n, int nr);

/* Per dtype (index mha_dtype; the MHA_F32 entries are unused). */
typedef struct flash_lowp_kernels {
    flash_lp_widen_fn *widen[MHA_DTYPE_COUNT];
    flash_lp_qk_rows_fn *qk_rows[MHA_DTYPE_COUNT];
    /* the streamed decode's P V on rows in place; a table without them (NULL) has the stream widen each step */
    flash_lp_pv_rows_fn *pv_rows[MHA_DTYPE_COUNT];
    flash_lp_pack_k_fn *pack_k;
} flash_lowp_kernels;

/* AVX2 + F16C (flash_lowp_avx2.c) */
extern const flash_lowp_kernels flash_lowp_avx2;
/* AVX-512F streamed-decode kernels with flash_lowp_avx2's bits (flash_stream_avx512.c), its prefill packing */
extern const flash_lowp_kernels flash_lowp_avx512;
flash_lp_pack_k_fn flash_lp_pack_k_avx2;
/* AArch64 Advanced SIMD (flash_lowp_neon.c) */
extern const flash_lowp_kernels flash_lowp_neon;

/* The MHA_IO_* combinations a variant with a flash_lowp_kernels table runs. */
#define FLASH_LOWP_DTYPES (MHA_IO_F32 | MHA_IO_BF16_F32 | MHA_IO_BF16 | MHA_IO_F16_F32 | MHA_IO_F16)

/* Bytes of one element of dtype (mha_dtype_size() without the call). */
static inline size_t flash_lp_size(mha_dtype dtype)
{
    return dtype == MHA_F32 ? 4 : 2;
}

/* Row (b, s, h) of a strided view of dtype; strides count elements. */
static inline const void *flash_lp_row(const void *base, mha_strides st, int64_t b, int64_t s, int64_t h,
                                       mha_dtype dtype)
{
    return (const char *)base + (b * st.batch + s * st.seq + h * st.head) * (int64_t)flash_lp_size(dtype);
}

/* The output row (b, s, h) of args->out, of args->out_dtype. */
static inline void *flash_lp_out_row(const mha_args *a, int64_t b, int64_t s, int64_t h)
{
    const mha_strides st = a->out_strides;
    return (char *)a->out + (b * st.batch + s * st.seq + h * st.head) * (int64_t)flash_lp_size(a->out_dtype);
}

/* One element of dtype (bf16 or fp16) widened with the portable conversion (exact). */
static inline float flash_lp_widen1(const uint16_t *p, mha_dtype dtype)
{
    return dtype == MHA_BF16 ? mha_bf16_to_f32_inline(*p) : mha_f16_to_f32_inline(*p);
}

/*
 * `const flash_lowp_kernels name`, whose per-dtype entries call the
 * inline functions widen(dst, src, n, dtype) and qk_rows(..., dtype, pf)
 * (the flash_lp_*_fn arguments, then the dtype) with
 * MHA_BF16 and MHA_F16, so each is compiled once per dtype; pack_k reads
 * the dtype from its context; further initializers of the table (such as
 * .pv_rows) follow pack_k.
 */
#define FLASH_LOWP_TABLE(name, widen, qk_rows, pack_k_fn, ...)                                             \
    static void name##_widen_bf16(float *dst, const void *src, int64_t n) { widen(dst, src, n, MHA_BF16); }   \
    static void name##_widen_f16(float *dst, const void *src, int64_t n) { widen(dst, src, n, MHA_F16); }     \
    static void name##_qk_rows_bf16(const float *q, int64_t ldq, int nr, const void *k, int64_t ldk, int nk,  \
                                    int64_t dh, float scale, float *s, int64_t lds, flash_prefetch *pf)       \
    {                                                                                                         \
        qk_rows(q, ldq, nr, k, ldk, nk, dh, scale, s, lds, MHA_BF16, pf);                                     \
    }                                                                                                         \
    static void name##_qk_rows_f16(const float *q, int64_t ldq, int nr, const void *k, int64_t ldk, int nk,   \
                                   int64_t dh, float scale, float *s, int64_t lds, flash_prefetch *pf)        \
    {                                                                                                         \
        qk_rows(q, ldq, nr, k, ldk, nk, dh, scale, s, lds, MHA_F16, pf);                                      \
    }                                                                                                         \
    const flash_lowp_kernels name = {                                                                         \
        .widen = {[MHA_BF16] = name##_widen_bf16, [MHA_F16] = name##_widen_f16},                              \
        .qk_rows = {[MHA_BF16] = name##_qk_rows_bf16, [MHA_F16] = name##_qk_rows_f16},                        \
        .pack_k = pack_k_fn,                                                                                  \
        __VA_ARGS__}

/* FLASH_LOWP_TABLE with the streamed decode's P V in place: the inline function pv_rows(..., dtype, pf)
 * (the flash_lp_pv_rows_fn arguments, then the dtype), compiled once per dtype. */
#define FLASH_LOWP_TABLE_WITH_PV(name, widen, qk_rows, pv_rows, pack_k_fn)                                   \
    static void name##_pv_rows_bf16(const float *p, int64_t ldp, int nr, const void *v, int64_t ldv, int n,   \
                                    int64_t dh, const float *alpha, int rescale, float *o, int64_t ldo,       \
                                    flash_prefetch *pf)                                                       \
    {                                                                                                         \
        pv_rows(p, ldp, nr, v, ldv, n, dh, alpha, rescale, o, ldo, MHA_BF16, pf);                             \
    }                                                                                                         \
    static void name##_pv_rows_f16(const float *p, int64_t ldp, int nr, const void *v, int64_t ldv, int n,    \
                                   int64_t dh, const float *alpha, int rescale, float *o, int64_t ldo,        \
                                   flash_prefetch *pf)                                                        \
    {                                                                                                         \
        pv_rows(p, ldp, nr, v, ldv, n, dh, alpha, rescale, o, ldo, MHA_F16, pf);                              \
    }                                                                                                         \
    FLASH_LOWP_TABLE(name, widen, qk_rows, pack_k_fn,                                                         \
                     .pv_rows = {[MHA_BF16] = name##_pv_rows_bf16, [MHA_F16] = name##_pv_rows_f16})

/* flash_lowp.c (baseline code) */
/* dst[0..n) = src[0..n) of dtype, widened with the variant's kernels (a copy for fp32). */
void flash_lp_load(const struct flash_kernels *kern, float *dst, const void *src, int64_t n, mha_dtype dtype);
/* dst[0..n) of out_dtype = o[i] * inv_l, rounded once (nearest even) to out_dtype. */
void flash_lp_store(void *dst, const float *o, int64_t n, float inv_l, mha_dtype out_dtype);
/* Whether row[0..n) of dtype holds a NaN or an infinity. */
int flash_lp_nonfinite(const void *row, int64_t n, mha_dtype dtype);
/* o[0..n) += w * row[0..n) of dtype, with the variant's axpy. */
void flash_lp_axpy(const struct flash_kernels *kern, float *o, const void *row, int64_t n, float w, mha_dtype dtype);
/* Pack V[k0, k0 + n) as flash_tmpl.c's pack_v does (strips of dr head dims), widening from the
 * call's dtype; with check set, returns whether the block holds a NaN or an infinity. */
int flash_lp_pack_v(struct flash_ctx *c, int64_t k0, int64_t n, int check, int dr);
/* P of a block (flash_probs.c): the table's qk_rows on K rows [j, j + nk) of (b, g), in place, of the call's dtype. */
void flash_lp_qk_rows(const struct flash_kernels *kern, const mha_args *a, const float *q, int nr, int64_t b,
                      int64_t j, int64_t g, int nk, float *s, int64_t lds);

#endif
