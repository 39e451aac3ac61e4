/* The layer's matmul on the baseline SGEMM (MHA_MATMUL_FN). */
#include "sgemm.h"

#include "internal.h"

/* C = A B, C overwritten, threads split the row blocks of C. */
MHA_MATMUL_FN(mha_matmul_gemm_c)
{
    /* The SGEMM's packing buffers are a few MiB; if they cannot be had,
     * the portable loops compute the same product without them. */
    if (mha_sgemm_ops_c.gemm(MHA_NO_TRANS, MHA_NO_TRANS, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, threads))
        mha_matmul_portable(m, n, k, a, lda, b, ldb, c, ldc, threads);
}
