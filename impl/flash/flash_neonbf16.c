/*
 * flash_neonbf16: the flash algorithm on bf16 inputs with BFDOT
 * (FEAT_BF16: Armv8.6-A, optional from Armv8.2-A; Neoverse V1/N2/V2,
 * Graviton 3/4, Apple M2 and later). Q K^T and P V run BFDOT on bf16
 * pairs (flash_neonbf16.h) in the loops of flash_bf16_tmpl.h; P is
 * rounded to bf16 before P V (nearest even, BFCVTN), as
 * flash_avx512bf16 and GPU FlashAttention kernels do; the row state
 * (m, l, O) stays fp32, and l sums the fp32 P. The softmax, masks, decode
 * splits and the driver are flash_neon's. The streamed decode (at most
 * MHA_FLASH_STREAM_ROWS rows per kv head, bound by reading K and V)
 * widens bf16 rows to fp32 in registers (flash_lowp_neon.c).
 * Inputs bf16 only; out fp32 or bf16. Built with -march=armv8.2-a+bf16;
 * registered with MHA_CPU_NEON_BF16, so it runs only where getauxval
 * reports HWCAP2_BF16 (impl/core/cpu.c).
 */
#include "flash_kernels.h"
#include "flash_neonbf16.h"

FLASH_TMPL_PROTOTYPES(neon);

#define BF16_SOFTMAX flash_softmax_neon
#define BF16_AXPY flash_axpy_neon
#define BF16_ROW_MAX flash_row_max
#define BF16_ROW_EXP_SUM flash_row_exp_sum
#define BF16_QK_ROWS flash_qk_rows_c
#define BF16_PV_ROWS flash_pv_rows_c
#define BF16_LOWP (&flash_lowp_neon)
#define BF16_MICRO flash_bf16_kernels_neon
#define BF16_ROUND_TO_ODD 1
#include "flash_bf16_tmpl.h"

const mha_impl mha_impl_flash_neonbf16 = {
    .abi_version = MHA_ABI_VERSION,
    .name = "flash_neonbf16",
    .algorithm = "flash",
    .isa = "neon_bf16",
    .summary = "tiled online softmax (FlashAttention-2) on bf16: Q K^T and P V with BFDOT, P rounded to bf16, "
               "fp32 row state",
    .cpu_features = MHA_CPU_NEON | MHA_CPU_NEON_BF16,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    /* below flash_neon: mha_impl_best() must name an implementation that runs fp32 */
    .priority = 85,
    .workspace = bf16_workspace,
    .attention = bf16_attention,
    .matmul = NULL,
    .dtypes = MHA_IO_BF16_F32 | MHA_IO_BF16,
};
