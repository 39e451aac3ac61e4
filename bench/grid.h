/*
 * The benchmark grids: named lists of attention shapes. One definition,
 * read by mha-bench and (through `mha-bench --list-grid NAME --json`) by the
 * peer scripts, so every tool times the same points.
 */
#ifndef MHA_BENCH_GRID_H
#define MHA_BENCH_GRID_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bench_point {
    int64_t batch, heads, kv_heads, q_len, kv_len, head_dim;
    int causal;
    int threads;
    const char *family;  /* "head_dim", "causal", "gqa", "threads", "decode", "full", "dtype" */
    int dtype;           /* mha_dtype of q, k and v (0: fp32); out is fp32 */
} bench_point;

typedef struct bench_grid_info {
    const char *name;
    const char *summary;
    double min_time;        /* default --benchmark_min_time, seconds */
    double budget_seconds;  /* a point whose estimated iteration exceeds this is skipped */
    int repetitions;        /* default --benchmark_repetitions: the spread of each point */
} bench_grid_info;

/* The grid called name, or NULL. */
const bench_grid_info *bench_grid_find(const char *name);

/* Names of all grids, "quick, default, full". */
const char *bench_grid_names(void);

/* Points of grid name, malloc'ed into *out; returns the count (-1 if unknown). */
int bench_grid_points(const char *name, bench_point **out);

/* "B:1/H:8/Hkv:8/Sq:128/Skv:128/Dh:64/causal:0/threads:2", then "/dtype:bf16" unless fp32 */
void bench_point_name(const bench_point *p, char *buf, size_t size);

/* The grid as JSON: {"grid": name, "min_time": ..., "points": [{..., "dtype": "fp32"}, ...]}. */
int bench_grid_print_json(const char *name, FILE *f);

#ifdef __cplusplus
}
#endif

#endif
