/*
 * simd_neon: the row algorithm (row.h) with AArch64 Advanced SIMD, 4 fp32
 * lanes. Registered only in aarch64 builds, run only where the CPU reports
 * asimd. The layer's products: gemm's SGEMM (baseline AArch64 has asimd).
 */
#include "../vec/f32v_neon.h"
#define ROW_ISA neon
#define ROW_QROWS 1 /* query rows at once: 1 until measured on Arm hardware (its 32 registers would hold 3) */
#include "row_kernels_tmpl.h"

#include "../gemm/sgemm.h"

static void simd_neon_attention(const mha_args *args, void *workspace)
{
    row_attention(args, workspace, &row_kernels_neon);
}

const mha_impl mha_impl_simd_neon = {
    .abi_version = MHA_ABI_VERSION,
    .name = "simd_neon",
    .algorithm = "simd",
    .isa = "neon",
    .summary = "naive's row algorithm with NEON intrinsics: 8 keys per dot block, vectorized exp",
    .cpu_features = MHA_CPU_NEON,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 40,
    .workspace = row_workspace,
    .attention = simd_neon_attention,
    .matmul = mha_matmul_gemm_c,
    .matmul_workspace = mha_matmul_gemm_c_workspace,
};
