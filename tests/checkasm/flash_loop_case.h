/*
 * A flash driver context for checking the loops of flash_tmpl.c
 * (check_flash_loops.c): inputs of one attention call, and one query
 * block of it opened for a kernel table the way the driver opens it
 * (flash_attention.c: plan, one thread's workspace, load, reset), the
 * workspace filled with the canary first so that every float a loop must
 * not write can be checked.
 */
#ifndef MHA_CHECKASM_FLASH_LOOP_CASE_H
#define MHA_CHECKASM_FLASH_LOOP_CASE_H

#include "checkasm.h"
#include "impl/flash/flash_ctx.h"

/* One attention call's fp32 inputs (from checkasm_alloc) and arguments. */
typedef struct loop_inputs {
    mha_args a; /* scale resolved, threads 1 */
    float *q, *k, *v, *mask;
} loop_inputs;

/* A shape of the checks: the call, and the block sizes forced on the plan. */
typedef struct loop_shape {
    mha_shape s;
    int causal;
    int mask;      /* 0: none; 1: random with -inf entries, every 7th key hidden from all
                    * rows (its K and V NaN); 2: as 1 and a NaN in V of a key some rows see */
    int64_t bq, bk; /* MHA_FLASH_BQ, MHA_FLASH_BK */
} loop_shape;

/* One query block of the call, opened for one table. */
typedef struct loop_block {
    const flash_kernels *fk;
    const loop_shape *shape;
    int64_t qb;
    mha_flash_plan p;
    float *ws; /* p.thread_floats floats and the guard */
    flash_ctx c;
} loop_block;

/* Rows of a pass of the table's loops (flash_tmpl.c FLASH_PASS; one register tile when it names none). */
static inline int64_t loop_pass_rows(const flash_kernels *fk)
{
    return fk->tile.pass > fk->tile.mr ? fk->tile.pass : fk->tile.mr;
}

void loop_inputs_make(loop_inputs *in, const loop_shape *sh);
void loop_inputs_free(loop_inputs *in);

/* Query block qb of (b, g), loaded and reset, as the driver does before its key blocks. */
void loop_block_open(loop_block *lb, const flash_kernels *fk, const loop_inputs *in, const loop_shape *sh,
                     int64_t b, int64_t g, int64_t qb);
void loop_block_close(loop_block *lb);

/* Float ranges of the thread workspace, from the plan, by the part they belong to. */
typedef enum { PART_K, PART_V, PART_S, PART_Q, PART_O, PART_M, PART_L, PART_ALPHA, PART_LIM, PART_MROW,
               PART_FLAG, PARTS } loop_part;

/* A copy of the workspace (free with checkasm_free). */
float *loop_snapshot(const loop_block *lb);

/*
 * Every float of the workspace outside the parts in `allowed` (a bit per
 * loop_part) has the bits it had in `before`, and the guard past the
 * workspace holds the canary. Frees `before`.
 */
void loop_check_untouched(const loop_block *lb, float *before, unsigned allowed);

#endif
