/*
 * `mha report`: benchmark JSON (Google Benchmark's format, from mha-bench
 * or a peer script) in, Markdown tables, CSV, SVG plots and a manifest out.
 * This header is the data model shared by the report's files (prefix rep_;
 * `mha check` owns the report_ prefix).
 */
#ifndef MHA_REPORT_H
#define MHA_REPORT_H

#include "mha.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REPORT_MAX_MACHINES 16
#define REPORT_MAX_REPS 32

/* One benchmark entry: an implementation on one grid point of one machine. */
typedef struct rep_run {
    char impl[64];
    char kind[16];          /* "attn" (attention only) or "layer" (full layer, peers) */
    int64_t batch, heads, kv_heads, q_len, kv_len, head_dim;
    int causal, threads;
    int dtype;              /* mha_dtype of q, k, v ("/dtype:bf16" in the name; MHA_F32 without) */
    double max_abs_error;   /* of the checked output against the float64 reference; < 0 when the entry has none */
    double error_bound;     /* the bound it was checked against; < 0 when the entry has none */
    int machine;            /* index into rep_data.machines */
    int series;             /* index into rep_data.series */
    double seconds;         /* per call: the median over repetitions of real_time (report_stats.c) */
    double rep_seconds[REPORT_MAX_REPS];   /* each timed repetition's, in file order */
    int reps;
    double min_seconds, max_seconds;       /* fastest and slowest repetition */
    double workspace;       /* bytes; < 0 when the entry has none */
    char error[256];        /* empty when timed; "skipped: ..." or the failure */
    int order;              /* position in the files, as read */
    /* set by rep_finish: runs[point_first..point_end) share this run's kind and point; naive: index of the
     * timed naive run of the same machine and point, or -1 */
    int point_first, point_end, naive;
    int causal_twin;        /* set by rep_finish: index of the non-causal run of a causal one (same series and
                             * shape), or -1 */
} rep_run;

typedef struct rep_machine {
    char label[128];        /* host_name from the JSON context, else the file name */
    char cpu_model[128];
    int cores;
    double peak_gflops_1, peak_gflops_all, read_gbs;   /* 0 when no probe ran */
    json_t *context;        /* the contexts of its files, merged */
    int max_threads;        /* set by rep_finish: the most threads of its runs */
} rep_machine;

/* A column of the tables and a line of the plots: implementation @ machine. */
typedef struct rep_series {
    char impl[64];
    int machine;
    char label[200];        /* "flash_avx2" or "flash_avx2 @ host" when several machines */
} rep_series;

/* Accuracy of one implementation from a conformance run (--check FILE). */
typedef struct rep_accuracy {
    char impl[64];
    double max_error_units; /* worst max-abs-error / the plain fp32 algorithm's, over the cases */
    int cases, failed;
    char worst_case[128];
} rep_accuracy;

/* The GEMM path's phases in one call (breakdown/IMPL/POINT from mha-bench --breakdown; report_breakdown.c). */
typedef struct rep_breakdown {
    rep_run run;            /* implementation, point, machine, seconds per call; error when not timed */
    double qk, softmax, pv; /* seconds per call in each phase (the mean over the call's workers) */
} rep_breakdown;

typedef struct rep_data {
    rep_run *runs;
    int n_runs, cap_runs;
    rep_machine machines[REPORT_MAX_MACHINES];
    int n_machines;
    rep_series *series;     /* n_series of them, made by rep_finish */
    int n_series;
    rep_accuracy *accuracy;
    int n_accuracy;
    const char *check_file;
    rep_breakdown *breakdowns; /* after rep_finish: one per implementation, machine and point */
    int n_breakdowns;
    const char **files;
    int n_files;
} rep_data;

/*
 * Parse one benchmark JSON file into d; on error a "file:line:column: what"
 * or "file: benchmark NAME: field: what" message in err. Numbers out of
 * range and unknown time units are errors.
 */
