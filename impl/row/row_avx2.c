/*
 * simd_avx2: the row algorithm (row.h) with AVX2+FMA, 8 fp32 lanes.
 * Compiled with -mavx2 -mfma; registered only where compiled, run only on
 * CPUs with AVX2 and FMA. The layer's products: gemm_avx2's SGEMM.
 */
#include "../vec/f32v_avx2.h"
#define ROW_ISA avx2
#define ROW_QROWS 1 /* query rows at once: 8 key accumulators a row fill 8 of 16 ymm registers */
#include "row_kernels_tmpl.h"

#include "../gemm/sgemm.h"

static void simd_avx2_attention(const mha_args *args, void *workspace)
{
    row_attention(args, workspace, &row_kernels_avx2);
}

const mha_impl mha_impl_simd_avx2 = {
    .abi_version = MHA_ABI_VERSION,
    .name = "simd_avx2",
    .algorithm = "simd",
    .isa = "avx2",
    .summary = "naive's row algorithm with AVX2+FMA intrinsics: 8 keys per dot block, vectorized exp",
    .cpu_features = MHA_CPU_AVX2 | MHA_CPU_FMA,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 40,
    .workspace = row_workspace,
    .attention = simd_avx2_attention,
    .matmul = mha_matmul_gemm_avx2,
    .matmul_workspace = mha_matmul_gemm_avx2_workspace,
};
