/*
 * flash_avx512bf16: the flash algorithm on bf16 inputs with AVX512_BF16.
 * Q K^T and P V run VDPBF16PS on bf16 pairs (flash_avx512bf16.h) in the
 * loops of flash_bf16_tmpl.h; P is rounded to bf16 before P V (nearest
 * even, VCVTNE2PS2BF16), as GPU FlashAttention kernels do; the row state
 * (m, l, O) stays fp32, and l sums the fp32 P. The softmax, masks, decode
 * splits and the driver are flash_avx512's (its table's softmax,
 * flash_attention.c). The streamed decode (at most MHA_FLASH_STREAM_ROWS
 * rows per kv head, where Q K^T and P V are matrix-vector products bound
 * by reading K and V) widens bf16 rows to fp32 in registers with the AVX2
 * kernels of flash_lowp_avx2.c. Inputs bf16 only; out fp32 or bf16.
 */
#include "flash_avx512bf16.h"
#include "flash_kernels.h"

FLASH_TMPL_PROTOTYPES(avx512);

#define BF16_SOFTMAX flash_softmax_avx512
#define BF16_AXPY flash_axpy_avx512
#define BF16_ROW_MAX flash_row_max
#define BF16_ROW_EXP_SUM flash_row_exp_sum
#define BF16_QK_ROWS flash_qk_rows_avx2
#define BF16_PV_ROWS flash_pv_rows_avx2
#define BF16_LOWP (&flash_lowp_avx512)
#define BF16_MICRO flash_bf16_kernels_avx512
#define BF16_ROUND_TO_ODD 0
#include "flash_bf16_tmpl.h"

#ifdef MHA_AVX512_EMULATION
#define BF16_ISA "avx512_bf16-simde"
#define BF16_CPU MHA_CPU_AVX512_BUILD
#else
#define BF16_ISA "avx512_bf16"
#define BF16_CPU (MHA_CPU_AVX512_BUILD | MHA_CPU_AVX512BF16)
#endif

const mha_impl mha_impl_flash_avx512bf16 = {
    .abi_version = MHA_ABI_VERSION,
    .name = "flash_avx512bf16",
    .algorithm = "flash",
    .isa = BF16_ISA,
    .summary = "tiled online softmax (FlashAttention-2) on bf16: Q K^T and P V with vdpbf16ps, P rounded to bf16, "
               "fp32 row state",
    .cpu_features = BF16_CPU,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    /* below flash_avx512 and flash_avx2: mha_impl_best() must name an implementation that runs fp32 */
    .priority = 85,
    .workspace = bf16_workspace,
    .attention = bf16_attention,
    .matmul = NULL,
    .dtypes = MHA_IO_BF16_F32 | MHA_IO_BF16,
};