int rep_load(rep_data *d, const char *path, char *err, size_t err_size);
/* rep_load on JSON already parsed (root is not freed); path names it in messages. */
int rep_load_json(rep_data *d, json_t *root, const char *path, char *err, size_t err_size);
/* Parse a conformance summary (schema in the README, "Benchmarks and reports"). */
int rep_load_check(rep_data *d, const char *path, char *err, size_t err_size);
/* After loading: assign series, sort runs, keep the fastest of repeated runs. 0, or -1 (out of memory). */
int rep_finish(rep_data *d);
void rep_free(rep_data *d);

/* Derived numbers of a timed run. */
double rep_flops(const rep_run *r);
double rep_gflops(const rep_run *r);
double rep_gbs(const rep_run *r);
double rep_peak_pct(const rep_data *d, const rep_run *r);   /* < 0 when unknown */
/* The naive run of the same machine and point, or NULL. */
const rep_run *rep_naive_twin(const rep_data *d, const rep_run *r);
/* naive's time over r's at the same point (NAN without a timed naive twin; report_csv.c). */
double rep_speedup_vs_naive(const rep_data *d, const rep_run *r);
/* Bytes of one element of q, k, v and o as the benchmark counts them: 2 for bf16 and fp16, 4 for fp32. */
double rep_elem_bytes(const rep_run *r);
/* Same grid point (all dimensions, causal, threads, dtype)? */
int rep_same_point(const rep_run *a, const rep_run *b);
/* "S=1024 Dh=64 MHA causal T2" style label of a point; " bf16" or " fp16" appended unless fp32. */
void rep_point_label(const rep_run *r, char *buf, size_t size);
/* "1.5 KiB" */
void rep_bytes_text(double bytes, char *buf, size_t size);

/* Repetitions (report_stats.c): a new entry's own time; another repetition of a stored run;
 * after loading, seconds = the median, min/max_seconds the spread. */
void rep_stats_first(rep_run *r);
void rep_stats_add(rep_run *stored, const rep_run *repetition);
void rep_stats_finish(rep_data *d);
/* (slowest - fastest) / median over the repetitions; 0 with one repetition. */
double rep_spread(const rep_run *r);
/* Spread above which a point is flagged in the report. */
#define REPORT_WIDE_SPREAD 0.10

/* Yardsticks (report_yardsticks.c): numbers from the machine probe's context. */
double rep_ctx_number(const rep_machine *m, const char *key);
/* Percent of the peak of the implementation's own ISA level (context mha_impl_isa); < 0 when unknown. */
double rep_isa_peak_pct(const rep_data *d, const rep_run *r);
/* 1 when K and V (fp32) fit in all last-level caches together (mha_llc_total_bytes), 0 when not, -1 unknown. */
int rep_kv_cache_resident(const rep_data *d, const rep_run *r);
/* "%.1f" of a percentage, with " (!)" above 100 (the note printed by rep_write_peak_note says why). */
void rep_pct_text(double pct, char *buf, size_t size);
void rep_write_peak_note(const rep_data *d, FILE *f);
/* Per machine: caches with their source, each ISA level's peak, read bandwidth, load, BLAS and peers. */
void rep_write_machine_yardsticks(const rep_data *d, FILE *f);
/* Decode table with cache-resident points marked and DRAM-bound ones against the read bandwidth. */
void rep_write_decode(const rep_data *d, FILE *f);
/* Timed points whose spread is above REPORT_WIDE_SPREAD. */
void rep_write_spread(const rep_data *d, FILE *f);
/* roofline.svg: arithmetic intensity vs GFLOP/s, log-log, roofs per ISA and the bandwidth roof. */
int rep_write_roofline(const rep_data *d, const char *dir, char names[][64], int *n_names, int max_names);

/* Causal in time (report_causal.c): the non-causal run of the same series and point, or NULL; its time over
 * the causal one's (NAN when either is not timed); the ideal, Sq Skv / visible pairs; the table. */
const rep_run *rep_causal_twin(const rep_data *d, const rep_run *r);
/* Sets every run's causal_twin (sorting, not a search per run); 0, or -1 out of memory. */
int rep_causal_link(rep_data *d);
/* Indices of the runs ordered by series, kind, dtype, B, H, Hkv, Sq, Skv, Dh, threads, causal (malloc'ed; NULL
 * out of memory): the runs of one shape are adjacent, fewer threads first. */
