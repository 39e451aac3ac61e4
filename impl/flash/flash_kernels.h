/*
 * The flash kernel table: what one ISA provides to the flash driver.
 * Each ISA's header (flash_c.h, flash_avx2.h, flash_avx512.h, flash_neon.h)
 * gives its register tile and microkernels and names its streamed-decode
 * kernels (FLASH_QK_ROWS, FLASH_PV_ROWS); flash_tmpl.c, compiled once per
 * ISA with that header, fills the ISA's table flash_kernels_<isa> with
 * them and its loops. The driver, compiled once, calls through the table
 * (as BLIS's context and dav1d's DSP tables do). The ISA's file
 * flash_<isa>.c holds the descriptor.
 */
#ifndef MHA_FLASH_KERNELS_H
#define MHA_FLASH_KERNELS_H

#include "flash.h"

#include <stdint.h>

struct flash_ctx;
struct flash_lowp_kernels;

/* Put before a kernel's inner loop over head dims or keys: unrolled 4 times
 * (the same operations in the same order). The AVX2 Q K^T tile loop, rolled,
 * reached 80 - 89% of the FMA peak on Zen 3 with its operands in L1,
 * unrolled 93 - 98% (docs/flash.md, "Unrolled inner loops"). */
#if defined(__clang__)
#define FLASH_UNROLL4 _Pragma("clang loop unroll_count(4)")
#elif defined(__GNUC__)
#define FLASH_UNROLL4 _Pragma("GCC unroll 4")
#else
#define FLASH_UNROLL4
#endif

/* The streamed decode's prefetch: lines that a rows-kernel call requests
 * (towards L2) while it computes, one per step of its inner loop, so that
 * the reads of the next step overlap the arithmetic of this one (requested
 * all at once before the call, they did not: docs/decode.md, "Prefetch").
 * The lines are those of `rows` spans of `len` bytes, `stride` bytes apart,
 * from `row` on; `off` is the offset of the next line in the current span.
 * A call leaves what it did not request to its caller (flash_prefetch_rest).
 * One request per loop turn: four back to back made the fp32 decode
 * 1.3 - 1.6x slower. */
typedef struct flash_prefetch {
    const char *row;
    int64_t off, len, stride, rows;
} flash_prefetch;

/* Request the next line of pf, if any. Kernels pass NULL down to an inlined
 * copy of their loop when the cursor is empty, so that copy has no test. */
static inline void flash_prefetch_line(flash_prefetch *pf)
{
    if (!pf || pf->rows <= 0)
        return;
#if defined(__GNUC__)
    __builtin_prefetch(pf->row + pf->off, 0, 2);
#endif
    pf->off += 64;
    if (pf->off >= pf->len) {
        pf->off = 0;
        pf->row += pf->stride;
        pf->rows--;
    }
}

/* fn(args..., pf) when pf has lines left, else fn(args..., NULL): a kernel whose loop is inlined into fn
 * gets a second copy of it for the empty cursor, with no test per step (flash_prefetch_line's NULL case). */
#define FLASH_WITH_PREFETCH(fn, pf, ...)                                                                   \
    do {                                                                                                   \
        if ((pf)->rows > 0)                                                                                \
            fn(__VA_ARGS__, (pf));                                                                         \
        else                                                                                               \
            fn(__VA_ARGS__, NULL);                                                                         \
    } while (0)

/* Request every line of pf not yet requested. */
static inline void flash_prefetch_rest(flash_prefetch *pf)
{
    while (pf->rows > 0)
        flash_prefetch_line(pf);
}

/* k[d][j] = rows[j][d] for j < nk, 0 for nk <= j < NR (a transpose) */
typedef void flash_pack_strip_fn(const float *const *rows, int nk, int64_t dh, float *k);
/* s[r][0..NR) = scale * sum_d q[r][d] * k[d][0..NR),  r < MR (q rows dh apart, s rows lds apart) */
typedef void flash_qk_tile_fn(const float *q, int64_t dh, const float *k, float scale, float *s, int64_t lds);
/* o[r][0..DR) = alpha[r] * o[r][0..DR) (when rescale) + sum_{j<n} p[r][j] * v[j][0..DR),  r < MR */
typedef void flash_pv_tile_fn(const float *p, int64_t ldp, const float *v, int64_t n, const float *alpha,
                              int rescale, float *o, int64_t ldo);
