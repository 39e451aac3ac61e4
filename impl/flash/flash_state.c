/*
 * The online-softmax state of a query block (flash_ctx.h): where it lives
 * in the thread's workspace, loading the block's Q rows with their causal
 * limits and mask rows, resetting (m, l, O) and storing O / l.
 */
#include "flash_ctx.h"
#include "flash_lowp.h"

#include <string.h>

void flash_row_ih(const flash_ctx *c, int64_t r, int64_t *i, int64_t *h)
{
    const int64_t rr = c->r0 + r;
    *i = rr / c->p->group;
    *h = c->g * c->p->group + rr % c->p->group;
}

void flash_select_block(flash_ctx *c, int64_t b, int64_t g, int64_t qb)
{
    c->b = b;
    c->g = g;
    c->r0 = qb * c->p->bq;
    c->nrows = c->p->rows - c->r0 < c->p->bq ? c->p->rows - c->r0 : c->p->bq;
}

void flash_load_block(flash_ctx *c, int64_t b, int64_t g, int64_t qb)
{
    const mha_args *a = c->a;
    const int64_t dh = a->shape.head_dim;
    flash_select_block(c, b, g, qb);
    for (int64_t r = 0; r < c->p->bq_pad; r++) {
        if (r < c->nrows) {
            int64_t i, h;
            flash_row_ih(c, r, &i, &h);
            flash_lp_load(c->kern, c->q + r * dh, flash_lp_row(a->q, a->q_strides, b, i, h, a->dtype), dh, a->dtype);
            c->lim[r] = mha_causal_limit(a, i);
            c->mrow[r] = mha_mask_row(a, b, h, i);
        } else {
            memset(c->q + r * dh, 0, (size_t)dh * sizeof(float));
            c->lim[r] = 0;
            c->mrow[r] = NULL;
        }
    }
}

void flash_reset_state(flash_ctx *c)
{
    const mha_flash_plan *p = c->p;
    for (int64_t r = 0; r < p->bq_pad; r++) {
        c->m[r] = -INFINITY;
        c->l[r] = 0.0f;
        c->alpha[r] = 1.0f;
    }
    memset(c->o, 0, (size_t)(p->bq_pad * p->dhp) * sizeof(float));
}

void flash_store(const flash_ctx *c, const float *o, int64_t ldo, const float *m, const float *l)
{
    const mha_args *a = c->a;
    const int64_t dh = a->shape.head_dim;
    for (int64_t r = 0; r < c->nrows; r++) {
        int64_t i, h;
        flash_row_ih(c, r, &i, &h);
        void *dst = flash_lp_out_row(a, c->b, i, h);
        if (m[r] == -INFINITY) {
            memset(dst, 0, (size_t)dh * flash_lp_size(a->out_dtype));
            continue;
        }
        /* O / l, rounded once to out_dtype */
        flash_lp_store(dst, o + r * ldo, dh, 1.0f / l[r], a->out_dtype);
    }
}
