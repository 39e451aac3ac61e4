/*
 * checkasm: every kernel of every kernel table, each ISA compiled in,
 * called on random inputs and compared with a reference, with guarded
 * output buffers; --bench times each kernel against its C version
 * (docs/kernel-tests.md). In the manner of dav1d's tests/checkasm.
 *
 * checkasm.c is the driver (options, CPU levels, the family table, the
 * result lines and the benchmark table). Each kernel family has one file
 * (check_vec.c, check_row.c, check_flash.c, check_flash_lowp.c,
 * check_flash_bf16.c, check_sgemm.c) that lists its
 * tables and checks one table through the helpers below:
 *
 *   if (checkasm_begin("qk_tile")) {      the pattern (--test) selects it
 *       ... call the kernel on random inputs ...
 *       checkasm_near("s", i, got, want, bound);   per output value
 *       checkasm_intact("s", i, buf[i]);           per value it must not write
 *       checkasm_end();                    prints "flash.qk_tile  avx2  ok"
 *   }
 *
 * Bounds are derived in the family files from the number of roundings
 * each output goes through: with u = 2^-24 (fp32, round to nearest) and
 * gamma(n) = n u / (1 - n u), a sum of n products computed in any order,
 * with or without fused multiply-adds, is within gamma(n) * sum |terms|
 * of the exact sum (N. J. Higham, Accuracy and Stability of Numerical
 * Algorithms, 2nd ed., section 3.1 and lemma 3.1). References are
 * evaluated in double precision from the same fp32 inputs.
 */
#ifndef MHA_CHECKASM_H
#define MHA_CHECKASM_H

#include "mha.h"
#include "impl/core/internal.h"

#include <stddef.h>
#include <stdint.h>

/* The MHA_CPU_* features each ISA's code is compiled for (meson.build's
 * isa_flags; the same as its implementations' descriptors). */
#define CHECKASM_AVX2 (MHA_CPU_AVX2 | MHA_CPU_FMA)
#define CHECKASM_AVX512 MHA_CPU_AVX512_BUILD
#define CHECKASM_NEON MHA_CPU_NEON

/* One kernel table of a family, for one ISA. */
typedef struct checkasm_table {
    const char *isa;       /* "c", "avx2", "avx512", "neon" */
    uint32_t features;     /* MHA_CPU_* bits its code needs */
    const void *table;     /* the family's table type */
} checkasm_table;

/* A kernel family: its tables and how to check (and time) one of them. */
typedef struct checkasm_family {
    const char *name; /* "flash": kernels are named flash.<kernel> */
    const checkasm_table *tables;
    int count;
    /* checks every kernel of t (through checkasm_begin ... checkasm_end) */
    void (*check)(const checkasm_table *t);
    /* times every kernel of t against the same kernel of ref (the C
     * table; NULL when the family has none) through checkasm_bench;
     * NULL for a family that is not timed */
    void (*bench)(const checkasm_table *t, const checkasm_table *ref);
} checkasm_family;

extern const checkasm_family checkasm_vec, checkasm_row, checkasm_flash, checkasm_flash_lowp, checkasm_flash_bf16,
    checkasm_sgemm;

/* The loops of a flash table (flash_tmpl.c: pack_k, scores, softmax,
 * run_block) on driver contexts, checked and timed as kernels flash.<loop>
 * by check_flash.c's check and bench (check_flash_loops.c). */
void checkasm_flash_loops_check(const void *flash_table);
void checkasm_flash_loops_bench(const void *flash_table, const void *c_table);

/* A prefetch cursor of the streamed-decode rows kernels (flash_prefetch,
 * impl/flash/flash_kernels.h) over `rows` spans of `len` bytes of buf, one
 * after the other (the kernels only prefetch its lines), and the check of
 * what one call left in it: lines requested in order, at least one (every
 * call has an inner step), none past the last (check_flash.c). */
struct flash_prefetch;
void checkasm_prefetch_open(struct flash_prefetch *pf, const void *buf, int64_t len, int64_t rows);
void checkasm_check_prefetch(const struct flash_prefetch *pf, const void *buf, int64_t len, int64_t rows);

/* ---- checking ---------------------------------------------------- */

/* fp32 unit roundoff and gamma(n) = n u / (1 - n u) */
#define CHECKASM_U 0x1p-24
double checkasm_gamma(int64_t n);

/* Starts kernel `kernel` of the current family and ISA; 0 when --test
 * does not select it (then skip it and do not call checkasm_end). */
int checkasm_begin(const char *kernel);

/* got must be within bound of want (NaN matches NaN; an infinity matches
 * the same infinity). Records the worst violation; returns 1 if it holds. */
int checkasm_near(const char *what, int64_t i, float got, double want, double bound);

/* got must have the bits of want (any NaN matches any NaN). */
int checkasm_same(const char *what, int64_t i, float got, float want);

/* A value the kernel must not have written: it still holds the canary. */
int checkasm_intact(const char *what, int64_t i, float got);

/* Any other failed condition, with its message. */
void checkasm_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A note appended to the kernel's ok line (e.g. a measured accuracy). */
void checkasm_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints the kernel's result line (ok, or FAIL with the worst violation). */
void checkasm_end(void);

/* Calls an exp-and-sum kernel (row.exp_sum, flash.row_exp_sum:
 * s[j] = exp(s[j] - m), returns the sum) on the n scores s (from
 * checkasm_alloc) with m = max_j s[j], and checks the values, the sum and
 * s's guard (check_vec.c states the bound). */
void checkasm_check_exp_sum(float (*exp_sum)(float *s, int64_t n, float m), float *s, int64_t n);

/* ---- inputs and buffers ------------------------------------------ */

/* The run's PRNG (seeded by --seed), mhalab's SplitMix64. */
mha_rng *checkasm_rng(void);

/* uniform in [-scale, scale) */
float checkasm_rand(float scale);

/* integer in [0, n) */
int64_t checkasm_rand_below(int64_t n);

/* Floats past a buffer's end that must keep the canary: more than any
 * kernel's widest store (16 lanes). */
#define CHECKASM_GUARD 32

/* The canary: a NaN with a payload no kernel computes. */
float checkasm_canary(void);

/* n floats plus CHECKASM_GUARD, 64-byte aligned, all set to the canary;
 * never NULL (exits on allocation failure). Free with checkasm_free. */
float *checkasm_alloc(int64_t n);
void checkasm_free(void *p);

/* checkasm_alloc(n) holding n floats uniform in [-scale, scale) */
float *checkasm_random_floats(int64_t n, float scale);

/* The CHECKASM_GUARD floats from buf[n] on still hold the canary. */
void checkasm_check_guard(const char *what, const float *buf, int64_t n);

/* ---- timing (--bench) -------------------------------------------- */

/* Times call(table, ctx) for the current kernel and ISA and, when
 * ref_table is not NULL, call(ref_table, ctx) (its C version) in
 * alternating batches; adds a row to the benchmark table. */
typedef void checkasm_bench_fn(const void *table, void *ctx);
void checkasm_bench(checkasm_bench_fn *call, const void *table, const void *ref_table, void *ctx);

/* --bench-ms: milliseconds of batches per kernel and ISA */
double checkasm_bench_ms(void);

/* "family.kernel" of the current kernel into name, and its ISA */
void checkasm_current(char *name, size_t size, const char **isa);

/* Prints the benchmark table (timing.c). */
void checkasm_bench_table(void);

/* The exp sweep visits every stride-th block of 256 floats (--exp-stride). */
int64_t checkasm_exp_stride(void);

#endif
