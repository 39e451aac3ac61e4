/*
 * flash_neon: the flash algorithm with AArch64 Advanced SIMD kernels
 * (flash_neon.h) and the portable streamed-decode kernels (flash_rows_c.c).
 */
#include "flash_neon.h"
#include "flash_kernels.h"

FLASH_TMPL_PROTOTYPES(neon);

const flash_kernels flash_kernels_neon = {
    .tile = {FLASH_MR, FLASH_NR, FLASH_DR},
    .pack_strip = flash_pack_strip,
    .qk_tile = flash_qk_tile,
    .pv_tile = flash_pv_tile,
    .row_max = flash_row_max,
    .row_exp_sum = flash_row_exp_sum,
    .qk_rows = flash_qk_rows_c,
    .pv_rows = flash_pv_rows_c,
    .run_block = flash_run_block_neon,
    .pack_k = flash_pack_k_neon,
    .scores = flash_scores_neon,
    .softmax = flash_softmax_neon,
    .axpy = flash_axpy_neon,
};

const mha_impl mha_impl_flash_neon = {
    .abi_version = MHA_ABI_VERSION,
    .name = "flash_neon",
    .algorithm = "flash",
    .isa = "neon",
    .summary = "tiled online softmax (FlashAttention-2), NEON 6x16 microkernels; O(tile) memory, split-KV decode",
    .cpu_features = MHA_CPU_NEON,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 90,
    .workspace = flash_workspace_neon,
    .attention = flash_attention_neon,
    .matmul = NULL,
};
