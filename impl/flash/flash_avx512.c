/*
 * flash_avx512: the flash algorithm with AVX-512F kernels (flash_avx512.h) and
 * the AVX2 streamed-decode kernels (flash_stream_avx2.c).
 */
#include "../core/internal.h"
#include "flash_avx512.h"
#include "flash_kernels.h"

FLASH_TMPL_PROTOTYPES(avx512);

const flash_kernels flash_kernels_avx512 = {
    .tile = {FLASH_MR, FLASH_NR, FLASH_DR},
    .pack_strip = flash_pack_strip,
    .qk_tile = flash_qk_tile,
    .pv_tile = flash_pv_tile,
    .row_max = flash_row_max,
    .row_exp_sum = flash_row_exp_sum,
    .qk_rows = flash_qk_rows_avx2,
    .pv_rows = flash_pv_rows_avx2,
    .run_block = flash_run_block_avx512,
    .pack_k = flash_pack_k_avx512,
    .scores = flash_scores_avx512,
    .softmax = flash_softmax_avx512,
    .axpy = flash_axpy_avx512,
};

const mha_impl mha_impl_flash_avx512 = {
    .abi_version = MHA_ABI_VERSION,
    .name = "flash_avx512",
    .algorithm = "flash",
    .isa = MHA_AVX512_ISA,
    .summary = "tiled online softmax (FlashAttention-2), AVX-512F 6x32 microkernels; O(tile) memory, split-KV decode",
    .cpu_features = MHA_CPU_AVX512_BUILD,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 100,
    .workspace = flash_workspace_avx512,
    .attention = flash_attention_avx512,
    .matmul = NULL,
};
