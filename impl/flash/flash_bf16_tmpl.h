/*
 * The loops of a bf16 flash variant whose Q K^T and P V run a bf16 pair
 * dot product (VDPBF16PS, BFDOT), included once by each such variant's
 * file (flash_avx512bf16.c, flash_neonbf16.c) after its kernel header.
 * P is rounded to bf16 before P V, as GPU FlashAttention kernels do; the
 * row state (m, l, O) stays fp32 and l sums the fp32 P. The softmax,
 * masks, decode splits and the driver are those of the variant's fp32
 * table (flash_attention.c).
 *
 * The kernel header gives FLASH_MR, FLASH_NR, FLASH_DR and
 *   bf16_pack_k_strip(rows, nk, dh, kp)    K strip of NR keys, [ceil(Dh/2)][NR] pairs
 *   bf16_pack_v_pair(x, y, d0, dh, vp)     keys x, y (y may be NULL) of a V strip of DR dims
 *   bf16_q_pairs_tile(q, dh, t0, nt, qp)   Q pairs of a row tile, as bf16_q_pairs (flash_bf16_pairs.h)
 *   bf16_qk_tile(qp, kp, nt, first, last, scale, s, lds)
 *   bf16_p_pairs_in_place(p, cols)         P row rounded to bf16 pairs, cols a multiple of NR
 *   bf16_pv_tile(pp, ldp, vp, n2, alpha, rescale, o, ldo)
 *   bf16_round_p(x)                        one P rounded to bf16 as bf16_p_pairs_in_place does
 * and BF16_MICRO (the name of its flash_bf16_kernels table, for tests) and
 * BF16_ROUND_TO_ODD, and names the fp32 table's pieces it shares: BF16_SOFTMAX, BF16_AXPY,
 * BF16_ROW_MAX, BF16_ROW_EXP_SUM, BF16_QK_ROWS, BF16_PV_ROWS (the
 * streamed decode's kernels, on K and V rows widened a step at a time)
 * and BF16_LOWP (widening Q and the streamed decode's K and V rows).
 * Packed layouts (32-bit words; head dims past Dh and keys past n are 0):
 *   K strip of NR keys:  kp[t][j]  = (k_j[2t], k_j[2t+1]),   t < ceil(Dh/2)
 *   V strip of DR dims:  vp[u][dd] = (v_2u[dd], v_2u+1[dd]), u < ceil(n/2)
 */
#ifndef MHA_FLASH_BF16_TMPL_H
#define MHA_FLASH_BF16_TMPL_H

#include "flash_bf16_pairs.h"
#include "flash_ctx.h"
#include "flash_lowp.h"

/* K[k0 .. k0+n) as strips of NR keys, [ceil(Dh/2)][NR] pairs each. */
static void bf16_pack_k(flash_ctx *c, int64_t k0, int64_t n)
{
    const mha_args *a = c->a;
    const int64_t dh = a->shape.head_dim, pairs = (dh + 1) / 2;
    uint32_t *kp = (uint32_t *)(void *)c->k_pack;
    const uint16_t *rows[FLASH_NR];
    for (int64_t j0 = 0; j0 < n; j0 += FLASH_NR) {
        const int nk = n - j0 < FLASH_NR ? (int)(n - j0) : FLASH_NR;
        for (int jj = 0; jj < nk; jj++)
            rows[jj] = flash_lp_row(a->k, a->k_strides, c->b, k0 + j0 + jj, c->g, MHA_BF16);
        bf16_pack_k_strip(rows, nk, dh, kp + j0 * pairs);
    }
}

/* V[k0 .. k0+n) as strips of DR head dims, [bk_pad/2][DR] key pairs each. With check set,
 * returns whether the block holds a NaN or an infinity. */
static int bf16_pack_v(flash_ctx *c, int64_t k0, int64_t n, int check)
{
    const mha_args *a = c->a;
    const int64_t dh = a->shape.head_dim, strip = c->p->bk_pad / 2 * FLASH_DR;
    uint32_t *vp = (uint32_t *)(void *)c->v_pack;
    int bad = 0;
    for (int64_t j = 0; j < n; j += 2) {
        const uint16_t *x = flash_lp_row(a->v, a->v_strides, c->b, k0 + j, c->g, MHA_BF16);
        const uint16_t *y = j + 1 < n ? flash_lp_row(a->v, a->v_strides, c->b, k0 + j + 1, c->g, MHA_BF16) : NULL;
        for (int64_t d0 = 0; d0 < c->p->dhp; d0 += FLASH_DR)
            bf16_pack_v_pair(x, y, d0, dh, vp + d0 / FLASH_DR * strip + j / 2 * FLASH_DR);
        if (check)
            bad |= flash_lp_nonfinite(x, dh, MHA_BF16) | (y && flash_lp_nonfinite(y, dh, MHA_BF16));
    }
    return bad;
}

static inline int64_t bf16_cols(int64_t n)
{
    return (n + FLASH_NR - 1) / FLASH_NR * FLASH_NR;
}

/* S = scale * Q K^T for the row tile r0 .. r0 + MR over the block's first n keys (S row r - r0). */
static void bf16_scores(flash_ctx *c, int64_t r0, int64_t r1, int64_t n)
{
    (void)r1; /* a whole tile: rows past the block are zero padding */
    const int64_t dh = c->a->shape.head_dim, pairs = (dh + 1) / 2, ld = c->p->bk_pad, nc = bf16_cols(n);
    const uint32_t *kp = (const uint32_t *)(const void *)c->k_pack;
    uint32_t qp[FLASH_MR * BF16_QCHUNK];
    for (int64_t t0 = 0; t0 < pairs; t0 += BF16_QCHUNK) {
        const int64_t nt = pairs - t0 < BF16_QCHUNK ? pairs - t0 : BF16_QCHUNK;
        bf16_q_pairs_tile(c->q + r0 * dh, dh, t0, nt, qp);
        for (int64_t j = 0; j < nc; j += FLASH_NR)
            bf16_qk_tile(qp, kp + j * pairs + t0 * FLASH_NR, nt, t0 == 0, t0 + nt == pairs, c->a->scale,
                         c->s + j, ld);
    }
}

