/* Flash driver contexts for check_flash_loops.c (flash_loop_case.h). */
#include "flash_loop_case.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void loop_inputs_make(loop_inputs *in, const loop_shape *sh)
{
    const mha_shape *s = &sh->s;
    const int64_t q_n = s->batch * s->q_len * s->heads * s->head_dim;
    const int64_t kv_n = s->batch * s->kv_len * s->kv_heads * s->head_dim;
    in->q = checkasm_random_floats(q_n, 1.0f);
    in->k = checkasm_random_floats(kv_n, 1.0f);
    in->v = checkasm_random_floats(kv_n, 1.0f);
    in->mask = NULL;
    in->a = mha_args_bshd(*s, in->q, in->k, in->v, NULL);
    in->a.scale = 1.0f / sqrtf((float)s->head_dim);
    in->a.causal = sh->causal;
    in->a.threads = 1;
    if (!sh->mask)
        return;
    const int64_t rows = s->batch * s->heads * s->q_len, m_n = rows * s->kv_len;
    in->mask = checkasm_alloc(m_n);
    for (int64_t i = 0; i < m_n; i++) {
        const int64_t j = i % s->kv_len;
        in->mask[i] = j % 7 == 3 || checkasm_rand_below(5) == 0 ? -INFINITY : checkasm_rand(2.0f);
    }
    in->a.mask = in->mask;
    in->a.mask_strides = (mha_mask_strides){s->heads * s->q_len * s->kv_len, s->q_len * s->kv_len, s->kv_len};
    /* keys hidden from every row: NaN in K and V must never reach a result */
    for (int64_t b = 0; b < s->batch; b++)
        for (int64_t j = 3; j < s->kv_len; j += 7)
            for (int64_t g = 0; g < s->kv_heads; g++)
                for (int64_t d = 0; d < s->head_dim; d++) {
                    const int64_t at = ((b * s->kv_len + j) * s->kv_heads + g) * s->head_dim + d;
                    in->k[at] = in->v[at] = NAN;
                }
    if (sh->mask == 2) /* V[b, key 1, kv head 0, 0]: the rows that see key 1 give NaN, the others must not */
        for (int64_t b = 0; b < s->batch && s->kv_len > 1; b++)
            in->v[(b * s->kv_len + 1) * s->kv_heads * s->head_dim] = NAN;
}

void loop_inputs_free(loop_inputs *in)
{
    checkasm_free(in->q);
    checkasm_free(in->k);
    checkasm_free(in->v);
    checkasm_free(in->mask);
}

/* The plan for a table with the shape's block sizes (MHA_FLASH_BQ, MHA_FLASH_BK, as the benchmark sets them). */
static void plan_with_blocks(mha_flash_plan *p, const flash_kernels *fk, const loop_shape *sh)
{
    char bq[32], bk[32];
    snprintf(bq, sizeof bq, "%lld", (long long)sh->bq);
    snprintf(bk, sizeof bk, "%lld", (long long)sh->bk);
    setenv("MHA_FLASH_BQ", bq, 1);
    setenv("MHA_FLASH_BK", bk, 1);
    mha_flash_plan_make(&sh->s, &fk->tile, p);
    unsetenv("MHA_FLASH_BQ");
    unsetenv("MHA_FLASH_BK");
}

void loop_block_open(loop_block *lb, const flash_kernels *fk, const loop_inputs *in, const loop_shape *sh,
                     int64_t b, int64_t g, int64_t qb)
{
    lb->fk = fk;
    lb->shape = sh;
    lb->qb = qb;
    plan_with_blocks(&lb->p, fk, sh);
    if (lb->p.decode) {
        fprintf(stderr, "checkasm: a loop shape takes the decode path (Sq %lld, Skv %lld): change the shape\n",
                (long long)sh->s.q_len, (long long)sh->s.kv_len);
        exit(2);
    }
    lb->ws = checkasm_alloc((int64_t)lb->p.thread_floats);
    flash_ctx_init(&lb->c, fk, &in->a, &lb->p, lb->ws, 0);
    flash_load_block(&lb->c, b, g, qb);
    flash_reset_state(&lb->c);
}

void loop_block_close(loop_block *lb)
{
    checkasm_free(lb->ws);
}

/* [begin, end) of part `part` in floats from the workspace's start, and its name. */
static const char *part_range(const loop_block *lb, loop_part part, size_t *begin, size_t *end)
{
    const mha_flash_plan *p = &lb->p;
    const int64_t dh = lb->c.a->shape.head_dim;
    const size_t pass = (size_t)loop_pass_rows(lb->fk);
    static const char *const names[PARTS] = {"k_pack", "v_pack", "s", "q", "o", "m", "l", "alpha", "lim", "mrow",
                                             "flag"};
    const size_t st = p->scratch_floats, bq = (size_t)p->bq_pad;
    const size_t at[PARTS] = {p->off_k,        p->off_v,        p->off_s,           st + p->off_q,
                              st + p->off_o,   st + p->off_m,   st + p->off_l,      st + p->off_alpha,
                              st + p->off_lim, st + p->off_mrow, st + p->off_flag};
    const size_t len[PARTS] = {(size_t)(p->bk_pad * dh), (size_t)(p->bk_pad * p->dhp), pass * (size_t)p->bk_pad,
                               bq * (size_t)dh,          bq * (size_t)p->dhp,          bq,
                               bq,                       bq,                           2 * bq,
                               2 * bq,                   4};
    *begin = at[part];
    *end = at[part] + len[part];
    return names[part];
}

float *loop_snapshot(const loop_block *lb)
{
    float *copy = checkasm_alloc((int64_t)lb->p.thread_floats);
    memcpy(copy, lb->ws, lb->p.thread_floats * sizeof(float));
    return copy;
}

void loop_check_untouched(const loop_block *lb, float *before, unsigned allowed)
{
    for (size_t i = 0; i < lb->p.thread_floats; i++) {
        if (memcmp(&before[i], &lb->ws[i], sizeof(float)) == 0)
            continue;
        const char *name = "padding between parts";
        size_t begin = 0, end = 0;
        int ok = 0;
        for (int part = 0; part < PARTS; part++) {
            size_t b, e;
            const char *n = part_range(lb, (loop_part)part, &b, &e);
            if (i >= b && i < e) {
                name = n;
                begin = b;
                end = e;
                ok = (allowed >> part) & 1u;
            }
        }
        if (!ok) {
            checkasm_fail("workspace float %zu (%s, floats %zu .. %zu) written (%a), must be left alone", i, name,
                          begin, end, lb->ws[i]);
            break;
        }
    }
    checkasm_check_guard("workspace", lb->ws, (int64_t)lb->p.thread_floats);
    checkasm_free(before);
}
