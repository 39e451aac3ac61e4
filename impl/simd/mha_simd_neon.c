/*
 * simd_neon: the naive row algorithm (impl/naive/mha_naive.c) with AArch64
 * Advanced SIMD intrinsics, 4 fp32 lanes. Registered only in aarch64
 * builds, run only where the CPU reports asimd.
 *
 * The kernels are simd_kernels.h over impl/vec/f32v_neon.h; the row
 * algorithm, the threads, the K/V packing and the matmul loop are
 * simd_driver.h. P V accumulates 32 columns at a time; the matmul works in
 * 4 x 8 blocks.
 */
#include "../core/internal.h"
#include "../vec/f32v_neon.h"

#define SIMD_NAME simd_neon
#define SIMD_KEYS 8 /* keys whose scores are computed together */
#define SIMD_MR 4   /* matmul block: rows */
#define SIMD_NR 8  /* matmul block: columns (2 vectors) */

#include "simd_kernels.h"
#include "simd_driver.h"

const mha_impl mha_impl_simd_neon = {
    .abi_version = MHA_ABI_VERSION,
    .name = "simd_neon",
    .algorithm = "simd",
    .isa = "neon",
    .summary = "naive's row algorithm with NEON intrinsics: 8 keys per dot block, vectorized exp",
    .cpu_features = MHA_CPU_NEON,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 40,
    .workspace = simd_neon_workspace,
    .attention = simd_neon_attention,
    .matmul = simd_neon_matmul,
};
