/*
 * The loops of the flash algorithm that call microkernels in their inner
 * loops, compiled once per ISA (impl/flash/meson.build) with
 * -DFLASH_ISA=<isa> -DFLASH_KERNELS_H="flash_<isa>.h". That header gives
 * the register tile (FLASH_MR, FLASH_NR, FLASH_DR) and the microkernels as
 * static inline functions, so they inline here. Exported names carry the
 * ISA: flash_run_block_avx2, ... (FLASH_TMPL_PROTOTYPES in flash_kernels.h),
 * among them the ISA's table flash_kernels_avx2 and the descriptor's
 * workspace and attention functions, which run the driver with it.
 *
 * A key block through a query block: K and V are packed once; then each
 * pass of FLASH_PASS rows (FLASH_PASS / MR register tiles) runs Q K^T,
 * mask, online softmax and P V while its scores are still in L1. In Q K^T
 * and P V the tiles of a pass are the inner loop: each K strip (Dh x NR)
 * and V strip (bk x DR) comes from L2 once per pass and is reused from L1
 * by the pass's other tiles. exp and the row sum are one pass (flash_row_exp_sum);
 * the rescale by alpha is fused into loading the output tile in
 * flash_pv_tile and skipped when every alpha of the tile is 1. A row with
 * no visible key keeps m = -inf, l = 0 and gives O = 0; a NaN score makes
 * m, l and O NaN.
 */
#include "flash_ctx.h"
#include "flash_lowp.h"
#include FLASH_KERNELS_H

#include <string.h>

/* The kernel header's converting layer for bf16 and fp16 inputs, if any (flash_lowp.h). */
#ifndef FLASH_LOWP
#define FLASH_LOWP NULL
#endif

#define FLASH_CAT2(a, b) a##b
#define FLASH_CAT(a, b) FLASH_CAT2(a, b)
#define FLASH_FN(name) FLASH_CAT(flash_##name##_, FLASH_ISA)

/* Rows per pass: the fewest whole register tiles that make at least 12
 * rows (2 tiles of 6 rows with AVX2 and NEON, 3 of 4 in C, 1 of 14 with
 * AVX-512), so every K or V strip brought into L1 serves 12 or more rows. */
#define FLASH_PASS_MIN_ROWS 12
#define FLASH_PASS ((FLASH_PASS_MIN_ROWS + FLASH_MR - 1) / FLASH_MR * FLASH_MR)

/* FLASH_ISA expanded before FLASH_TMPL_PROTOTYPES pastes it into names */
#define FLASH_PROTOTYPES_FOR(isa) FLASH_TMPL_PROTOTYPES(isa)
FLASH_PROTOTYPES_FOR(FLASH_ISA);

/*
 * Prefetch one K or V row (Dh floats). Packing reads rows that are
 * H*Dh*4 bytes apart; with a power-of-two stride such as 4 KiB they all
 * fall in the same few cache sets and pages, so neither a whole block
 * ahead (it would evict itself) nor the hardware prefetchers (they stop at
 * page boundaries) help: the packing loops ask for the rows one strip
 * ahead instead.
 */
static inline void prefetch_row(const float *row, int64_t dh)
{
#if defined(__GNUC__)
    for (int64_t x = 0; x < dh; x += 16)
        __builtin_prefetch(row + x, 0, 3);
#else
    (void)row;
    (void)dh;
#endif
}

/* Pack K[k0 .. k0+n) as [n/NR strips][Dh][NR] (keys past n zero), one
 * strip at a time by flash_pack_strip (a transpose). */
void FLASH_FN(pack_k)(flash_ctx *c, int64_t k0, int64_t n)
{
    const mha_args *a = c->a;
    const int64_t dh = a->shape.head_dim;
    const float *rows[FLASH_NR];
    if (a->dtype != MHA_F32) {
        c->kern->lowp->pack_k(c, k0, n, FLASH_NR); /* widened from bf16 or fp16 */
        return;
    }
    for (int64_t j0 = 0; j0 < n; j0 += FLASH_NR) {
        const int nk = n - j0 < FLASH_NR ? (int)(n - j0) : FLASH_NR;
        for (int jj = 0; jj < nk; jj++)
            rows[jj] = mha_row(a->k, a->k_strides, c->b, k0 + j0 + jj, c->g);
        for (int64_t j = j0 + FLASH_NR; j < j0 + 2 * FLASH_NR && j < n; j++)
            prefetch_row(mha_row(a->k, a->k_strides, c->b, k0 + j, c->g), dh);
        flash_pack_strip(rows, nk, dh, c->k_pack + j0 * dh);
    }
}

