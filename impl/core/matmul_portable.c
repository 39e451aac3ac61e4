/* The layer's default matmul: plain loops the compiler can vectorize. */
#include "internal.h"
#include "parallel.h"

static void matmul_rows(void *ctx, int64_t begin, int64_t end, int worker)
{
    const mha_matmul_call *m = ctx;
    (void)worker;
    for (int64_t i = begin; i < end; i++) {
        float *crow = m->c + i * m->ldc;
        for (int64_t j = 0; j < m->n; j++)
            crow[j] = 0.0f;
        for (int64_t p = 0; p < m->k; p++) {
            const float aip = m->a[i * m->lda + p];
            const float *brow = m->b + p * m->ldb;
            for (int64_t j = 0; j < m->n; j++)
                crow[j] += aip * brow[j];
        }
    }
}

/*
 * C[i][:] = sum_p A[i][p] * B[p][:]
 * i-p-j order: the inner loop walks a row of B and a row of C with unit
 * stride. Rows are independent, so threads split them without changing
 * any result bit. No work buffer.
 */
MHA_MATMUL_FN(mha_matmul_portable)
{
    (void)work;
    mha_matmul_call ctx = {m, n, k, lda, ldb, ldc, a, b, c};
    /* small products on one thread: waking others costs more than they save */
    mha_parallel_for(m * n * k > 32768 ? threads : 1, m, MHA_PARALLEL_BLOCKS, matmul_rows, &ctx);
}
