/*
 * flash_avx2's kernels: the x86 kernels (flash_x86.h) over the AVX2 + FMA
 * shims, 8 lanes: a 6 x 16 register tile in 12 of the 16 ymm registers.
 */
#ifndef MHA_FLASH_AVX2_H
#define MHA_FLASH_AVX2_H

#include "../vec/f32v_avx2.h"
#define FLASH_VREGS 16 /* vector registers */
#define FLASH_VEXP mha_vexp_avx2
/* -inf lanes take mha_vexp_avx2's rare path: hidden keys go through it as 0 (flash_row_exp_sum) */
#define FLASH_VEXP_SLOW_NEG_INF 1
#include "flash_x86.h"

/* The streamed-decode kernels: AVX2 + FMA (flash_stream_avx2.c) */
#define FLASH_QK_ROWS flash_qk_rows_avx2
#define FLASH_PV_ROWS flash_pv_rows_avx2
/* bf16 and fp16 inputs: widened with AVX2 + F16C (flash_lowp_avx2.c) */
#define FLASH_LOWP (&flash_lowp_avx2)

#endif
