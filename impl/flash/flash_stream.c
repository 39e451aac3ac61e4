/*
 * Streamed decode (few rows per kv head, e.g. Sq = 1, where Q K^T and P V
 * are matrix-vector products): the table's qk_rows and pv_rows kernels
 * read fp32 K and V rows in place, nothing is packed; so do the converting
 * table's kernels for bf16 and fp16 rows, widening in registers
 * (flash_lowp.h); with a converting table without them each step of rows
 * is widened in address order (widen_step) for the fp32 kernels.
 * Token-major: each step of FLASH_STREAM_STEP token rows is used by every
 * kv head of the task (heads g0 .. g1) before the next step, so K and then
 * V are read in address order, a few pages at a time: the hardware
 * prefetchers follow and the TLB holds the pages (a token's K row is 4 KiB
 * at Hkv = 8, Dh = 128). A step of a whole key block (32 tokens) read a block's pages
 * head by head and measured about 2x slower at Skv = 32768 (docs/decode.md).
 * While a step is computed, when K and V are larger than a share of the
 * last-level cache (MHA_FLASH_PREFETCH_LLC_SHARE), the rows of the step
 * the kernels read next are prefetched in address order (after a block's
 * last K step its first V step, after its last V step the next block's
 * first K step), each head's share by its kernel call a line per step of
 * the kernel's inner loop (flash_prefetch), so the memory works while the
 * kernels do.
 * State g holds kv head g.
 *   1. S_g = scale * Q_g K_g^T         step by step, every head
 *   2. mask, online softmax of S_g      head by head
 *   3. O_g = alpha_g O_g + P_g V_g      step by step, every head
 */
#include "flash_ctx.h"
#include "flash_lowp.h"

/* Token rows per kernel call. */
#define FLASH_STREAM_STEP MHA_FLASH_STREAM_STEP

/*
 * Head g's share (of heads [g0, g1)) of the step the kernels read after step [j, j + step) of the block
 * [k0, k0 + nt) of K (v = 0) or V (v = 1): the next step of the same view; after K's last step V's first,
 * after V's last step the next block's first of K. The head calls of a step together cover the step's
 * tokens, heads [g0, g1) of each. Where a token's heads are adjacent (the seed layout) the share is a
 * cursor for the head's kernel call, one span per token, which the kernel requests line by line as it
 * computes; in other layouts it is requested here, token by token, and the cursor is empty.
 */
static flash_prefetch next_share(const mha_args *a, int v, int64_t b, int64_t k0, int64_t nt, int64_t j, int step,
                                 int64_t g, int64_t g0, int64_t g1)
{
    const int last = j + step >= nt, next_v = last ? !v : v;
    const int64_t t = !last ? k0 + j + step : v ? k0 + nt : k0;
    const void *base = next_v ? a->v : a->k;
    const mha_strides st = next_v ? a->v_strides : a->k_strides;
    const int64_t ng = g1 - g0, i = g - g0, t0 = t + i * step / ng, t1 = t + (i + 1) * step / ng;
    const int64_t end = t1 < a->shape.kv_len ? t1 : a->shape.kv_len;
    const int64_t size = (int64_t)flash_lp_size(a->dtype), row = a->shape.head_dim * size;
    flash_prefetch pf = {0};
    if (end <= t0)
        return pf;
    if (st.head == a->shape.head_dim) { /* head g + 1's row follows head g's */
        pf.row = flash_lp_row(base, st, b, t0, g0, a->dtype);
        pf.len = ng * row;
        pf.stride = st.seq * size;
        pf.rows = end - t0;
        return pf;
    }
    for (int64_t tk = t0; tk < end; tk++) { /* the heads' rows of token tk: ng spans, st.head elements apart */
        flash_prefetch heads = {flash_lp_row(base, st, b, tk, g0, a->dtype), 0, row, st.head * size, ng};
        flash_prefetch_rest(&heads);
    }
    return pf;
}

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

/*
 * Rows [j, j + nk) of kv heads [g0, g1) of a bf16 or fp16 K or V view, widened into
 * w[t][g - g0][dhp] (row stride (g1 - g0) * dhp per head): read token by token, heads in order,
 * which is address order in the seed layout (one conversion per token there), for a converting
 * table without in-place kernels (flash_lowp_neon). With the next step prefetched, the in-place
 * kernels of flash_lowp_avx2 measured 1.05 - 1.09x (bf16) and 1.09 - 1.18x (fp16) faster than
 * this at Skv 32768 (docs/decode.md).
 */
