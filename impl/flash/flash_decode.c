/*
 * Split-KV decode (FlashDecoding) and its merge. When a query block is
 * alone (decode), its keys are cut into splits (flash_plan.c); split s
 * yields (m_s, l_s, O_s) into a partial slot, and the splits are merged in
 * index order:
 *   m = max_s m_s,  w_s = exp(m_s - m),  l = sum_s w_s l_s,
 *   O = (sum_s w_s O_s) / l.
 * The split boundaries depend only on the shape, so the result is the same
 * for every thread count. A split walks its keys block by block and every
 * kv head through each block (one state each), so it reads one contiguous
 * range of token rows (all kv heads of a token are adjacent in the seed
 * layout).
 */
#include "flash_ctx.h"

#include <string.h>

/* Floats of one partial slot: O [bq][dhp], then m and l [bq]. */
static size_t slot_floats(const mha_flash_plan *p)
{
    return (size_t)(p->bq * (p->dhp + 2));
}

/* Keys [ks, ke) of split sp of batch b, every kv head; (O, m, l) of each head to its partial slot. */
static void decode_split(const flash_kernels *kern, const mha_args *a, const mha_flash_plan *p, float *base, int64_t b,
                         int64_t sp, float *partials)
{
    const int64_t hkv = a->shape.kv_heads, bk = p->bk;
    const size_t slot = slot_floats(p);
    const int64_t ks = sp * p->split_len;
    const int64_t ke = ks + p->split_len < a->shape.kv_len ? ks + p->split_len : a->shape.kv_len;
    flash_ctx c;
    memset(&c, 0, sizeof c); /* hkv >= 1 (validated), but the compiler cannot know */
    for (int64_t g = 0; g < hkv; g++) {
        flash_ctx_init(&c, kern, a, p, base, g);
        flash_load_block(&c, b, g, 0);
        flash_reset_state(&c);
    }
    const int64_t kend = flash_key_end(&c, ke); /* the same for every head */
    for (int64_t k0 = ks; k0 < kend; k0 += bk) {
        const int64_t n = kend - k0 < bk ? kend - k0 : bk;
        if (p->stream) {
            flash_stream_block(kern, a, p, base, b, k0, n);
            continue;
        }
        for (int64_t g = 0; g < hkv; g++) {
            flash_ctx_init(&c, kern, a, p, base, g);
            flash_select_block(&c, b, g, 0);
            kern->run_block(&c, k0, n);
        }
    }
    for (int64_t g = 0; g < hkv; g++) {
        flash_ctx_init(&c, kern, a, p, base, g);
        flash_select_block(&c, b, g, 0);
        float *dst = partials + (size_t)(g * MHA_FLASH_MAX_SPLITS + sp) * slot;
        memcpy(dst, c.o, (size_t)(c.nrows * p->dhp) * sizeof(float));
        memcpy(dst + p->bq * p->dhp, c.m, (size_t)c.nrows * sizeof(float));
        memcpy(dst + p->bq * p->dhp + p->bq, c.l, (size_t)c.nrows * sizeof(float));
    }
}

/* Merge the splits of the current query block (index order) into its state and store it. */
static void merge(flash_ctx *c, const float *slots)
{
    const mha_flash_plan *p = c->p;
    const size_t slot = slot_floats(p);
    for (int64_t r = 0; r < c->nrows; r++) {
        float m = -INFINITY;
        for (int64_t sp = 0; sp < p->nsplit; sp++)
            m = flash_max_nan(m, slots[sp * slot + p->bq * p->dhp + r]);
        float l = 0.0f, *o = c->o + r * p->dhp;
        memset(o, 0, (size_t)p->dhp * sizeof *o);
        if (m != -INFINITY) {
            for (int64_t sp = 0; sp < p->nsplit; sp++) {
                const float *so = slots + sp * slot;
                const float ms = so[p->bq * p->dhp + r];
                const float ls = so[p->bq * p->dhp + p->bq + r];
                if (ms == -INFINITY)
                    continue; /* this split saw no key of row r */
                /* w_s = exp(m_s - m);  l += w_s l_s;  O += w_s O_s (the ISA's multiply-add) */
                const float w = expf(ms - m);
                c->kern->axpy(&l, &ls, 1, w);
                c->kern->axpy(o, so + r * p->dhp, p->dhp, w);
            }
        }
        c->m[r] = m;
        c->l[r] = l;
    }
    flash_store(c, c->o, p->dhp, c->m, c->l);
}

void flash_split_tasks(void *ctx, int64_t begin, int64_t end, int worker)
{
    const flash_call *x = ctx;
    for (int64_t sp = begin; sp < end; sp++)
        decode_split(x->kern, x->a, x->p, x->ws + (size_t)worker * x->p->thread_floats, x->b, sp, x->partials);
}

void flash_merge_tasks(void *ctx, int64_t begin, int64_t end, int worker)
{
    const flash_call *x = ctx;
    const mha_flash_plan *p = x->p;
    for (int64_t g = begin; g < end; g++) {
        flash_ctx c;
        flash_ctx_init(&c, x->kern, x->a, p, x->ws + (size_t)worker * p->thread_floats, 0);
        flash_load_block(&c, x->b, g, 0);
        merge(&c, x->partials + (size_t)(g * MHA_FLASH_MAX_SPLITS) * slot_floats(p));
        if (x->a->probs)
            flash_write_probs(&c, c.m, c.l);
    }
}
