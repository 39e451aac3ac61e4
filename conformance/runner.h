/*
 * Running one implementation on the cases and properties: guard bands,
 * unaligned inputs, both layouts, threads 1 and all, determinism, derived
 * tolerances. Results go to stdout (failures in detail) and, as fixed-size
 * records, to a pipe the parent reads (the runner lives in a forked child).
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

#endif

/*
 * One call of impl on d's inputs in the given layout and thread count, with
 * unaligned inputs and guard bands around the outputs. out (logical
 * [B][Sq][H][Dh]) and probs (may be NULL) receive the results; hash gets the
 * XXH3-128 of the output bytes. Returns 0, or -1 with why (bad status or an
 * out-of-bounds write).
 */
int runner_call(const mha_impl *impl, const case_data *d, int layout, int threads, float *out, float *probs,
                char hash[33], char *why, size_t why_size);

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
