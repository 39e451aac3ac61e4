/*
 * The project's own SGEMM: C = alpha * op(A) * op(B) + beta * C, fp32,
 * row-major, cache-blocked with packed panels and a register-blocked
 * micro-kernel written in plain C (sgemm_tmpl.h explains the blocking).
 *
 * One source, compiled once per instruction set: mha_sgemm_ops_c is built
 * with the baseline flags (what `gemm` uses), mha_sgemm_ops_avx2 (when
 * built) is the same C compiled with -mavx2 -mfma. The tile sizes depend
 * on the ISA, so packed buffers of one instantiation are only valid for
 * that instantiation: always go through one ops table.
 *
 * Row-major: element (i, j) of a matrix with leading dimension ld is at
 * [i * ld + j]. op(X) = X when trans is MHA_NO_TRANS, X^T when MHA_TRANS.
 * beta == 0 means C is written without being read (it may hold NaN).
 */
#ifndef MHA_SGEMM_H
#define MHA_SGEMM_H

#include "mha.h"

#include <stddef.h>
#include <stdint.h>

enum { MHA_NO_TRANS = 0, MHA_TRANS = 1 };

/*
 * A k x n B operand packed once and reused by many products (the K^T and
 * V panels of one key/value head serve every query head of its group).
 * A product may use a leading part of it: k' <= k rows, n' <= n columns.
 */
typedef struct mha_packed_b {
    const float *data;
    int64_t k, n;
} mha_packed_b;

typedef struct mha_sgemm_ops {
    const char *isa;   /* "c", "avx2" */
    int mr, nr;        /* micro-tile */

    /* Floats of scratch one thread needs for gemm_packed (one packed A block). */
    size_t work_floats;

    /* Floats of the packed form of a k x n B operand. */
    size_t (*packed_b_floats)(int64_t k, int64_t n);

    /* Packs op(B) (k x n) into dst (packed_b_floats(k, n) floats). */
    void (*pack_b)(int trans_b, int64_t k, int64_t n, const float *b, int64_t ldb, float *dst);

    /*
     * One thread: C (m x n) = alpha * op(A) (m x k) * B' + beta * C, where
     * B' is the leading k x n part of bp (k <= bp->k, n <= bp->n).
     * work holds work_floats floats. k == 0 gives C = beta * C.
     */
    void (*gemm_packed)(int trans_a, int64_t m, int64_t n, int64_t k, float alpha,
                        const float *a, int64_t lda, const mha_packed_b *bp,
                        float beta, float *c, int64_t ldc, float *work);

    /* Floats of the work buffer gemm needs for these sizes and up to `threads` threads. */
    size_t (*gemm_work_floats)(int64_t m, int64_t n, int64_t k, int threads);

    /*
     * C = alpha * op(A) * op(B) + beta * C with up to `threads` threads;
     * work holds gemm_work_floats(m, n, k, threads) floats (the packed
     * blocks). The bits of C do not depend on the thread count.
     */
    void (*gemm)(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                 const float *a, int64_t lda, const float *b, int64_t ldb,
                 float beta, float *c, int64_t ldc, int threads, float *work);
} mha_sgemm_ops;

extern const mha_sgemm_ops mha_sgemm_ops_c;
extern const mha_sgemm_ops mha_sgemm_ops_avx2; /* only in builds with the avx2 library */

/*
 * The layer's matmul (MHA_MATMUL_FN) on one SGEMM: C = A B, the SGEMM's
 * packed blocks in the caller's work buffer of
 * mha_matmul_sgemm_workspace() bytes (MHA_MATMUL_WORKSPACE_FN).
 */
size_t mha_matmul_sgemm_workspace(const mha_sgemm_ops *ops, int64_t m, int64_t n, int64_t k, int threads);
void mha_matmul_sgemm(const mha_sgemm_ops *ops, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                      const float *b, int64_t ldb, float *c, int64_t ldc, int threads, void *work);
MHA_MATMUL_FN(mha_matmul_gemm_c);
MHA_MATMUL_WORKSPACE_FN(mha_matmul_gemm_c_workspace);
/* only in builds with the avx2 library */
MHA_MATMUL_FN(mha_matmul_gemm_avx2);
MHA_MATMUL_WORKSPACE_FN(mha_matmul_gemm_avx2_workspace);

#endif
