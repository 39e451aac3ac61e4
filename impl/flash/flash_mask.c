/*
 * Masking and visible key ranges. Masked keys (causal, -inf mask entries,
 * the padding of the last block) get S = -inf, so P = 0. Blocks wholly
 * above the causal diagonal and blocks whose mask is all -inf are skipped
 * (their K and V are never read). Rows are i-major, so the causal limit
 * never decreases with the row: the last row of a block sees most keys.
 */
#include "flash_ctx.h"

int flash_block_visible(const flash_ctx *c, int64_t k0, int64_t n)
{
    for (int64_t r = 0; r < c->nrows; r++) {
        const float *mr = c->mrow[r] + k0;
        int64_t vis = c->lim[r] - k0 < n ? c->lim[r] - k0 : n;
        for (int64_t j = 0; j < vis; j++)
            if (mr[j] != -INFINITY)
                return 1;
    }
    return 0;
}

int64_t flash_key_end(const flash_ctx *c, int64_t ke)
{
    int64_t lim = c->lim[c->nrows - 1];
    return lim < ke ? lim : ke;
}

void flash_apply_mask(flash_ctx *c, int64_t r0, int64_t r1, int64_t k0, int64_t n)
{
    const int64_t nr = c->kern->tile.nr, ld = c->p->bk_pad, cols = (n + nr - 1) / nr * nr;
    for (int64_t r = r0; r < r1; r++) {
        float *s = c->s + (r - r0) * ld;
        const float *mr = c->mrow[r] ? c->mrow[r] + k0 : NULL;
        int64_t vis = c->lim[r] - k0 < n ? c->lim[r] - k0 : n;
        if (vis < 0)
            vis = 0;
        if (mr) {
            for (int64_t j = 0; j < vis; j++)
                s[j] = mr[j] == -INFINITY ? -INFINITY : s[j] + mr[j];
        }
        for (int64_t j = vis; j < cols; j++)
            s[j] = -INFINITY;
    }
}
