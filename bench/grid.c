/*
 * Grid definitions. The default grid is not a full cross product (that
 * would take an hour on two cores); it is five sweeps over S = 128..4096,
 * each varying one thing against the same baseline (B 1, H 8, MHA,
 * non-causal, Dh 64, 2 threads):
 *   head_dim  Dh 32, 64, 128
 *   causal    causal vs the baseline
 *   gqa       Hkv 2 (4 query heads per kv head), causal
 *   threads   1 thread vs the baseline's 2
 *   decode    Sq 1 against Skv = S cached keys, Dh 128, MHA and GQA, 1 and 2 threads
 * Every grid also has a "dtype" family: bf16 and fp16 inputs (out fp32)
 * for the implementations that declare them, at S 512..2048 (quick: 256),
 * Dh 64 and 128, 1 thread, and decode with a bf16 or fp16 KV cache. The
 * fp32 points are the same with or without it.
 */
#include "grid.h"
#include "mha.h"

#include <stdlib.h>
#include <string.h>

static const bench_grid_info grids[] = {
    {"quick", "smoke test: 15 small shapes, every family once, bf16 and fp16 included (CI)", 0.01, 1.0, 1},
    {"default", "five sweeps over S = 128..4096 (H 8, Dh 32/64/128, causal, GQA, threads 1/2, decode), bf16/fp16 points", 0.05,
     4.0, 3},
    {"full", "cross product B 1/2, Hkv 8/2/1, S 128..8192, Dh 32/64/128, causal, threads 1/2, decode; bf16/fp16 points", 0.2, 30.0,
     3},
};

const bench_grid_info *bench_grid_find(const char *name)
{
    for (size_t i = 0; i < sizeof grids / sizeof grids[0]; i++)
        if (name && strcmp(grids[i].name, name) == 0)
            return &grids[i];
    return NULL;
}

const char *bench_grid_names(void)
{
    return "quick, default, full";
}

typedef struct point_list {
    bench_point *p;
    int n, cap;
} point_list;

static void add(point_list *l, int64_t b, int64_t h, int64_t hkv, int64_t sq, int64_t skv, int64_t dh, int causal,
                int threads, const char *family)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        bench_point *p = realloc(l->p, (size_t)l->cap * sizeof *p);
        if (!p) {
            fprintf(stderr, "mha-bench: out of memory building the grid\n");
            exit(1);
        }
        l->p = p;
    }
    l->p[l->n++] = (bench_point){b, h, hkv, sq, skv, dh, causal, threads, family, MHA_F32};
}

/* The dtype family: prefill at each of the n lengths s, Dh 64 and 128, and a decode of Skv = kv, in bf16 and fp16. */
static void dtype_points(point_list *l, const int64_t *s, int n, int64_t kv)
{
    static const mha_dtype dts[] = {MHA_BF16, MHA_F16};
    for (int t = 0; t < 2; t++) {
        for (int64_t dh = 64; dh <= 128; dh *= 2)
            for (int i = 0; i < n; i++) {
                add(l, 1, 8, 8, s[i], s[i], dh, 0, 1, "dtype");
                l->p[l->n - 1].dtype = dts[t];
            }
        add(l, 1, 8, 2, 1, kv, 128, 1, 1, "dtype");
        l->p[l->n - 1].dtype = dts[t];
    }
}

static void quick(point_list *l)
{
    add(l, 1, 4, 4, 64, 64, 64, 0, 1, "head_dim");
    add(l, 1, 4, 4, 256, 256, 64, 0, 1, "head_dim");
    add(l, 1, 4, 4, 256, 256, 32, 0, 1, "head_dim");
    add(l, 1, 4, 4, 256, 256, 64, 1, 1, "causal");
    add(l, 1, 4, 2, 256, 256, 64, 1, 1, "gqa");
    add(l, 2, 4, 4, 256, 256, 64, 0, 2, "threads");
    add(l, 1, 4, 4, 1, 256, 64, 1, 1, "decode");
    add(l, 1, 4, 1, 1, 256, 64, 1, 2, "decode");
    add(l, 1, 4, 4, 37, 91, 40, 1, 2, "odd");
    static const int64_t s[] = {256};
    dtype_points(l, s, 1, 256);
}