/* Pack V[k0 .. k0+n) as [dhp/DR strips][n][DR], head dims past Dh zero.
 * With check set, returns whether the block holds a NaN or an infinity. */
static int pack_v(flash_ctx *c, int64_t k0, int64_t n, int check)
{
    const mha_args *a = c->a;
    const int64_t dh = a->shape.head_dim, ld = c->p->bk_pad;
    if (a->dtype != MHA_F32)
        return flash_lp_pack_v(c, k0, n, check, FLASH_DR); /* widened from bf16 or fp16 */
    int bad = 0;
    for (int64_t j = 0; j < n; j++) {
        const float *src = mha_row(a->v, a->v_strides, c->b, k0 + j, c->g);
        if (j + 8 < n)
            prefetch_row(mha_row(a->v, a->v_strides, c->b, k0 + j + 8, c->g), dh);
        int64_t d0 = 0;
        for (; d0 + FLASH_DR <= dh; d0 += FLASH_DR)
            memcpy(c->v_pack + (d0 / FLASH_DR * ld + j) * FLASH_DR, src + d0, FLASH_DR * sizeof(float));
        if (d0 < dh) {
            float *dst = c->v_pack + (d0 / FLASH_DR * ld + j) * FLASH_DR;
            for (int64_t dd = 0; dd < FLASH_DR; dd++)
                dst[dd] = d0 + dd < dh ? src[d0 + dd] : 0.0f;
        }
        if (check)
            for (int64_t d = 0; d < dh; d++)
                bad |= !(src[d] - src[d] == 0.0f); /* NaN or +-inf */
    }
    return bad;
}

/* Keys of the block rounded up to the Q K^T tile width. */
static inline int64_t cols(int64_t n)
{
    return (n + FLASH_NR - 1) / FLASH_NR * FLASH_NR;
}

/* S = scale * Q K^T for rows r0 .. r1 (at most one pass; row r is S row
 * r - r0) over the block's first n keys, one MR x NR register tile at a
 * time, the row tiles inside the K strips (r0 a multiple of MR; rows up to
 * r1 rounded up to MR are computed, those past r1 are padding). */
void FLASH_FN(scores)(flash_ctx *c, int64_t r0, int64_t r1, int64_t n)
{
    const int64_t dh = c->a->shape.head_dim, ld = c->p->bk_pad, nc = cols(n);
    for (int64_t j = 0; j < nc; j += FLASH_NR)
        for (int64_t r = r0; r < r1; r += FLASH_MR)
            flash_qk_tile(c->q + r * dh, dh, c->k_pack + j * dh, c->a->scale, c->s + (r - r0) * ld + j, ld);
}

/* Keys [k0, k0 + n) that the rows of the tile at row r (of a pass ending
 * at r1) can see: up to the limit of its last row, as limits never
 * decrease with the row (flash_mask.c). */
static inline int64_t tile_keys(const flash_ctx *c, int64_t r, int64_t r1, int64_t k0, int64_t n)
{
    const int64_t last = (r + FLASH_MR < r1 ? r + FLASH_MR : r1) - 1, vis = c->lim[last] - k0;
    return vis < n ? vis : n;
}

/* scores() for one pass of run_block: a tile computes only the key strips
 * its rows can see; the strips it skips hold keys hidden from all its rows,
 * which flash_apply_mask sets to -inf. */
