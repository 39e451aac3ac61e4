/* The `gemm` attention on any instantiation of the SGEMM (c or avx2). */
#ifndef MHA_GEMM_H
#define MHA_GEMM_H

#include "sgemm.h"

void mha_gemm_attention_with(const mha_args *args, void *workspace, const mha_sgemm_ops *ops);
size_t mha_gemm_workspace_with(const mha_shape *shape, int threads, int want_probs, const mha_sgemm_ops *ops);

#endif
