/*
 * flash_c: the flash algorithm with portable C kernels (flash_c.h) and
 * the portable streamed-decode kernels (flash_rows_c.c).
 */
#include "flash_c.h"
#include "flash_kernels.h"

FLASH_TMPL_PROTOTYPES(c);

const flash_kernels flash_kernels_c = {
    .tile = {FLASH_MR, FLASH_NR, FLASH_DR},
    .pack_strip = flash_pack_strip,
    .qk_tile = flash_qk_tile,
    .pv_tile = flash_pv_tile,
    .row_max = flash_row_max,
    .row_exp_sum = flash_row_exp_sum,
    .qk_rows = flash_qk_rows_c,
    .pv_rows = flash_pv_rows_c,
    .run_block = flash_run_block_c,
    .pack_k = flash_pack_k_c,
    .scores = flash_scores_c,
    .softmax = flash_softmax_c,
    .axpy = flash_axpy_c,
};

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
