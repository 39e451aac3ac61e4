/*
 * flash_c: the descriptor of the flash algorithm with portable C kernels;
 * its kernels and streamed-decode kernels are named in flash_c.h.
 */
#include "flash_kernels.h"

FLASH_TMPL_PROTOTYPES(c);

const mha_impl mha_impl_flash_c = {
    .abi_version = MHA_ABI_VERSION,
    .name = "flash_c",
    .algorithm = "flash",
    .isa = "c",
    .summary = "tiled online softmax (FlashAttention-2) in portable C; O(tile) memory, split-KV decode",
    .cpu_features = 0,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 20,
    .workspace = flash_workspace_c,
    .attention = flash_attention_c,
    .matmul = NULL,
};
