/*
 * --bench for the loops of each flash table (check_flash_loops.c): pack_k,
 * scores, softmax and run_block on one query block of 48 rows and a key
 * block of 128 keys, Dh 64, against flash_c's, in alternating batches.
 */
#include "checkasm.h"
#include "flash_loop_case.h"

FLASH_TMPL_PROTOTYPES(c);

typedef struct loop_bench {
    const flash_kernels *fk;
    loop_block run, ref; /* opened for fk and for flash_c */
} loop_bench;

static loop_block *bench_block(const void *table, void *ctx)
{
    loop_bench *x = ctx;
    return table == x->fk ? &x->run : &x->ref;
}

static void bench_pack_k(const void *table, void *ctx)
{
    loop_block *lb = bench_block(table, ctx);
    lb->fk->pack_k(&lb->c, 0, 128);
}

static void bench_scores(const void *table, void *ctx)
{
    loop_block *lb = bench_block(table, ctx);
    lb->fk->scores(&lb->c, 0, loop_pass_rows(lb->fk), 128);
}

/* in place: P in (0, 1] after the first call, and m stays */
static void bench_softmax(const void *table, void *ctx)
{
    loop_block *lb = bench_block(table, ctx);
    lb->fk->softmax(&lb->c, 0, loop_pass_rows(lb->fk), 128);
}

static void bench_run_block(const void *table, void *ctx)
{
    loop_block *lb = bench_block(table, ctx);
    flash_reset_state(&lb->c);
    lb->fk->run_block(&lb->c, 0, 128);
}

void checkasm_flash_loops_bench(const void *table, const void *c_table)
{
    static const loop_shape shape = {{1, 1, 1, 48, 128, 64}, 0, 0, 48, 128};
    static const struct { const char *name; checkasm_bench_fn *fn; } loops[] = {
        {"pack_k", bench_pack_k}, {"scores", bench_scores}, {"softmax", bench_softmax}, {"run_block", bench_run_block},
    };
    loop_inputs in;
    loop_inputs_make(&in, &shape);
    loop_bench x = {table, {0}, {0}};
    loop_block_open(&x.run, table, &in, &shape, 0, 0, 0);
    loop_block_open(&x.ref, &flash_kernels_c, &in, &shape, 0, 0, 0);
    for (int i = 0; i < 2; i++) { /* K packed and scores computed, as softmax and scores find them */
        loop_block *lb = i ? &x.ref : &x.run;
        lb->fk->pack_k(&lb->c, 0, 128);
        lb->fk->scores(&lb->c, 0, loop_pass_rows(lb->fk), 128);
    }
    for (size_t k = 0; k < sizeof loops / sizeof loops[0]; k++)
        if (checkasm_begin(loops[k].name))
            checkasm_bench(loops[k].fn, table, c_table && c_table != table ? c_table : NULL, &x);
    loop_block_close(&x.run);
    loop_block_close(&x.ref);
    loop_inputs_free(&in);
}
