/* The layer's default matmul: plain loops the compiler can vectorize. */
#include "internal.h"

/*
 * C[i][:] = sum_p A[i][p] * B[p][:]
 * i-p-j order: the inner loop walks a row of B and a row of C with unit
 * stride. Rows are independent, so threads split them without changing
 * any result bit.
 */
MHA_MATMUL_FN(mha_matmul_portable)
{
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads > 0 ? threads : 1) schedule(static) if (m * n * k > 32768)
#else
    (void)threads;
#endif
    for (int64_t i = 0; i < m; i++) {
        float *crow = c + i * ldc;
        for (int64_t j = 0; j < n; j++)
            crow[j] = 0.0f;
        for (int64_t p = 0; p < k; p++) {
            const float aip = a[i * lda + p];
            const float *brow = b + p * ldb;
            for (int64_t j = 0; j < n; j++)
                crow[j] += aip * brow[j];
        }
    }
}