/* max_j s[j] over n scores, n a multiple of NR (a NaN score is caught by the exp pass) */
typedef float flash_row_max_fn(const float *s, int64_t n);
/* s[j] = exp(s[j] - m) in place;  returns sum_j s[j];  n a multiple of NR */
typedef float flash_row_exp_sum_fn(float *s, int64_t n, float m);
/* Streamed decode, K rows read in place:
 * s[r][j] = scale * sum_d q[r][d] * k[j][d],  r < nr (q rows ldq apart), j < nk (k rows ldk apart);
 * requests lines of pf as it goes (never NULL; rows 0: none) */
typedef void flash_qk_rows_fn(const float *q, int64_t ldq, int nr, const float *k, int64_t ldk, int nk,
                              int64_t dh, float scale, float *s, int64_t lds, flash_prefetch *pf);
/* Streamed decode, V rows read in place:
 * o[r][d] = alpha[r] * o[r][d] (when rescale) + sum_{j<n} p[r][j] * v[j][d],  r < nr, d < dh;
 * requests lines of pf as it goes (never NULL; rows 0: none) */
typedef void flash_pv_rows_fn(const float *p, int64_t ldp, int nr, const float *v, int64_t ldv, int n,
                              int64_t dh, const float *alpha, int rescale, float *o, int64_t ldo, flash_prefetch *pf);

/* Loops of flash_tmpl.c over a query block (see there). */
typedef void flash_block_fn(struct flash_ctx *c, int64_t k0, int64_t n);
typedef void flash_rows_fn(struct flash_ctx *c, int64_t r0, int64_t r1, int64_t n);
/* o[i] += w * x[i] for i < n, with the ISA's contraction (fused multiply-add where its flags allow) */
typedef void flash_axpy_fn(float *o, const float *x, int64_t n, float w);

typedef struct flash_kernels {
    mha_flash_tile tile; /* MR, NR, DR, PASS */
    /* microkernels */
    flash_pack_strip_fn *pack_strip;
    flash_qk_tile_fn *qk_tile;
    flash_pv_tile_fn *pv_tile;
    flash_row_max_fn *row_max;
    flash_row_exp_sum_fn *row_exp_sum;
    flash_qk_rows_fn *qk_rows;
    flash_pv_rows_fn *pv_rows;
    /* flash_tmpl.c compiled for the ISA */
    flash_block_fn *run_block; /* key block [k0, k0 + n) through the current query block */
    flash_block_fn *pack_k;    /* K[k0, k0 + n) into NR-wide strips */
    flash_rows_fn *scores;     /* S = scale * Q K^T of one row tile */
    flash_rows_fn *softmax;    /* online-softmax update of rows r0 .. r1: m, l, alpha; S becomes P */
    flash_axpy_fn *axpy;
    /* bf16 and fp16 inputs (flash_lowp.h); NULL in a variant that runs fp32 only */
    const struct flash_lowp_kernels *lowp;
} flash_kernels;

/*
 * Prototypes of what flash_tmpl.c defines for ISA isa (flash_run_block_avx2,
 * ..., the table flash_kernels_avx2 and the descriptor's functions
 * flash_workspace_avx2 and flash_attention_avx2).
 */
#define FLASH_TMPL_PROTOTYPES(isa)                                                                   \
    flash_block_fn flash_run_block_##isa, flash_pack_k_##isa;                                         \
    flash_rows_fn flash_scores_##isa, flash_softmax_##isa;                                            \
    flash_axpy_fn flash_axpy_##isa;                                                                   \
    extern const flash_kernels flash_kernels_##isa;                                                   \
    size_t flash_workspace_##isa(const mha_shape *shape, int threads, int want_probs);                \
    void flash_attention_##isa(const mha_args *args, void *workspace)

/* The streamed-decode kernels in portable C (flash_rows_c.c) and with AVX2 + FMA (flash_stream_avx2.c). */
flash_qk_rows_fn flash_qk_rows_c, flash_qk_rows_avx2;
flash_pv_rows_fn flash_pv_rows_c, flash_pv_rows_avx2;

/* The attention and workspace functions of a variant, given its table (flash_attention.c). */
void mha_flash_attention(const flash_kernels *k, const mha_args *a, void *workspace);
size_t mha_flash_workspace(const flash_kernels *k, const mha_shape *shape, int threads);

#endif
