/*
 * flash_neon: the descriptor of the flash algorithm with AArch64 Advanced
 * SIMD kernels; its kernels and streamed-decode kernels are named in
 * flash_neon.h. bf16 and fp16 inputs are widened to fp32 (exact) where the
 * driver copies them and in the streamed decode (flash_lowp_neon.c).
 */
#include "flash_kernels.h"
#include "flash_lowp.h"

FLASH_TMPL_PROTOTYPES(neon);

const mha_impl mha_impl_flash_neon = {
    .abi_version = MHA_ABI_VERSION,
    .name = "flash_neon",
    .algorithm = "flash",
    .isa = "neon",
    .summary = "tiled online softmax (FlashAttention-2), NEON 6x16 microkernels; O(tile) memory, split-KV decode; bf16/fp16 widened to fp32",
    .cpu_features = MHA_CPU_NEON,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 90,
    .workspace = flash_workspace_neon,
    .attention = flash_attention_neon,
    .matmul = NULL,
    .dtypes = FLASH_LOWP_DTYPES,
};