static void default_grid(point_list *l)
{
    static const int64_t s[] = {128, 256, 512, 1024, 2048, 4096};
    static const int64_t dh[] = {32, 64, 128};
    for (int d = 0; d < 3; d++)
        for (int i = 0; i < 6; i++)
            add(l, 1, 8, 8, s[i], s[i], dh[d], 0, 2, "head_dim");
    for (int i = 0; i < 6; i++)
        add(l, 1, 8, 8, s[i], s[i], 64, 1, 2, "causal");
    for (int i = 0; i < 6; i++)
        add(l, 1, 8, 2, s[i], s[i], 64, 1, 2, "gqa");
    for (int i = 0; i < 6; i++)
        add(l, 1, 8, 8, s[i], s[i], 64, 0, 1, "threads");
    for (int t = 2; t >= 1; t--)
        for (int i = 0; i < 6; i++)
            add(l, 1, 8, 8, 1, s[i], 128, 1, t, "decode");
    for (int i = 0; i < 6; i++)
        add(l, 1, 8, 2, 1, s[i], 128, 1, 2, "decode");
    dtype_points(l, s + 2, 3, 4096);
}

static void full(point_list *l)
{
    static const int64_t s[] = {128, 256, 512, 1024, 2048, 4096, 8192};
    static const int64_t dh[] = {32, 64, 128};
    static const int64_t hkv[] = {8, 2, 1};
    for (int t = 2; t >= 1; t--)
        for (int b = 1; b <= 2; b++)
            for (int g = 0; g < 3; g++)
                for (int d = 0; d < 3; d++)
                    for (int c = 0; c <= 1; c++)
                        for (int i = 0; i < 7; i++)
                            add(l, b, 8, hkv[g], s[i], s[i], dh[d], c, t, "full");
    for (int t = 2; t >= 1; t--)
        for (int g = 0; g < 3; g++)
            for (int d = 0; d < 3; d++)
                for (int i = 0; i < 7; i++)
                    add(l, 1, 8, hkv[g], 1, s[i], dh[d], 1, t, "decode");
    dtype_points(l, s + 2, 5, 8192);
}

int bench_grid_points(const char *name, bench_point **out)
{
    point_list l = {0};
    if (!bench_grid_find(name))
        return -1;
    if (strcmp(name, "quick") == 0)
        quick(&l);
    else if (strcmp(name, "default") == 0)
        default_grid(&l);
    else
        full(&l);
    *out = l.p;
    return l.n;
}

void bench_point_name(const bench_point *p, char *buf, size_t size)
{
    snprintf(buf, size, "B:%lld/H:%lld/Hkv:%lld/Sq:%lld/Skv:%lld/Dh:%lld/causal:%d/threads:%d%s%s",
             (long long)p->batch, (long long)p->heads, (long long)p->kv_heads, (long long)p->q_len,
             (long long)p->kv_len, (long long)p->head_dim, p->causal, p->threads, p->dtype ? "/dtype:" : "",
             p->dtype ? mha_dtype_name((mha_dtype)p->dtype) : "");
}

int bench_grid_print_json(const char *name, FILE *f)
{
    const bench_grid_info *g = bench_grid_find(name);
    bench_point *p = NULL;
    int n = bench_grid_points(name, &p);
    if (!g || n < 0)
        return -1;
    fprintf(f, "{\n  \"grid\": \"%s\",\n  \"summary\": \"%s\",\n  \"min_time\": %g,\n  \"budget_seconds\": %g,\n"
               "  \"repetitions\": %d,\n  \"points\": [\n", g->name, g->summary, g->min_time, g->budget_seconds,
            g->repetitions);
    for (int i = 0; i < n; i++) {
        char nm[160];
        bench_point_name(&p[i], nm, sizeof nm);
        fprintf(f, "    {\"name\": \"%s\", \"family\": \"%s\", \"B\": %lld, \"H\": %lld, \"Hkv\": %lld, "
                   "\"Sq\": %lld, \"Skv\": %lld, \"Dh\": %lld, \"causal\": %d, \"threads\": %d, \"dtype\": \"%s\"}%s\n",
                nm, p[i].family, (long long)p[i].batch, (long long)p[i].heads, (long long)p[i].kv_heads,
                (long long)p[i].q_len, (long long)p[i].kv_len, (long long)p[i].head_dim, p[i].causal,
                p[i].threads, mha_dtype_name((mha_dtype)p[i].dtype), i + 1 < n ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    free(p);
    return 0;
}
