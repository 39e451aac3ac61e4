/*
 * simd_avx512: the row algorithm (row.h) with AVX-512F, 16 fp32 lanes,
 * tails by mask registers. Compiled with the avx512 flags of meson.build
 * (F, BW, DQ, VL, AVX2, FMA, which the compiler may use anywhere), so it
 * requires all of them; registered only where compiled. The layer's
 * products: gemm_avx2's SGEMM (AVX2 and FMA are among those features).
 */
#include "../vec/f32v_avx512.h"
#define ROW_ISA avx512
#define ROW_QROWS 3 /* query rows at once: 24 key accumulators, 3 query vectors and a K vector in 32 zmm registers */
#include "row_kernels_tmpl.h"

#include "../gemm/sgemm.h"

static void simd_avx512_attention(const mha_args *args, void *workspace)
{
    row_attention(args, workspace, &row_kernels_avx512);
}

const mha_impl mha_impl_simd_avx512 = {
    .abi_version = MHA_ABI_VERSION,
    .name = "simd_avx512",
    .algorithm = "simd",
    .isa = MHA_AVX512_ISA,
    .summary = "naive's row algorithm with AVX-512F intrinsics: 16 lanes, masked tails, vectorized exp",
    .cpu_features = MHA_CPU_AVX512_BUILD,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 45,
    .workspace = row_workspace,
    .attention = simd_avx512_attention,
    .matmul = mha_matmul_gemm_avx2,
    .matmul_workspace = mha_matmul_gemm_avx2_workspace,
};
