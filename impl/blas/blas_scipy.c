/*
 * blas_scipy: mha_blas.c built again against PyPI's OpenBLAS
 * (scipy-openblas32: libscipy_openblas.so, a current OpenBLAS whose symbols
 * all carry the prefix scipy_, so it loads beside Debian's OpenBLAS in one
 * process). Its cblas.h declares scipy_cblas_sgemm and friends; the names
 * mha_blas.c calls are mapped onto them here. Threads as in `blas`: one
 * OpenBLAS thread per product, so the same bits for any thread count.
 */
#define MHA_BLAS_HEADER <cblas.h> /* scipy-openblas32's, first on this file's include path */
#define MHA_BLAS_IMPL mha_impl_blas_scipy
#define MHA_BLAS_NAME "blas_scipy"
#define MHA_BLAS_SUMMARY "reshape-then-GEMM with both products by PyPI scipy-openblas32's cblas_sgemm"
#define MHA_BLAS_CAPS (MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS)

#define cblas_sgemm scipy_cblas_sgemm
#define openblas_get_num_threads scipy_openblas_get_num_threads
#define openblas_set_num_threads scipy_openblas_set_num_threads

#include "mha_blas.c"
