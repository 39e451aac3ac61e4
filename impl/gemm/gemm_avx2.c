/*
 * gemm_avx2: the `gemm` algorithm on the same SGEMM source compiled with
 * -mavx2 -mfma (sgemm_avx2.c). Only the products change; the driver and
 * the softmax are the baseline ones (mha_gemm.c, gemm_head.c).
 */
#include "gemm.h"

#include "internal.h"

static size_t gemm_avx2_workspace(const mha_shape *shape, int threads, int want_probs)
{
    return mha_gemm_workspace_with(shape, threads, want_probs, &mha_sgemm_ops_avx2);
}

static void gemm_avx2_attention(const mha_args *args, void *workspace)
{
    mha_gemm_attention_with(args, workspace, &mha_sgemm_ops_avx2);
}

MHA_MATMUL_WORKSPACE_FN(mha_matmul_gemm_avx2_workspace)
{
    return mha_matmul_sgemm_workspace(&mha_sgemm_ops_avx2, m, n, k, threads);
}

MHA_MATMUL_FN(mha_matmul_gemm_avx2)
{
    mha_matmul_sgemm(&mha_sgemm_ops_avx2, m, n, k, a, lda, b, ldb, c, ldc, threads, work);
}

const mha_impl mha_impl_gemm_avx2 = {
    .abi_version = MHA_ABI_VERSION,
    .name = "gemm_avx2",
    .algorithm = "gemm",
    .isa = "avx2",
    .summary = "gemm with its SGEMM's plain C compiled for AVX2+FMA",
    .cpu_features = MHA_CPU_AVX2 | MHA_CPU_FMA,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 35,
    .workspace = gemm_avx2_workspace,
    .attention = gemm_avx2_attention,
    .matmul = mha_matmul_gemm_avx2,
    .matmul_workspace = mha_matmul_gemm_avx2_workspace,
};
