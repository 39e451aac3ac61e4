/*
 * flash_avx2: the flash algorithm with AVX2 + FMA kernels (flash_avx2.h) and the
 * AVX2 streamed-decode kernels (flash_stream_avx2.c).
 */
#include "flash_avx2.h"
#include "flash_kernels.h"

FLASH_TMPL_PROTOTYPES(avx2);

const flash_kernels flash_kernels_avx2 = {
    .tile = {FLASH_MR, FLASH_NR, FLASH_DR},
    .pack_strip = flash_pack_strip,
    .qk_tile = flash_qk_tile,
    .pv_tile = flash_pv_tile,
    .row_max = flash_row_max,
    .row_exp_sum = flash_row_exp_sum,
    .qk_rows = flash_qk_rows_avx2,
    .pv_rows = flash_pv_rows_avx2,
    .run_block = flash_run_block_avx2,
    .pack_k = flash_pack_k_avx2,
    .scores = flash_scores_avx2,
    .softmax = flash_softmax_avx2,
    .axpy = flash_axpy_avx2,
};

const mha_impl mha_impl_flash_avx2 = {
    .abi_version = MHA_ABI_VERSION,
    .name = "flash_avx2",
    .algorithm = "flash",
    .isa = "avx2",
    .summary = "tiled online softmax (FlashAttention-2), AVX2+FMA 6x16 microkernels; O(tile) memory, split-KV decode",
    .cpu_features = MHA_CPU_AVX2 | MHA_CPU_FMA,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 90,
    .workspace = flash_workspace_avx2,
    .attention = flash_attention_avx2,
    .matmul = NULL,
};