static void pass_scores(flash_ctx *c, int64_t r0, int64_t r1, int64_t k0, int64_t n)
{
    if (k0 + n <= c->lim[r0]) {
        FLASH_FN(scores)(c, r0, r1, n); /* every row sees every key */
        return;
    }
    const int64_t dh = c->a->shape.head_dim, ld = c->p->bk_pad, nc = cols(n);
    int64_t tc[FLASH_PASS / FLASH_MR];
    for (int64_t r = r0; r < r1; r += FLASH_MR)
        tc[(r - r0) / FLASH_MR] = tile_keys(c, r, r1, k0, n);
    for (int64_t j = 0; j < nc; j += FLASH_NR)
        for (int64_t r = r0; r < r1; r += FLASH_MR)
            if (j < tc[(r - r0) / FLASH_MR])
                flash_qk_tile(c->q + r * dh, dh, c->k_pack + j * dh, c->a->scale, c->s + (r - r0) * ld + j, ld);
}

/* Online softmax of rows r0 .. r1 over n keys: m, l, alpha updated, S replaced by P. The rows' maxima come
 * first, FLASH_PASS rows at a time, then their exp passes: each row's max (a horizontal reduction) and exp
 * pass are a chain, and with the rows' chains independent the core overlaps them. Row r's scores are row
 * r - s0 of S. */
static void softmax_rows(flash_ctx *c, int64_t r0, int64_t r1, int64_t s0, int64_t n)
{
    const int64_t ld = c->p->bk_pad, nc = cols(n);
    float m_new[FLASH_PASS];
    /* m_new = max(m_old, rowmax(s)) */
    for (int64_t r = r0; r < r1; r++)
        m_new[r - r0] = flash_max_nan(c->m[r], flash_row_max(c->s + (r - s0) * ld, nc));
    for (int64_t r = r0; r < r1; r++) {
        float *s = c->s + (r - s0) * ld;
        const float m_old = c->m[r];
        float m = m_new[r - r0];
        if (m == -INFINITY) {
            /* nothing visible yet, unless a NaN score hid from the max
             * (a flag, not m itself: gcc 12 -O3 for aarch64 kept
             * m == -inf after the loop set it to NaN) */
            int has_nan = 0;
            for (int64_t j = 0; j < nc; j++)
                has_nan |= isnan(s[j]) != 0;
            if (!has_nan) {
                memset(s, 0, (size_t)nc * sizeof *s);
                c->alpha[r] = 1.0f;
                continue;
            }
            m = NAN;
        }
        /* alpha = exp(m_old - m), exactly 1 when the max did not grow */
        const float alpha = m == m_old ? 1.0f : expf(m_old - m);
        /* p = exp(s - m);  l = alpha * l + rowsum(p) */
        c->l[r] = alpha * c->l[r] + flash_row_exp_sum(s, nc, m);
        c->m[r] = m;
        c->alpha[r] = alpha;
    }
}

void FLASH_FN(softmax)(flash_ctx *c, int64_t r0, int64_t r1, int64_t n)
{
    for (int64_t r = r0; r < r1; r += FLASH_PASS)
        softmax_rows(c, r, r + FLASH_PASS < r1 ? r + FLASH_PASS : r1, r0, n);
}

/* O[r0 .. r1) = alpha O + P V over the block's first n keys (one pass), one
 * MR x DR register tile at a time, the row tiles inside the V strips; a
 * tile's rescale is skipped when every alpha of its rows is 1. */
#if defined(__GNUC__)
__attribute__((noinline)) /* its own frame: inlined into run_block, P's row strides spill to the stack */
#endif
static void accumulate(flash_ctx *c, int64_t r0, int64_t r1, int64_t k0, int64_t n)
{
    const mha_flash_plan *p = c->p;
    int rescale[FLASH_PASS / FLASH_MR] = {0};
    int64_t tn[FLASH_PASS / FLASH_MR];
    for (int64_t r = r0; r < r1; r++)
        rescale[(r - r0) / FLASH_MR] |= c->alpha[r] != 1.0f;
    /* a tile stops at the last key its rows see: P is 0 past it, and V finite here */
    for (int64_t r = r0; r < r1; r += FLASH_MR)
        tn[(r - r0) / FLASH_MR] = tile_keys(c, r, r1, k0, n);
    for (int64_t d = 0; d < p->dhp; d += FLASH_DR)
        for (int64_t r = r0; r < r1; r += FLASH_MR)
            flash_pv_tile(c->s + (r - r0) * p->bk_pad, p->bk_pad, c->v_pack + d * p->bk_pad, tn[(r - r0) / FLASH_MR],
                          c->alpha + r, rescale[(r - r0) / FLASH_MR], c->o + r * p->dhp + d, p->dhp);
}

