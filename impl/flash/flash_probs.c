/*
 * The probabilities pass, when asked for: a second pass over K with the
 * final m and l of each row, P = exp(S - m) / l. It recomputes Q K^T with
 * the same kernels as the first pass, so S is the same.
 */
#include "flash_ctx.h"
#include "flash_lowp.h"

/* Row (b, h, i) of the contiguous [B][H][Sq][Skv] probabilities. */
static float *probs_row(const mha_args *a, int64_t b, int64_t h, int64_t i)
{
    const mha_shape *sh = &a->shape;
    return a->probs + ((b * sh->heads + h) * sh->q_len + i) * sh->kv_len;
}

void flash_write_probs(flash_ctx *c, const float *m, const float *l)
{
    const mha_args *a = c->a;
    const flash_kernels *kern = c->kern;
    const int64_t skv = a->shape.kv_len, bk = c->p->bk, ld = c->p->bk_pad, mr = kern->tile.mr, nr = kern->tile.nr;
    for (int64_t r = 0; r < c->nrows; r++) {
        int64_t i, h;
        flash_row_ih(c, r, &i, &h);
        /* zeros for keys never visited; a NaN row (NaN l) is NaN everywhere, as p = e / l */
        float *dst = probs_row(a, c->b, h, i);
        const float fill = isnan(l[r]) ? NAN : 0.0f;
        for (int64_t j = 0; j < skv; j++)
            dst[j] = fill;
    }
    const int64_t kend = flash_key_end(c, skv);
    for (int64_t k0 = 0; k0 < kend; k0 += bk) {
        const int64_t n = kend - k0 < bk ? kend - k0 : bk;
        if (a->mask && !flash_block_visible(c, k0, n))
            continue;
        /* streamed decode: every row in one tile, K read in place */
        const int64_t rt = c->p->stream ? c->nrows : mr;
        if (!c->p->stream)
            kern->pack_k(c, k0, n);
        for (int64_t r0 = 0; r0 < c->nrows; r0 += rt) {
            const int64_t r1 = r0 + rt < c->nrows ? r0 + rt : c->nrows;
            if (c->p->stream)
                flash_lp_qk_rows(kern, a, c->q, (int)c->nrows, c->b, k0, c->g, (int)n, c->s, ld);
            else
                kern->scores(c, r0, r0 + mr, n);
            flash_apply_mask(c, r0, r1, k0, n);
            for (int64_t r = r0; r < r1; r++) {
                if (m[r] == -INFINITY)
                    continue;
                int64_t i, h;
                flash_row_ih(c, r, &i, &h);
                float *s = c->s + (r - r0) * ld;
                float *dst = probs_row(a, c->b, h, i) + k0;
                /* p = exp(s - m) / l */
                kern->row_exp_sum(s, (n + nr - 1) / nr * nr, m[r]);
                const float inv_l = 1.0f / l[r];
                for (int64_t j = 0; j < n; j++)
                    dst[j] = s[j] * inv_l;
            }
        }
    }
}
