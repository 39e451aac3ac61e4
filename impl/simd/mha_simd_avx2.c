/*
 * simd_avx2: the naive row algorithm (impl/naive/mha_naive.c) with AVX2+FMA
 * intrinsics, 8 fp32 lanes. Compiled with -mavx2 -mfma; registered only
 * where compiled, run only on CPUs with AVX2 and FMA.
 *
 * The kernels are simd_kernels.h over impl/vec/f32v_avx2.h; the row
 * algorithm, the threads, the K/V packing and the matmul loop are
 * simd_driver.h. P V accumulates 64 columns at a time; the matmul works in
 * 4 x 16 blocks.
 */
#include "../core/internal.h"
#include "../vec/f32v_avx2.h"

#define SIMD_NAME simd_avx2
#define SIMD_KEYS 8 /* keys whose scores are computed together */
#define SIMD_MR 4   /* matmul block: rows */
#define SIMD_NR 16 /* matmul block: columns (2 vectors) */

#include "simd_kernels.h"
#include "simd_driver.h"

const mha_impl mha_impl_simd_avx2 = {
    .abi_version = MHA_ABI_VERSION,
    .name = "simd_avx2",
    .algorithm = "simd",
    .isa = "avx2",
    .summary = "naive's row algorithm with AVX2+FMA intrinsics: 8 keys per dot block, vectorized exp",
    .cpu_features = MHA_CPU_AVX2 | MHA_CPU_FMA,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 40,
    .workspace = simd_avx2_workspace,
    .attention = simd_avx2_attention,
    .matmul = simd_avx2_matmul,
};