/* P V when V holds NaN or inf and some keys are hidden: hidden keys are
 * skipped (p = 0 must not meet 0 * inf), so they stay never-read. */
static void accumulate_guarded(flash_ctx *c, int64_t r0, int64_t r1, int64_t k0, int64_t n)
{
    const mha_flash_plan *p = c->p;
    for (int64_t r = r0; r < r1; r++) {
        float *o = flash_rescale_row(c, r);
        const float *s = c->s + (r - r0) * p->bk_pad;
        for (int64_t j = 0; j < n; j++) {
            if (flash_key_hidden(c, r, k0, j))
                continue;
            for (int64_t d = 0; d < p->dhp; d++)
                o[d] += s[j] * c->v_pack[(d / FLASH_DR * p->bk_pad + j) * FLASH_DR + d % FLASH_DR];
        }
    }
}

void FLASH_FN(run_block)(flash_ctx *c, int64_t k0, int64_t n)
{
    const mha_args *a = c->a;
    if (a->mask && !flash_block_visible(c, k0, n))
        return; /* every entry -inf: skip */
    const int hidden = a->mask || k0 + n > c->lim[0]; /* some key hidden from some row */
    FLASH_FN(pack_k)(c, k0, n);
    const int v_bad = pack_v(c, k0, n, hidden);
    for (int64_t r0 = 0; r0 < c->nrows; r0 += FLASH_PASS) {
        const int64_t r1 = r0 + FLASH_PASS < c->nrows ? r0 + FLASH_PASS : c->nrows;
        /* keys this pass sees: nt = min(n, lim(last row) - k0) */
        const int64_t nt = c->lim[r1 - 1] - k0 < n ? c->lim[r1 - 1] - k0 : n;
        if (nt <= 0)
            continue;
        pass_scores(c, r0, r1, k0, nt);
        if (a->mask || k0 + nt > c->lim[r0] || nt % FLASH_NR != 0)
            flash_apply_mask(c, r0, r1, k0, nt);
        FLASH_FN(softmax)(c, r0, r1, nt);
        if (v_bad)
            accumulate_guarded(c, r0, r1, k0, nt);
        else
            accumulate(c, r0, r1, k0, nt);
    }
}

void FLASH_FN(axpy)(float *o, const float *x, int64_t n, float w)
{
    for (int64_t i = 0; i < n; i++)
        o[i] += w * x[i];
}

/* The ISA's table: its tile and microkernels (FLASH_KERNELS_H, which also
 * names its streamed-decode kernels as FLASH_QK_ROWS and FLASH_PV_ROWS)
 * and the loops above. */
const flash_kernels FLASH_FN(kernels) = {
    .tile = {FLASH_MR, FLASH_NR, FLASH_DR, FLASH_PASS},
    .pack_strip = flash_pack_strip,
    .qk_tile = flash_qk_tile,
    .pv_tile = flash_pv_tile,
    .row_max = flash_row_max,
    .row_exp_sum = flash_row_exp_sum,
    .qk_rows = FLASH_QK_ROWS,
    .pv_rows = FLASH_PV_ROWS,
    .run_block = FLASH_FN(run_block),
    .pack_k = FLASH_FN(pack_k),
    .scores = FLASH_FN(scores),
    .softmax = FLASH_FN(softmax),
    .axpy = FLASH_FN(axpy),
    .lowp = FLASH_LOWP,
};

size_t FLASH_FN(workspace)(const mha_shape *shape, int threads, int want_probs)
{
    (void)want_probs;
    return mha_flash_workspace(&FLASH_FN(kernels), shape, threads);
}

void FLASH_FN(attention)(const mha_args *args, void *workspace)
{
    mha_flash_attention(&FLASH_FN(kernels), args, workspace);
}
