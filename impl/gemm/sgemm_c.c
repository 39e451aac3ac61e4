/* The SGEMM built with the baseline flags: what `gemm` and its matmul use. */
#define SGEMM_ISA c
#include "sgemm_tmpl.h"
