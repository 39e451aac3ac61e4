/*
 * The flash variants' attention and workspace functions, given an ISA's
 * kernel table: threads and tasks. Every query block (and, when decoding,
 * every key split) is computed by one thread in a fixed order, so the
 * result is the same for every thread count.
 */
#include "../core/parallel.h"
#include "flash_ctx.h"

/* Threads with a workspace slot: at most the items of the call's largest loop. */
static int slot_threads(const mha_shape *s, const mha_flash_plan *p, int threads)
{
    if (!p->decode)
        return mha_threads_for(threads, s->batch * s->kv_heads * p->qblocks);
    return mha_threads_for(threads, flash_decode_tasks(s, p));
}

size_t mha_flash_workspace(const flash_kernels *kern, const mha_shape *shape, int threads)
{
    mha_flash_plan p;
    mha_flash_plan_make(shape, &kern->tile, &p);
    /* + 64: room to align a caller's buffer */
    return mha_flash_workspace_bytes(&p, slot_threads(shape, &p, threads)) + 64;
}

/* The workspace rounded up to 64 bytes (callers' buffers may be unaligned). */
static float *aligned(void *workspace)
{
    return (float *)(((uintptr_t)workspace + 63) & ~(uintptr_t)63);
}

/* Key blocks [ks, ke) through the current query block. */
static void run_keys(flash_ctx *c, int64_t ks, int64_t ke)
{
    const int64_t bk = c->p->bk, kend = flash_key_end(c, ke);
    for (int64_t k0 = ks; k0 < kend; k0 += bk)
        c->kern->run_block(c, k0, kend - k0 < bk ? kend - k0 : bk);
}

/* Query-block tasks, heaviest first: the last block of every (batch, kv
 * head), then the one before it of every (batch, kv head), ... Under
 * causal masking a block's work grows with its index, so the lightest
 * blocks are the last ones handed out and fill the threads' ends. */
static void block_tasks(void *ctx, int64_t begin, int64_t end, int worker)
{
    const flash_call *x = ctx;
    const mha_args *a = x->a;
    const mha_flash_plan *p = x->p;
    for (int64_t it = begin; it < end; it++) {
        flash_ctx c;
        flash_ctx_init(&c, x->kern, a, p, x->ws + (size_t)worker * p->thread_floats, 0);
        const int64_t heads = a->shape.batch * a->shape.kv_heads;
        const int64_t qb = p->qblocks - 1 - it / heads, bg = it % heads;
        flash_load_block(&c, bg / a->shape.kv_heads, bg % a->shape.kv_heads, qb);
        flash_reset_state(&c);
        run_keys(&c, 0, a->shape.kv_len);
        flash_store(&c, c.o, p->dhp, c.m, c.l);
        if (a->probs)
            flash_write_probs(&c, c.m, c.l);
    }
}

void mha_flash_attention(const flash_kernels *kern, const mha_args *a, void *workspace)
{
    mha_flash_plan p;
    mha_flash_plan_make(&a->shape, &kern->tile, &p);
    const int threads = slot_threads(&a->shape, &p, a->threads);
    flash_call x = {kern, a, &p, aligned(workspace), NULL, 0, 1};

    if (!p.decode) {
        mha_parallel_for(threads, a->shape.batch * a->shape.kv_heads * p.qblocks, 1, block_tasks, &x);
        return;
    }
    x.partials = x.ws + (size_t)threads * p.thread_floats;
    flash_decode(&x, threads);
}
