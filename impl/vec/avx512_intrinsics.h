/*
 * Where the AVX-512 files get their intrinsics.
 *
 * Normally from the compiler (<immintrin.h>, files built with -mavx512f...).
 * A test build configured with -Davx512_emulation=true defines
 * MHA_AVX512_EMULATION and takes them from SIMDe instead (Debian's
 * libsimde-dev, https://github.com/simd-everywhere/simde): the same
 * _mm512_* names, implemented with AVX2 and scalar code, so the AVX-512
 * kernels' logic (masked tails, reductions, vscalefps) runs and is checked
 * on a CPU without AVX-512. Such a build says so in every AVX-512
 * descriptor's isa ("avx512-simde") and builds no benchmark: emulated
 * timings mean nothing.
 */
#ifndef MHA_AVX512_INTRINSICS_H
#define MHA_AVX512_INTRINSICS_H

#ifdef MHA_AVX512_EMULATION
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>

#include <math.h>
#include <stdint.h>

#include "../core/dtype_convert.h" /* mha_f16_to_f32_inline */
#define MHA_AVX512_ISA "avx512-simde"

/*
 * SIMDe 0.7.4 (Debian 12) has no _mm512_reduce_{add,max}_ps: ours, in the
 * order GCC 12's avx512fintrin.h evaluates them, so the emulated kernels
 * round (and pass NaN through max) as the compiled ones do:
 *   t = hi8 op lo8;  u = hi4(t) op lo4(u);  w = u op (u2 u3 u0 u1);
 *   add: w0 + w1      max: (w op (w1 w0 w1 w0))_0
 * (x86 max returns its second operand when either is NaN; the order of the
 * operands is part of the result.)
 */
static inline __m128 mha_emulated_fold_to_128(__m512 v, int is_max)
{
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    __m256 lo = _mm512_castps512_ps256(v);
    __m256 t = is_max ? _mm256_max_ps(hi, lo) : _mm256_add_ps(hi, lo);
    __m128 t_hi = _mm256_extractf128_ps(t, 1), t_lo = _mm256_castps256_ps128(t);
    __m128 u = is_max ? _mm_max_ps(t_hi, t_lo) : _mm_add_ps(t_hi, t_lo);
    __m128 u_swapped = _mm_shuffle_ps(u, u, _MM_SHUFFLE(1, 0, 3, 2));
    return is_max ? _mm_max_ps(u, u_swapped) : _mm_add_ps(u, u_swapped);
}

static inline float mha_emulated_reduce_add_ps(__m512 v)
{
    __m128 w = mha_emulated_fold_to_128(v, 0);
    return _mm_cvtss_f32(w) + _mm_cvtss_f32(_mm_shuffle_ps(w, w, _MM_SHUFFLE(1, 1, 1, 1)));
}

static inline float mha_emulated_reduce_max_ps(__m512 v)
{
    __m128 w = mha_emulated_fold_to_128(v, 1);
    return _mm_cvtss_f32(_mm_max_ps(w, _mm_shuffle_ps(w, w, _MM_SHUFFLE(0, 1, 0, 1))));
}

/*
 * Nor masked loads and stores. As the instructions do, these touch only
 * the lanes whose mask bit is set (a masked-off lane past the end of an
 * array is never read or written), and a load zeroes the other lanes.
 */
static inline __m512 mha_emulated_maskz_loadu_ps(__mmask16 mask, const void *p)
{
    float lanes[16] = {0};
    for (int i = 0; i < 16; i++)
        if (mask >> i & 1)
            lanes[i] = ((const float *)p)[i];
    return _mm512_loadu_ps(lanes);
}

static inline void mha_emulated_mask_storeu_ps(void *p, __mmask16 mask, __m512 v)
{
    float lanes[16];
    _mm512_storeu_ps(lanes, v);
    for (int i = 0; i < 16; i++)
        if (mask >> i & 1)
            ((float *)p)[i] = lanes[i];
}

/*
 * SIMDe's _mm512_scalef_ps is a * exp2(floor(b)), which overflows when
 * 2^floor(b) does (exp(88.38) = p * 2^128 with p < 1 came out 4.9 million
 * ULPs off) and flushes subnormal a. vscalefps rounds a * 2^floor(b) once
 * (Intel SDM, VSCALEFPS). Per lane: the product is exact in double for
 * |e| <= 300 (a has 24 significant bits), then one rounding to float;
 * floor(b) beyond +-300 gives the same float result as +-300 does.
 * Special cases as the SDM's table: NaN in -> NaN; 0 * 2^+inf and
 * inf * 2^-inf -> NaN; otherwise 2^+inf -> +-inf and 2^-inf -> +-0.
 */
static inline __m512 mha_emulated_scalef_ps(__m512 a, __m512 b)
{
    float av[16], bv[16], r[16];
    _mm512_storeu_ps(av, a);
    _mm512_storeu_ps(bv, b);
    for (int i = 0; i < 16; i++) {
        float x = av[i], y = bv[i];
        if (x != x || y != y) {
            r[i] = x + y; /* NaN */
        } else if (y == (float)INFINITY || y == -(float)INFINITY) {
            int zero_times_inf = y > 0 ? x == 0.0f : (x == (float)INFINITY || x == -(float)INFINITY);
            r[i] = zero_times_inf ? (float)NAN : (y > 0 ? x * (float)INFINITY : x * 0.0f);
        } else {
            double e = floor((double)y);
            e = e > 300 ? 300 : e < -300 ? -300 : e;
            r[i] = (float)((double)x * ldexp(1.0, (int)e));
        }
    }
    return _mm512_loadu_ps(r);
}

/* Nor the widening conversions of 16 uint16 lanes (vpmovzxwd) and of 16 fp16 lanes (vcvtph2ps, exact): lane by lane. */
static inline __m512i mha_emulated_cvtepu16_epi32(__m256i x)
{
    uint16_t in[16];
    int32_t out[16];
    _mm256_storeu_si256((__m256i *)(void *)in, x);
    for (int i = 0; i < 16; i++)
        out[i] = in[i];
    return _mm512_loadu_si512(out);
}

static inline __m512 mha_emulated_cvtph_ps(__m256i x)
{
    uint16_t in[16];
    float out[16];
    _mm256_storeu_si256((__m256i *)(void *)in, x);
    for (int i = 0; i < 16; i++)
        out[i] = mha_f16_to_f32_inline(in[i]);
    return _mm512_loadu_ps(out);
}

#undef _mm512_scalef_ps
#define _mm512_scalef_ps mha_emulated_scalef_ps
#define _mm512_cvtepu16_epi32 mha_emulated_cvtepu16_epi32
#define _mm512_cvtph_ps mha_emulated_cvtph_ps
#define _mm512_reduce_add_ps mha_emulated_reduce_add_ps
#define _mm512_maskz_loadu_ps mha_emulated_maskz_loadu_ps
#define _mm512_mask_storeu_ps mha_emulated_mask_storeu_ps
#define _mm512_reduce_max_ps mha_emulated_reduce_max_ps
#else
#include <immintrin.h>
#define MHA_AVX512_ISA "avx512"
#endif

#endif
