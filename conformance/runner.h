/*
 * Running one implementation on the cases and properties: guard pages and
 * guard bands, both layouts, padded strides, out in another layout than q,
 * fixed thread counts, determinism, derived tolerances. Results go to
 * stdout (failures in detail) and, as fixed-size records, to a pipe the
 * parent reads (the runner lives in a forked child).
 */
#ifndef MHA_CONF_RUNNER_H
#define MHA_CONF_RUNNER_H

#include "vectors.h"

typedef struct run_result {
    int started;        /* 1: a "case started" marker, so a crash can name the case */
    char id[48];
    char group[16];
    int pass;
    double units;       /* worst error in units of err_fp32; < 0 when not applicable (properties) */
    double max_abs, tol;
    double max_rel;     /* largest relative error seen */
    long long ulps;     /* fp32 ulps at the worst element */
    char worst[96];     /* "out[b=0,i=3,h=1,d=7]" */
    char reason[256];   /* empty on pass */
    char variant[96];   /* the call that failed (or the last run): layout, strides, threads */
} run_result;

typedef struct run_opts {
    const char *label;   /* "naive@avx2" */
    const char *rerun;   /* "mha check --impl naive --level avx2" (the case is appended) */
    double factor, floor;
    int top_level;       /* the highest level: large cases run only there */
    int props;           /* run the property checks */
    const char *props_pattern; /* NULL for all, else globs as for --case */
    int fd;              /* result records are written here; -1 for none */
    int verbose;
} run_opts;

/* Every case and property; returns the number of failures. */
int run_impl(const mha_impl *impl, const case_data *cases, size_t n, const run_opts *o);

/* Comma-separated fnmatch globs; NULL or "" matches everything. */
int pattern_match(const char *patterns, const char *id);

/* How the harness lays out one call's tensors. */
typedef struct call_variant {
    int layout;      /* CASE_LAYOUT_* of q, k and v */
    int out_layout;  /* CASE_LAYOUT_* of out */
    int padded;      /* gaps between rows, heads or tokens and batches, other ones per tensor; the mask too */
    int threads;     /* >= 1 */
    int guard_start; /* 0: every buffer ends at a guard page; 1: every buffer starts right after one */
} call_variant;

/* "layout bshd, strides padded, out bhsd, threads 3, ends at guard pages" */
void call_variant_describe(const call_variant *v, char *buf, size_t size);

/*
 * One call of impl on d's inputs laid out as v says, every buffer (q, k, v,
 * mask, out, probs, workspace) against a guard page (guard_pages.h) with
 * NaN in all other bytes around and between its elements. out (logical
 * [B][Sq][H][Dh]) and probs (may be NULL) receive the results; hash gets
 * the XXH3-128 of out. Returns 0, or -1 with why (bad status, an
 * out-of-bounds write, a changed input). A touch of a guard page ends the
 * process after reporting who (id and group) as failed, under o's label.
 */
int runner_call(const mha_impl *impl, const case_data *d, const call_variant *v, const run_opts *o,
                const run_result *who, float *out, float *probs, char hash[33], char *why, size_t why_size);

/* Thread counts of the determinism check: 1, 3 and the machine's count when larger; returns how many. */
int runner_thread_counts(int counts[3]);

/* Prints and records one result (fills nothing else). */
void runner_report(const run_opts *o, const run_result *r);

/* Property checks (props.c); returns the number of failures. */
int props_run(const mha_impl *impl, const run_opts *o);

/*
 * Computes the inputs, reference and err_fp32 of the property cases whose id
 * matches patterns once, for every later props_run() (and forked child) to
 * copy; props_release() frees them. Optional: props_run() computes what is
 * missing itself.
 */
void props_prepare(const char *patterns);
void props_release(void);

/* How many property ids match the --case patterns. */
size_t props_matching(const char *patterns);

#endif
