/*
 * The flash driver's state and the functions that do not depend on the
 * ISA (compiled once). The algorithm (FlashAttention-2, Dao 2023,
 * "FlashAttention-2: Faster Attention with Better Parallelism and Work
 * Partitioning", Algorithm 1, forward pass), for a block of query rows and
 * key blocks K_1, K_2, ...:
 *
 *   S_t   = scale * Q K_t^T (+ M_t)                 scores of block t
 *   m_t   = max(m_{t-1}, rowmax(S_t))               running max, m_0 = -inf
 *   P_t   = exp(S_t - m_t)                           unnormalised probabilities
 *   a_t   = exp(m_{t-1} - m_t)                       1 unless the max grew
 *   l_t   = a_t l_{t-1} + rowsum(P_t)                running sum, l_0 = 0
 *   O_t   = a_t O_{t-1} + P_t V_t                    unnormalised output
 *   O     = O_T / l_T                                one division at the end
 *
 * Files: flash_state.c (this state: loading a query block, resetting and
 * storing it), flash_mask.c (masking and visible key ranges), flash_tmpl.c
 * (per ISA: packing, Q K^T, online softmax, P V over one key block),
 * flash_decode.c (split-KV decode and its merge), flash_stream.c (streamed
 * decode), flash_probs.c (the probabilities pass), flash_attention.c
 * (threads and tasks), flash_plan.c (block sizes, splits, workspace).
 */
#ifndef MHA_FLASH_CTX_H
#define MHA_FLASH_CTX_H

#include "../core/internal.h"
#include "flash.h"
#include "flash_kernels.h"

#include <math.h>

/* One thread's view of the workspace plus the call's constants. */
typedef struct flash_ctx {
    const flash_kernels *kern;
    const mha_args *a;
    const mha_flash_plan *p;
    float *q, *k_pack, *v_pack, *s, *o, *m, *l, *alpha;
    int64_t *lim;
    const float **mrow;
    int *flag;                /* streamed decode: block flags */
    int64_t b, g, r0, nrows;  /* current query block: batch, kv head, first row, row count */
} flash_ctx;

/* What the tasks of one call share. */
typedef struct flash_call {
    const flash_kernels *kern;
    const mha_args *a;
    const mha_flash_plan *p;
    float *ws;       /* thread_floats per worker */
    float *partials; /* decode: (O, m, l) per kv head and split */
    int64_t b;       /* decode: the batch being computed */
    int64_t groups;  /* decode: kv-head groups per split (flash_decode.c) */
} flash_call;

/* m_new from m_old and a row max; NaN in either stays NaN. */
static inline float flash_max_nan(float m_old, float mb)
{
    if (isnan(m_old) || isnan(mb))
        return NAN;
    return m_old > mb ? m_old : mb;
}

/* Row r of the output block, multiplied by alpha[r]: the first step of a guarded P V. */
static inline float *flash_rescale_row(const flash_ctx *c, int64_t r)
{
    float *o = c->o + r * c->p->dhp;
    for (int64_t d = 0; d < c->p->dhp; d++)
        o[d] *= c->alpha[r];
    return o;
}

/* Whether key k0 + j is hidden from row r: past its causal limit or a -inf mask entry. */
static inline int flash_key_hidden(const flash_ctx *c, int64_t r, int64_t k0, int64_t j)
{
    return k0 + j >= c->lim[r] || (c->mrow[r] && c->mrow[r][k0 + j] == -INFINITY);
}

/* Point c at state `state` of the thread workspace at base (scratch shared by every state). */
static inline void flash_ctx_init(flash_ctx *c, const flash_kernels *kern, const mha_args *a,
                                  const mha_flash_plan *p, float *base, int64_t state)
{
    float *st = base + p->scratch_floats + (size_t)state * p->state_floats;
    c->kern = kern;
    c->a = a;
    c->p = p;
    c->k_pack = base + p->off_k;
    c->v_pack = base + p->off_v;
    c->s = base + p->off_s + (size_t)state * p->s_stride;
    c->q = st + p->off_q;
    c->o = st + p->off_o;
    c->m = st + p->off_m;
    c->l = st + p->off_l;
    c->alpha = st + p->off_alpha;
    c->lim = (int64_t *)(void *)(st + p->off_lim);
    c->mrow = (const float **)(void *)(st + p->off_mrow);
    c->flag = (int *)(void *)(st + p->off_flag);
}

/* flash_state.c */
/* Row r of the current block: query position i and query head h. */
void flash_row_ih(const flash_ctx *c, int64_t r, int64_t *i, int64_t *h);
/* Make query block qb of (b, g) current without loading it (its state is already loaded). */
void flash_select_block(flash_ctx *c, int64_t b, int64_t g, int64_t qb);
/* Make query block qb of (b, g) current and load it: Q rows, causal limit and mask row of each row. */
void flash_load_block(flash_ctx *c, int64_t b, int64_t g, int64_t qb);
/* m = -inf, l = 0, alpha = 1, O = 0 for every row. */
void flash_reset_state(flash_ctx *c);
/* out = O / l for the block's rows (zeros for rows that saw no key). */
void flash_store(const flash_ctx *c, const float *o, int64_t ldo, const float *m, const float *l);

/* flash_mask.c */
/* Whether any key of [k0, k0 + n) is visible to any row (only called with a mask). */
int flash_block_visible(const flash_ctx *c, int64_t k0, int64_t n);
/* Last key the block's rows can see, at most ke: keys >= it are never visible. */
int64_t flash_key_end(const flash_ctx *c, int64_t ke);
/* S[r][j] = -inf for hidden keys (causal, -inf mask, padding up to a multiple of NR), else S + M;
 * rows r0 .. r1 (S row r - r0), keys 0 .. n of block k0. */
void flash_apply_mask(flash_ctx *c, int64_t r0, int64_t r1, int64_t k0, int64_t n);

/* flash_stream.c: streamed decode of key block [k0, k0 + n), kv heads [g0, g1) of batch b. */
void flash_stream_block(const flash_kernels *kern, const mha_args *a, const mha_flash_plan *p, float *base, int64_t b,
                        int64_t g0, int64_t g1, int64_t k0, int64_t n);

/* flash_probs.c: second pass, P[b,h,i,:] = exp(S - m) / l with the final m and l. */
void flash_write_probs(flash_ctx *c, const float *m, const float *l);

/* flash_decode.c: a decode (plan->decode) on `threads` threads: split tasks, then merge tasks.
 * x->ws holds the threads' workspaces, x->partials the split partials. */
void flash_decode(flash_call *x, int threads);
/* The most tasks one loop of a decode has (threads beyond it get no workspace). */
int64_t flash_decode_tasks(const mha_shape *s, const mha_flash_plan *p);

#endif