int *rep_order_by_shape(const rep_data *d);
/* Same series, kind, dtype and dimensions (threads and causal may differ)? */
int rep_same_shape(const rep_run *a, const rep_run *b);
double rep_causal_speedup(const rep_data *d, const rep_run *r);
double rep_causal_ideal(const rep_run *r);
void rep_write_causal(const rep_data *d, FILE *f);

/* The paragraphs that open the report's sections, from the measured numbers (report_prose.c). */
/* The headline point: non-causal prefill (Sq = Skv) on the first machine with at least two implementations
 * timed; the largest S, then the most threads, then MHA. A run there, or NULL when there is none. */
const rep_run *rep_headline(const rep_data *d);
void rep_prose_machines(const rep_data *d, FILE *f);
void rep_prose_gflops(const rep_data *d, FILE *f);
void rep_prose_roofline(const rep_data *d, FILE *f);
void rep_prose_causal(const rep_data *d, FILE *f);
void rep_prose_decode(const rep_data *d, FILE *f);
void rep_prose_workspace(const rep_data *d, FILE *f);
/* report_prose_more.c: the sections that rank many numbers. */
void rep_prose_wins(const rep_data *d, FILE *f);
void rep_prose_peak(const rep_data *d, FILE *f);
void rep_prose_speedup(const rep_data *d, FILE *f);
void rep_prose_threads(const rep_data *d, FILE *f);
void rep_prose_layer(const rep_data *d, FILE *f);
void rep_prose_accuracy(const rep_data *d, FILE *f);

/* Accuracy against speed, per dtype (report_dtype.c): the table with its opening sentence, and the plot
 * dtype_accuracy.svg (and .png where cairo is built in). */
void rep_write_dtype(const rep_data *d, FILE *f);
int rep_write_dtype_plot(const rep_data *d, const char *dir, char names[][64], int *n_names, int max_names);
/* GEMM-path breakdown (report_breakdown.c). rep_breakdown_add: a loaded run of kind "breakdown" and its JSON
 * entry b (counters qk_seconds, softmax_seconds, pv_seconds); 0, or -1 with err. rep_breakdown_finish: one entry
 * per implementation, machine and point, the repetition of median time (in place; returns 0). */
int rep_breakdown_add(rep_data *d, const rep_run *r, json_t *b, const char *path, char *err, size_t err_size);
int rep_breakdown_finish(rep_data *d);
/* "5062 ms", "79.8 ms", "0.25 ms": whole milliseconds from 100 ms, else 3 significant digits. */
void rep_ms_text(double seconds, char *buf, size_t size);
/* The call's time in no phase: seconds - (qk + softmax + pv), at least 0. */
double rep_breakdown_other(const rep_breakdown *b);
/* The most threads of a timed breakdown of machine m (0: none). */
int rep_breakdown_most_threads(const rep_data *d, int m);
/* The section: its paragraph (rep_prose_breakdown, report_breakdown_prose.c), the table, breakdown.svg. */
void rep_write_breakdown(const rep_data *d, FILE *f);
void rep_prose_breakdown(const rep_data *d, FILE *f);
int rep_write_breakdown_plot(const rep_data *d, const char *dir, char names[][64], int *n_names, int max_names);

/* Writers; each returns 0 or -1 with errno set. */
int rep_write_markdown(const rep_data *d, FILE *f);
int rep_write_csv(const rep_data *d, FILE *f);
int rep_write_teaching(const rep_data *d, FILE *f);
/* Plots into dir; appends the file names written to names (n_names updated). */
int rep_write_plots(const rep_data *d, const char *dir, char names[][64], int *n_names, int max_names);
/* report.html from the Markdown file dir/markdown_name, its SVG images inlined (report_html.c). */
int rep_write_html(const char *dir, const char *markdown_name, FILE *out);
/* manifest.json */
int rep_write_manifest(const rep_data *d, FILE *f, char names[][64], int n_names, int force);

#endif
