/*
 * flash_avx512: the descriptor of the flash algorithm with AVX-512F
 * kernels; its kernels (and the AVX2 streamed-decode kernels it uses) are
 * named in flash_avx512.h.
 */
#include "../core/internal.h"
#include "../vec/avx512_intrinsics.h" /* MHA_AVX512_ISA */
#include "flash_kernels.h"

FLASH_TMPL_PROTOTYPES(avx512);

const mha_impl mha_impl_flash_avx512 = {
    .abi_version = MHA_ABI_VERSION,
    .name = "flash_avx512",
    .algorithm = "flash",
    .isa = MHA_AVX512_ISA,
    .summary = "tiled online softmax (FlashAttention-2), AVX-512F 14x32 microkernels; O(tile) memory, split-KV decode",
    .cpu_features = MHA_CPU_AVX512_BUILD,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 100,
    .workspace = flash_workspace_avx512,
    .attention = flash_attention_avx512,
    .matmul = NULL,
};