/* O = alpha O + P V for the row tile r0 .. r0 + MR over the block's first n keys; P is rounded to bf16
 * pairs in place in S first. */
static void bf16_accumulate(flash_ctx *c, int64_t r0, int64_t r1, int64_t n)
{
    const mha_flash_plan *p = c->p;
    const int64_t strip = p->bk_pad / 2 * FLASH_DR;
    int rescale = 0;
    for (int64_t r = r0; r < r1; r++)
        rescale |= c->alpha[r] != 1.0f;
    for (int r = 0; r < FLASH_MR; r++)
        bf16_p_pairs_in_place(c->s + r * p->bk_pad, bf16_cols(n));
    const uint32_t *vp = (const uint32_t *)(const void *)c->v_pack;
    for (int64_t d = 0; d < p->dhp; d += FLASH_DR)
        bf16_pv_tile(c->s, p->bk_pad, vp + d / FLASH_DR * strip, (n + 1) / 2, c->alpha + r0, rescale,
                     c->o + r0 * p->dhp + d, p->dhp);
}

/* P V when V holds NaN or inf and some keys are hidden: hidden keys are skipped (p = 0 must not
 * meet 0 * inf); P rounded to bf16 as in bf16_accumulate. */
static void bf16_accumulate_guarded(flash_ctx *c, int64_t r0, int64_t r1, int64_t k0, int64_t n)
{
    const mha_args *a = c->a;
    const mha_flash_plan *p = c->p;
    for (int64_t r = r0; r < r1; r++) {
        float *o = flash_rescale_row(c, r);
        const float *s = c->s + (r - r0) * p->bk_pad;
        for (int64_t j = 0; j < n; j++) {
            if (flash_key_hidden(c, r, k0, j))
                continue;
            const float pj = mha_f32_from_bits((uint32_t)bf16_round_p(s[j]) << 16);
            flash_lp_axpy(c->kern, o, flash_lp_row(a->v, a->v_strides, c->b, k0 + j, c->g, MHA_BF16),
                          a->shape.head_dim, pj, MHA_BF16);
        }
    }
}

/* Key block [k0, k0 + n) through the current query block (flash_tmpl.c's run_block with these kernels). */
static void bf16_run_block(flash_ctx *c, int64_t k0, int64_t n)
{
    const mha_args *a = c->a;
    if (a->mask && !flash_block_visible(c, k0, n))
        return;
    const int hidden = a->mask || k0 + n > c->lim[0];
    bf16_pack_k(c, k0, n);
    const int v_bad = bf16_pack_v(c, k0, n, hidden);
    for (int64_t r0 = 0; r0 < c->nrows; r0 += FLASH_MR) {
        const int64_t r1 = r0 + FLASH_MR < c->nrows ? r0 + FLASH_MR : c->nrows;
        const int64_t nt = c->lim[r1 - 1] - k0 < n ? c->lim[r1 - 1] - k0 : n;
        if (nt <= 0)
            continue;
        bf16_scores(c, r0, r0 + FLASH_MR, nt);
        if (a->mask || k0 + nt > c->lim[r0] || nt % FLASH_NR != 0)
            flash_apply_mask(c, r0, r1, k0, nt);
        BF16_SOFTMAX(c, r0, r1, nt);
        if (v_bad)
            bf16_accumulate_guarded(c, r0, r1, k0, nt);
        else
            bf16_accumulate(c, r0, r1, nt);
    }
}

static const flash_kernels flash_kernels_bf16 = {
    .tile = {FLASH_MR, FLASH_NR, FLASH_DR},
    /* no fp32 tile microkernels: the loops above call the bf16 ones */
    .pack_strip = NULL,
    .qk_tile = NULL,
    .pv_tile = NULL,
    .row_max = BF16_ROW_MAX,
    .row_exp_sum = BF16_ROW_EXP_SUM,
    .qk_rows = BF16_QK_ROWS,
    .pv_rows = BF16_PV_ROWS,
    .run_block = bf16_run_block,
    .pack_k = bf16_pack_k,
    .scores = bf16_scores,
    .softmax = BF16_SOFTMAX,
    .axpy = BF16_AXPY,
    .lowp = BF16_LOWP,
};

const flash_bf16_kernels BF16_MICRO = {
    .mr = FLASH_MR,
    .nr = FLASH_NR,
    .dr = FLASH_DR,
    .round_to_odd = BF16_ROUND_TO_ODD,
    .pack_k_strip = bf16_pack_k_strip,
    .pack_v_pair = bf16_pack_v_pair,
    .qk_tile = bf16_qk_tile,
    .p_pairs_in_place = bf16_p_pairs_in_place,
    .pv_tile = bf16_pv_tile,
};

static size_t bf16_workspace(const mha_shape *shape, int threads, int want_probs)
{
    (void)want_probs;
    return mha_flash_workspace(&flash_kernels_bf16, shape, threads);
}

static void bf16_attention(const mha_args *args, void *ws)
{
    mha_flash_attention(&flash_kernels_bf16, args, ws);
}

#endif
