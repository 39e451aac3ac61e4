/*
 * flash_avx512's kernels: the x86 kernels (flash_x86.h) over the AVX-512F
 * shims, 16 lanes: a 14 x 32 register tile in 28 of the 32 zmm registers.
 */
#ifndef MHA_FLASH_AVX512_H
#define MHA_FLASH_AVX512_H

#include "../vec/f32v_avx512.h"
#define FLASH_VREGS 32 /* vector registers */
#define FLASH_VEXP mha_vexp_avx512
/* -inf lanes cost mha_vexp_avx512 nothing extra (its clamp and vscalefps give 0) */
#define FLASH_VEXP_SLOW_NEG_INF 0
#include "flash_x86.h"

/* The streamed-decode kernels on fp32 rows: AVX2 + FMA (flash_stream_avx2.c) */
#define FLASH_QK_ROWS flash_qk_rows_avx2
#define FLASH_PV_ROWS flash_pv_rows_avx2
/* bf16 and fp16 inputs: the streamed decode widens them in AVX-512 registers (flash_stream_avx512.c), the
 * prefill packing with AVX2 + F16C */
#define FLASH_LOWP (&flash_lowp_avx512)

#endif