static void widen_step(const flash_kernels *kern, const mha_args *a, const void *base, mha_strides st, int64_t b,
                       int64_t j, int nk, int64_t g0, int64_t g1, float *w, int64_t dhp)
{
    const int64_t dh = a->shape.head_dim, ng = g1 - g0;
    flash_lp_widen_fn *widen = kern->lowp->widen[a->dtype];
    for (int t = 0; t < nk; t++) {
        float *wt = w + t * ng * dhp;
        if (st.head == dh && dh == dhp) { /* the heads' rows adjacent, and so are their widened rows */
            widen(wt, flash_lp_row(base, st, b, j + t, g0, a->dtype), ng * dh);
            continue;
        }
        for (int64_t g = g0; g < g1; g++)
            widen(wt + (g - g0) * dhp, flash_lp_row(base, st, b, j + t, g, a->dtype), dh);
    }
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
    /* K and V rows of head g at token j: in place (fp32 rows, and bf16 and fp16 rows where the table has kernels
     * that widen in registers), or widened a step at a time into kw, vw (rows of a head (g1 - g0) * dhp apart) */
    const mha_dtype dtype = a->dtype;
    const int in_place = dtype == MHA_F32 || kern->lowp->pv_rows[dtype];
    const int64_t dh = a->shape.head_dim, dhp = p->dhp;
    float *kw = base + p->off_k, *vw = base + p->off_v;
    const int64_t ldk = in_place ? a->k_strides.seq : (g1 - g0) * dhp;
    const int64_t ldv = in_place ? a->v_strides.seq : (g1 - g0) * dhp;
    /* token rows per kernel call: a step, or every key of a short cached decode read in place */
    const int step = p->stream_whole && in_place ? (int)nt : FLASH_STREAM_STEP;
    /* 1. S = scale * Q K^T */
    for (int64_t j = 0; j < nt; j += step) {
        const int nk = nt - j < step ? (int)(nt - j) : step;
        if (!in_place)
            widen_step(kern, a, a->k, a->k_strides, b, k0 + j, nk, g0, g1, kw, dhp);
        for (int64_t g = g0; g < g1; g++) {
            flash_ctx_init(&c, kern, a, p, base, g);
            flash_prefetch pf = {0};
            if (p->stream_prefetch)
                pf = next_share(a, 0, b, k0, nt, j, step, g, g0, g1);
            if (!c.flag[FLASH_SKIP]) {
                const void *k = in_place ? flash_lp_row(a->k, a->k_strides, b, k0 + j, g, dtype) : kw + (g - g0) * dhp;
                if (in_place && dtype != MHA_F32)
                    kern->lowp->qk_rows[dtype](c.q, dh, nr, k, ldk, nk, dh, a->scale, c.s + j, ld, &pf);
                else
                    kern->qk_rows(c.q, dh, nr, k, ldk, nk, dh, a->scale, c.s + j, ld, &pf);
            }
            flash_prefetch_rest(&pf);
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
    for (int64_t j = 0; j < nt; j += step) {
        const int nk = nt - j < step ? (int)(nt - j) : step;
        if (!in_place)
            widen_step(kern, a, a->v, a->v_strides, b, k0 + j, nk, g0, g1, vw, dhp);
        for (int64_t g = g0; g < g1; g++) {
            flash_ctx_init(&c, kern, a, p, base, g);
            flash_prefetch pf = {0};
            if (p->stream_prefetch)
                pf = next_share(a, 1, b, k0, nt, j, step, g, g0, g1);
            if (!c.flag[FLASH_SKIP] && !c.flag[FLASH_GUARDED]) {
                const int rescale = c.flag[FLASH_RESCALE] && j == 0;
                const void *v = in_place ? flash_lp_row(a->v, a->v_strides, b, k0 + j, g, dtype) : vw + (g - g0) * dhp;
                if (in_place && dtype != MHA_F32)
                    kern->lowp->pv_rows[dtype](c.s + j, ld, nr, v, ldv, nk, dh, c.alpha, rescale, c.o, dhp, &pf);
                else
                    kern->pv_rows(c.s + j, ld, nr, v, ldv, nk, dh, c.alpha, rescale, c.o, dhp, &pf);
            }
            flash_prefetch_rest(&pf);
        }
    }
}
