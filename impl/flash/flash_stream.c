/*
 * Streamed decode (few rows per kv head, e.g. Sq = 1, where Q K^T and P V
 * are matrix-vector products): the table's qk_rows and pv_rows kernels
 * read K and V rows in place, nothing is packed. Token-major: each step of
 * FLASH_STREAM_STEP token rows is used by every kv head of the task
 * (heads g0 .. g1) before the next step, so K and then V are read in
 * address order, a few pages at a time: the hardware prefetchers follow
 * and the TLB holds the pages (a token's K row is 4 KiB at Hkv = 8,
 * Dh = 128). A step of a whole key block (32 tokens) read a block's pages
 * head by head and measured about 2x slower at Skv = 32768 (docs/decode.md).
 * State g holds kv head g.
 *   1. S_g = scale * Q_g K_g^T         step by step, every head
 *   2. mask, online softmax of S_g      head by head
 *   3. O_g = alpha_g O_g + P_g V_g      step by step, every head
 */
#include "flash_ctx.h"
#include "flash_lowp.h"

/* Token rows per kernel call. */
#define FLASH_STREAM_STEP 8

/* Block flags of a kv head (int slots of its state). */
enum { FLASH_SKIP, FLASH_GUARDED, FLASH_RESCALE };

/* P V of one head when V holds NaN or inf and some keys are hidden: hidden
 * keys are skipped (p = 0 must not meet 0 * inf). */
static void accumulate_guarded(flash_ctx *c, int64_t k0, int64_t nt)
{
    const mha_args *a = c->a;
    const int64_t dh = a->shape.head_dim, ld = c->p->bk_pad;
    for (int64_t r = 0; r < c->nrows; r++) {
        float *o = c->o + r * c->p->dhp;
        const float *sr = c->s + r * ld;
        for (int64_t d = 0; d < dh; d++)
            o[d] *= c->alpha[r];
        for (int64_t j = 0; j < nt; j++) {
            if (flash_key_hidden(c, r, k0, j))
                continue;
            flash_lp_axpy(c->kern, o, flash_lp_row(a->v, a->v_strides, c->b, k0 + j, c->g, a->dtype), dh, sr[j],
                          a->dtype);
        }
    }
}

/* Whether V rows [k0, k0 + nt) of the current head hold a NaN or an infinity. */
static int v_has_nonfinite(const flash_ctx *c, int64_t k0, int64_t nt)
{
    const mha_args *a = c->a;
    int bad = 0;
    for (int64_t j = 0; j < nt; j++)
        bad |= flash_lp_nonfinite(flash_lp_row(a->v, a->v_strides, c->b, k0 + j, c->g, a->dtype), a->shape.head_dim,
                                  a->dtype);
    return bad;
}

void flash_stream_block(const flash_kernels *kern, const mha_args *a, const mha_flash_plan *p, float *base, int64_t b,
                        int64_t g0, int64_t g1, int64_t k0, int64_t n)
{
    const int64_t ld = p->bk_pad;
    flash_ctx c;
    flash_ctx_init(&c, kern, a, p, base, g0);
    flash_select_block(&c, b, g0, 0);
    const int nr = (int)c.nrows;
    /* keys any row sees, the same for every head: nt = min(n, lim(last row) - k0) */
    const int64_t nt = c.lim[nr - 1] - k0 < n ? c.lim[nr - 1] - k0 : n;
    if (nt <= 0)
        return;
    const int hidden = a->mask || k0 + nt > c.lim[0]; /* some key hidden from some row */
    for (int64_t g = g0; g < g1; g++) {
        flash_ctx_init(&c, kern, a, p, base, g);
        flash_select_block(&c, b, g, 0);
        c.flag[FLASH_SKIP] = a->mask && !flash_block_visible(&c, k0, n); /* every entry -inf */
    }
    /* 1. S = scale * Q K^T */
    for (int64_t j = 0; j < nt; j += FLASH_STREAM_STEP) {
        const int nk = nt - j < FLASH_STREAM_STEP ? (int)(nt - j) : FLASH_STREAM_STEP;
        for (int64_t g = g0; g < g1; g++) {
            flash_ctx_init(&c, kern, a, p, base, g);
            if (!c.flag[FLASH_SKIP])
                flash_lp_qk_rows(kern, a, c.q, nr, b, k0 + j, g, nk, c.s + j, ld);
        }
    }
    /* 2. mask, softmax; with hidden keys and a NaN or inf in V, P V skips hidden keys (guarded) */
    for (int64_t g = g0; g < g1; g++) {
        flash_ctx_init(&c, kern, a, p, base, g);
        flash_select_block(&c, b, g, 0);
        if (c.flag[FLASH_SKIP])
            continue;
        if (hidden || nt % kern->tile.nr != 0)
            flash_apply_mask(&c, 0, nr, k0, nt);
        kern->softmax(&c, 0, nr, nt);
        int rescale = 0;
        for (int r = 0; r < nr; r++)
            rescale |= c.alpha[r] != 1.0f;
        c.flag[FLASH_RESCALE] = rescale;
        c.flag[FLASH_GUARDED] = hidden && v_has_nonfinite(&c, k0, nt);
        if (c.flag[FLASH_GUARDED])
            accumulate_guarded(&c, k0, nt);
    }
    /* 3. O = alpha O + P V (alpha applied with the first step) */
    for (int64_t j = 0; j < nt; j += FLASH_STREAM_STEP) {
        const int nk = nt - j < FLASH_STREAM_STEP ? (int)(nt - j) : FLASH_STREAM_STEP;
        for (int64_t g = g0; g < g1; g++) {
            flash_ctx_init(&c, kern, a, p, base, g);
            if (c.flag[FLASH_SKIP] || c.flag[FLASH_GUARDED])
                continue;
            flash_lp_pv_rows(kern, a, c.s + j, ld, nr, b, k0 + j, g, nk, c.alpha, c.flag[FLASH_RESCALE] && j == 0, c.o,
                             p->dhp);
        }
    }
}
