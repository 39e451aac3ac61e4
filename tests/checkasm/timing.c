/*
 * checkasm's --bench (checkasm.h: checkasm_bench): each kernel and its C
 * version in alternating batches of at least 1 ms (A B A B, so load on
 * the machine affects both alike) for --bench-ms each, on the thread's
 * CPU clock (CLOCK_THREAD_CPUTIME_ID: steady, and the time the thread
 * waits for a core on a loaded machine does not count); the median ns per
 * call of each, and the table.
 */
#include "checkasm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct bench_row {
    char name[64];
    const char *isa;
    double ns, ref_ns; /* ref_ns NAN without a C version */
} bench_row;

enum { BENCH_ROWS = 256, BENCH_BATCHES = 512 };
static bench_row bench_rows[BENCH_ROWS];
static int bench_count;

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* ns per call of `iters` calls in a row */
static double batch_ns(checkasm_bench_fn *call, const void *table, void *ctx, int64_t iters)
{
    const double t0 = now_ns();
    for (int64_t i = 0; i < iters; i++)
        call(table, ctx);
    return (now_ns() - t0) / (double)iters;
}

/* Calls per batch so that a batch lasts at least 1 ms (also the warm-up). */
static int64_t batch_iters(checkasm_bench_fn *call, const void *table, void *ctx)
{
    int64_t iters = 1;
    while (iters < (INT64_C(1) << 30) && batch_ns(call, table, ctx, iters) * (double)iters < 1e6)
        iters *= 2;
    return iters;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void checkasm_bench(checkasm_bench_fn *call, const void *table, const void *ref_table, void *ctx)
{
    static double a[BENCH_BATCHES], b[BENCH_BATCHES];
    if (bench_count == BENCH_ROWS)
        return;
    const int64_t ia = batch_iters(call, table, ctx), ib = ref_table ? batch_iters(call, ref_table, ctx) : 0;
    /* at least 5 batches each */
    int n = 0;
    const double start = now_ns();
    while (n < BENCH_BATCHES && (n < 5 || now_ns() - start < checkasm_bench_ms() * 1e6)) {
        a[n] = batch_ns(call, table, ctx, ia);
        if (ref_table)
            b[n] = batch_ns(call, ref_table, ctx, ib);
        n++;
    }
    bench_row *r = &bench_rows[bench_count++];
    checkasm_current(r->name, sizeof r->name, &r->isa);
    r->ns = median(a, n);
    r->ref_ns = ref_table ? median(b, n) : NAN;
}

void checkasm_bench_table(void)
{
    printf("\n%-24s %-7s %12s %12s %8s\n", "kernel", "isa", "ns/call", "C ns/call", "speedup");
    for (int i = 0; i < bench_count; i++) {
        const bench_row *r = &bench_rows[i];
        if (isnan(r->ref_ns))
            printf("%-24s %-7s %12.1f %12s %8s\n", r->name, r->isa, r->ns, "-", "-");
        else
            printf("%-24s %-7s %12.1f %12.1f %7.2fx\n", r->name, r->isa, r->ns, r->ref_ns, r->ref_ns / r->ns);
    }
}
