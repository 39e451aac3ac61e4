/* The layer's matmul on an SGEMM (MHA_MATMUL_FN; see sgemm.h). */
#include "sgemm.h"

#include "internal.h"

void mha_matmul_sgemm(const mha_sgemm_ops *ops, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                      const float *b, int64_t ldb, float *c, int64_t ldc, int threads)
{
    const size_t floats = ops->gemm_work_floats(m, n, k, threads);
    float *work = floats ? mha_alloc(floats * sizeof(float)) : NULL;
    if (floats && !work) {
        mha_matmul_portable(m, n, k, a, lda, b, ldb, c, ldc, threads);
        return;
    }
    ops->gemm(MHA_NO_TRANS, MHA_NO_TRANS, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, threads, work);
    mha_free(work);
}

MHA_MATMUL_FN(mha_matmul_gemm_c)
{
    mha_matmul_sgemm(&mha_sgemm_ops_c, m, n, k, a, lda, b, ldb, c, ldc, threads);
}
