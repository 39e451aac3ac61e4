/*
 * flash_avx2: the descriptor of the flash algorithm with AVX2 + FMA
 * kernels; its kernels and streamed-decode kernels are named in flash_avx2.h.
 */
#include "flash_kernels.h"
#include "flash_lowp.h"

FLASH_TMPL_PROTOTYPES(avx2);

const mha_impl mha_impl_flash_avx2 = {
    .abi_version = MHA_ABI_VERSION,
    .name = "flash_avx2",
    .algorithm = "flash",
    .isa = "avx2",
    .summary = "tiled online softmax (FlashAttention-2), AVX2+FMA 6x16 microkernels; O(tile) memory, split-KV decode; bf16/fp16 widened to fp32",
    /* F16C: fp16 inputs are widened with vcvtph2ps (every AVX2 CPU has it) */
    .cpu_features = MHA_CPU_AVX2 | MHA_CPU_FMA | MHA_CPU_F16C,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 90,
    .workspace = flash_workspace_avx2,
    .attention = flash_attention_avx2,
    .matmul = NULL,
    .dtypes = FLASH_LOWP_DTYPES,
};
