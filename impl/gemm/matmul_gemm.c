/* The layer's matmul on an SGEMM (MHA_MATMUL_FN; see sgemm.h). */
#include "sgemm.h"

#include "internal.h"

size_t mha_matmul_sgemm_workspace(const mha_sgemm_ops *ops, int64_t m, int64_t n, int64_t k, int threads)
{
    const size_t floats = ops->gemm_work_floats(m, n, k, threads);
    return floats > SIZE_MAX / sizeof(float) ? SIZE_MAX : floats * sizeof(float);
}

void mha_matmul_sgemm(const mha_sgemm_ops *ops, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                      const float *b, int64_t ldb, float *c, int64_t ldc, int threads, void *work)
{
    ops->gemm(MHA_NO_TRANS, MHA_NO_TRANS, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, threads, work);
}

MHA_MATMUL_WORKSPACE_FN(mha_matmul_gemm_c_workspace)
{
    return mha_matmul_sgemm_workspace(&mha_sgemm_ops_c, m, n, k, threads);
}

MHA_MATMUL_FN(mha_matmul_gemm_c)
{
    mha_matmul_sgemm(&mha_sgemm_ops_c, m, n, k, a, lda, b, ldb, c, ldc, threads, work);
}
