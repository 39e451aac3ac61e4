/*
 * simd_avx512: the naive row algorithm (impl/naive/mha_naive.c) with
 * AVX-512F intrinsics, 16 fp32 lanes, tails by mask registers. Compiled
 * with the avx512 flags of meson.build (F, BW, DQ, VL, AVX2, FMA, which the
 * compiler may use anywhere), so it requires all of them; registered only
 * where compiled.
 *
 * The kernels are simd_kernels.h over impl/vec/f32v_avx512.h; the row
 * algorithm, the threads, the K/V packing and the matmul loop are
 * simd_driver.h. P V accumulates 128 columns at a time; the matmul works in
 * 4 x 32 blocks.
 */
#include "../core/internal.h"
#include "../vec/f32v_avx512.h"

#define SIMD_NAME simd_avx512
#define SIMD_KEYS 8 /* keys whose scores are computed together */
#define SIMD_MR 4   /* matmul block: rows */
#define SIMD_NR 32 /* matmul block: columns (2 vectors) */

#include "simd_kernels.h"
#include "simd_driver.h"

const mha_impl mha_impl_simd_avx512 = {
    .abi_version = MHA_ABI_VERSION,
    .name = "simd_avx512",
    .algorithm = "simd",
    .isa = MHA_AVX512_ISA,
    .summary = "naive's row algorithm with AVX-512F intrinsics: 16 lanes, masked tails, vectorized exp",
    .cpu_features = MHA_CPU_AVX512_BUILD,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 45,
    .workspace = simd_avx512_workspace,
    .attention = simd_avx512_attention,
    .matmul = simd_avx512_matmul,
};
