/* Helpers shared by the library's own files; not part of the public interface. */
#ifndef MHA_INTERNAL_H
#define MHA_INTERNAL_H

#include "dtype_convert.h"
#include "mha.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define MHA_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define MHA_PRINTF(f, a)
#endif

/*
 * What the avx512 static library's compile flags (-mavx512f -mavx512bw
 * -mavx512dq -mavx512vl -mavx2 -mfma, meson.build) let the compiler use
 * anywhere in those files: every implementation built there requires all of it.
 * In a test build with -Davx512_emulation=true those files are compiled with
 * -mavx2 -mfma and SIMDe (impl/vec/avx512_intrinsics.h): that is all they need.
 */
#ifdef MHA_AVX512_EMULATION
#define MHA_CPU_AVX512_BUILD (MHA_CPU_AVX2 | MHA_CPU_FMA)
#else
#define MHA_CPU_AVX512_BUILD \
    (MHA_CPU_AVX512F | MHA_CPU_AVX512BW | MHA_CPU_AVX512DQ | MHA_CPU_AVX512VL | MHA_CPU_AVX2 | MHA_CPU_FMA)
#endif

/* Records the message returned by mha_last_error() and returns status. */
mha_status mha_fail(mha_status status, const char *fmt, ...) MHA_PRINTF(2, 3);

/*
 * For an attention function that cannot compute (its signature returns
 * nothing): records status and the message for mha_last_error(); the
 * attention function must then leave out and probs untouched and return.
 * mha_attention() returns that status. Call from the calling thread only.
 */
void mha_impl_fail(mha_status status, const char *fmt, ...) MHA_PRINTF(2, 3);

/* The status recorded by mha_impl_fail() since the last call (MHA_OK if none); clears it. */
mha_status mha_impl_failure_take(void);

/* Threads to use for a request of n (0 = all cores). */
int mha_resolve_threads(int requested);

/*
 * Threads a loop over `items` work items can use: min(threads, items), at
 * least 1. Workspace functions size per-thread slots with it, so memory
 * never grows with threads beyond the work.
 */
static inline int mha_threads_for(int threads, int64_t items)
{
    if (threads < 1 || items < 1)
        return 1;
    return items < threads ? (int)items : threads;
}

/* mha_validate()'s checks of the arguments alone: pointers, shape, strides,
 * scale, threads, extents and overlaps (no descriptor, workspace or CPU). */
mha_status mha_validate_args(const mha_args *args);

/* scale, or 1/sqrt(Dh) when scale == 0. */
float mha_resolve_scale(float scale, int64_t head_dim);

/* 64-byte aligned allocation; NULL on failure or size 0. */
void *mha_alloc(size_t bytes);
void mha_free(void *p);

/* A matmul's arguments (MHA_MATMUL_FN), as the context of its threads' loop. */
typedef struct mha_matmul_call {
    int64_t m, n, k, lda, ldb, ldc;
    const float *a, *b;
    float *c;
} mha_matmul_call;

/* The portable matmul the layer uses when an implementation has none. */
MHA_MATMUL_FN(mha_matmul_portable);

/*
 * Pointers to row (b, s, h) of a strided view. Offsets are computed in
 * int64_t; validation has proved that the whole view fits.
 */
static inline const float *mha_row(const float *base, mha_strides st,
                                   int64_t b, int64_t s, int64_t h)
{
    return base + b * st.batch + s * st.seq + h * st.head;
}

static inline float *mha_row_mut(float *base, mha_strides st, int64_t b,
                                 int64_t s, int64_t h)
{
    return base + b * st.batch + s * st.seq + h * st.head;
}

/* Bytes of an element of a valid dtype (mha_dtype_size() without the call). */
static inline int64_t mha_elem_bytes(mha_dtype dtype)
{
    return dtype == MHA_F32 ? 4 : 2;
}

/* Row (b, s, h) of a strided view of any dtype: the offset in elements times its size. */
static inline const void *mha_row_of(const void *base, mha_dtype dtype, mha_strides st,
                                     int64_t b, int64_t s, int64_t h)
{
    return (const char *)base + (b * st.batch + s * st.seq + h * st.head) * mha_elem_bytes(dtype);
}

static inline void *mha_row_of_mut(void *base, mha_dtype dtype, mha_strides st,
                                   int64_t b, int64_t s, int64_t h)
{
    return (char *)base + (b * st.batch + s * st.seq + h * st.head) * mha_elem_bytes(dtype);
}

/* Element i of a row of dtype, exactly as fp32. */
static inline float mha_load_f32(const void *row, mha_dtype dtype, int64_t i)
{
    switch (dtype) {
    case MHA_BF16: return mha_bf16_to_f32_inline(((const uint16_t *)row)[i]);
    case MHA_F16:  return mha_f16_to_f32_inline(((const uint16_t *)row)[i]);
    default:       return ((const float *)row)[i];
    }
}

/* Element i of a row of dtype := x rounded to dtype (nearest even). */
static inline void mha_store_f32(void *row, mha_dtype dtype, int64_t i, float x)
{
    switch (dtype) {
    case MHA_BF16: ((uint16_t *)row)[i] = mha_f32_to_bf16_inline(x); break;
    case MHA_F16:  ((uint16_t *)row)[i] = mha_f32_to_f16_inline(x); break;
    default:       ((float *)row)[i] = x; break;
    }
}

/* x rounded to dtype (nearest even), as the fp32 value it is. */
static inline float mha_round_f32(mha_dtype dtype, float x)
{
    switch (dtype) {
    case MHA_BF16: return mha_bf16_to_f32_inline(mha_f32_to_bf16_inline(x));
    case MHA_F16:  return mha_f16_to_f32_inline(mha_f32_to_f16_inline(x));
    default:       return x;
    }
}

/* The supported combinations of a descriptor: dtypes, or MHA_IO_F32 when 0. */
static inline uint32_t mha_impl_dtypes(const mha_impl *impl)
{
    return impl->dtypes ? impl->dtypes : MHA_IO_F32;
}

/* Mask row (b, h, i) or NULL when there is no mask. */
static inline const float *mha_mask_row(const mha_args *a, int64_t b,
                                        int64_t h, int64_t i)
{
    if (!a->mask)
        return NULL;
    return a->mask + b * a->mask_strides.batch + h * a->mask_strides.head +
           i * a->mask_strides.row;
}

/* Offset of row (b, h, i) in the probabilities, contiguous [B][H][Sq][Skv]. */
static inline int64_t mha_probs_offset(const mha_shape *s, int64_t b, int64_t h, int64_t i)
{
    return ((b * s->heads + h) * s->q_len + i) * s->kv_len;
}

/*
 * Number of keys query row i may see under the causal flag: keys
 * j < mha_causal_limit(i) are visible, bottom-right aligned
 * (j <= i + Skv - Sq). Without the flag, all Skv keys.
 * May be <= 0 (row fully masked) when Sq > Skv.
 */
static inline int64_t mha_causal_limit(const mha_args *a, int64_t i)
{
    if (!a->causal)
        return a->shape.kv_len;
    int64_t lim = i + a->shape.kv_len - a->shape.q_len + 1;
    if (lim < 0)
        return 0;
    return lim < a->shape.kv_len ? lim : a->shape.kv_len;
}

/* Query heads per key/value head: query head h reads kv head h / group. */
static inline int64_t mha_group_size(const mha_shape *s)
{
    return s->heads / s->kv_heads;
}

#endif
