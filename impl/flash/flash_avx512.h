/*
 * flash_avx512's kernels: the x86 kernels (flash_x86.h) over the AVX-512F
 * shims, 16 lanes: a 14 x 32 register tile in 28 of the 32 zmm registers.
 */
#ifndef MHA_FLASH_AVX512_H
#define MHA_FLASH_AVX512_H

#include "../vec/f32v_avx512.h"
#define FLASH_VREGS 32 /* vector registers */
#define FLASH_VEXP mha_vexp_avx512
#include "flash_x86.h"

/* The streamed-decode kernels: AVX2 + FMA (flash_stream_avx2.c) */
#define FLASH_QK_ROWS flash_qk_rows_avx2
#define FLASH_PV_ROWS flash_pv_rows_avx2

#endif
