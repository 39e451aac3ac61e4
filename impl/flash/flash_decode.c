/*
 * Split-KV decode (FlashDecoding) and its merge. When a query block is
 * alone (decode), its keys are cut into splits (flash_plan.c); split s
 * yields (m_s, l_s, O_s) into a partial slot, and the splits are merged in
 * index order:
 *   m = max_s m_s,  w_s = exp(m_s - m),  l = sum_s w_s l_s,
 *   O = (sum_s w_s O_s) / l.
 * The split boundaries depend only on the shape, so the result is the same
 * for every thread count. A task is one split of a group of kv heads: it
 * walks its keys block by block and each head of the group through each
 * block (one state each), so with one group it reads one contiguous range
 * of token rows (all kv heads of a token are adjacent in the seed layout).
 * Groups exist for threads only (short decodes have one split): heads are
 * independent, so grouping never changes a result. With one split the
 * task stores O / l itself and there is no merge.
 */
#include "../core/parallel.h"
#include "flash_ctx.h"

#include <string.h>

/* Floats of one partial slot: O [bq][dhp], then m and l [bq]. */
static size_t slot_floats(const mha_flash_plan *p)
{
    return (size_t)(p->bq * (p->dhp + 2));
}

/* Keys [ks, ke) of split sp of batch b, kv heads [g0, g1); (O, m, l) of each head to its partial
 * slot, or, with a single split (partials NULL), O / l to the output (and P when asked). */
static void decode_split(const flash_kernels *kern, const mha_args *a, const mha_flash_plan *p, float *base, int64_t b,
                         int64_t sp, int64_t g0, int64_t g1, float *partials)
{
    const int64_t bk = p->bk;
    const size_t slot = slot_floats(p);
    const int64_t ks = sp * p->split_len;
    const int64_t ke = ks + p->split_len < a->shape.kv_len ? ks + p->split_len : a->shape.kv_len;
    flash_ctx c;
    memset(&c, 0, sizeof c); /* g0 < g1 (head_groups), but the compiler cannot know */
    for (int64_t g = g0; g < g1; g++) {
        flash_ctx_init(&c, kern, a, p, base, g);
        flash_load_block(&c, b, g, 0);
        flash_reset_state(&c);
    }
    const int64_t kend = flash_key_end(&c, ke); /* the same for every head */
    for (int64_t k0 = ks; k0 < kend; k0 += bk) {
        const int64_t n = kend - k0 < bk ? kend - k0 : bk;
        if (p->stream) {
            flash_stream_block(kern, a, p, base, b, g0, g1, k0, n);
            continue;
        }
        for (int64_t g = g0; g < g1; g++) {
            flash_ctx_init(&c, kern, a, p, base, g);
            flash_select_block(&c, b, g, 0);
            kern->run_block(&c, k0, n);
        }
    }
    for (int64_t g = g0; g < g1; g++) {
        flash_ctx_init(&c, kern, a, p, base, g);
        flash_select_block(&c, b, g, 0);
        if (!partials) {
            flash_store(&c, c.o, p->dhp, c.m, c.l);
            if (a->probs)
                flash_write_probs(&c, c.m, c.l);
            continue;
        }
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

/* Kv heads [*g0, *g1) of head group hg of x->groups. */
static void group_heads(const flash_call *x, int64_t hg, int64_t *g0, int64_t *g1)
{
    const int64_t hkv = x->a->shape.kv_heads;
    *g0 = hg * hkv / x->groups;
    *g1 = (hg + 1) * hkv / x->groups;
}

/* Task t: split t / groups of batch x->b (several splits), or batch t / groups (one split);
 * kv heads of group t % groups. */
static void split_tasks(void *ctx, int64_t begin, int64_t end, int worker)
{
    const flash_call *x = ctx;
    float *base = x->ws + (size_t)worker * x->p->thread_floats;
    for (int64_t t = begin; t < end; t++) {
        int64_t g0, g1;
        group_heads(x, t % x->groups, &g0, &g1);
        if (x->p->nsplit > 1)
            decode_split(x->kern, x->a, x->p, base, x->b, t / x->groups, g0, g1, x->partials);
        else
            decode_split(x->kern, x->a, x->p, base, t / x->groups, 0, g0, g1, NULL);
    }
}

static void merge_tasks(void *ctx, int64_t begin, int64_t end, int worker)
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

/*
 * Head groups per unit of work (a split, or a batch when there is one
 * split): the fewest that give every thread the same number of tasks, or
 * at least 4 tasks per thread, at most one group per kv head. Heads are
 * independent, so the grouping never changes a result.
 */
static int64_t head_groups(int64_t units, int64_t hkv, int threads)
{
    int64_t g = 1;
    while (g < hkv && (units * g) % threads != 0 && units * g < 4 * (int64_t)threads)
        g++;
    return g;
}

int64_t flash_decode_tasks(const mha_shape *s, const mha_flash_plan *p)
{
    return (p->nsplit > 1 ? p->nsplit : s->batch) * s->kv_heads;
}

void flash_decode(flash_call *x, int threads)
{
    const mha_shape *s = &x->a->shape;
    if (x->p->nsplit == 1) {
        x->groups = head_groups(s->batch, s->kv_heads, threads);
        mha_parallel_for(threads, s->batch * x->groups, 1, split_tasks, x);
        return;
    }
    /* one batch at a time: a task per split and head group, then a merge per kv head */
    x->groups = head_groups(x->p->nsplit, s->kv_heads, threads);
    for (x->b = 0; x->b < s->batch; x->b++) {
        mha_parallel_for(threads, x->p->nsplit * x->groups, 1, split_tasks, x);
        mha_parallel_for(threads, s->kv_heads, 1, merge_tasks, x);
    }
}
