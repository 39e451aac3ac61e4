/*
 * blas_mkl: mha_blas.c built again against Intel oneMKL (PyPI mkl-devel,
 * libmkl_rt). MKL exports cblas_sgemm under the same name as OpenBLAS
 * (libmha links both, and the first loaded wins), so the products call
 * MKL's upper-case alias CBLAS_SGEMM, which only MKL has.
 * Threads: MKL's sequential layer, chosen once before MKL's first use, so
 * every product runs on the thread that calls it as `blas` asks of
 * OpenBLAS; should the process have used MKL already under another layer,
 * MKL_Set_Num_Threads(1) for the call's duration does the same.
 * Not declared deterministic: MKL documents that without its Conditional
 * Numerical Reproducibility mode (MKL_CBWR) its results may depend on the
 * memory alignment of the operands, and the score buffer a product reads
 * is the one of whichever worker runs it.
 */
#define cblas_sgemm CBLAS_SGEMM /* before mkl_cblas.h: its prototype then declares the alias */

#define MHA_BLAS_HEADER <mkl_cblas.h>
#define MHA_BLAS_IMPL mha_impl_blas_mkl
#define MHA_BLAS_NAME "blas_mkl"
#define MHA_BLAS_SUMMARY "reshape-then-GEMM with both products by oneMKL's cblas_sgemm (sequential layer)"
#define MHA_BLAS_CAPS (MHA_CAP_PROBS | MHA_CAP_THREADS)

#include <mkl_service.h>
#include <mkl_types.h>
#include <pthread.h>

typedef MKL_INT blasint;

static void mkl_choose_sequential(void)
{
    MKL_Set_Threading_Layer(MKL_THREADING_SEQUENTIAL);
}

static int mkl_max_threads(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, mkl_choose_sequential);
    return MKL_Get_Max_Threads();
}

#define openblas_get_num_threads mkl_max_threads
#define openblas_set_num_threads MKL_Set_Num_Threads

#include "mha_blas.c"
