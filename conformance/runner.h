/*
 * The runner: one call of an implementation under the harness's checks,
 * and the verdict on one case or property. The suites (suites.h) decide
 * what to call and compare; the runner lays out the call (guard pages and
 * bands, layouts, padded strides, thread counts), judges outputs against
 * the float64 reference with the derived tolerance, prints failures to
 * stdout and sends each result as a record (records.h) to the parent.
 */
#ifndef MHA_CONF_RUNNER_H
#define MHA_CONF_RUNNER_H

#include "records.h"
#include "vectors.h"

typedef struct run_opts {
    const char *label;   /* "naive@avx2" */
    const char *rerun;   /* "mha check --impl naive --level avx2" (the case is appended) */
    double factor, floor;
    int top_level;       /* the highest level: large cases run only there */
    int fd;              /* result records are written here; -1 for none */
    int verbose;
} run_opts;

/*
 * The verdict on one case or property while it runs. verdict_begin()
 * sends the "started" record; verdict_fail() explains the first failure
 * on stdout (later ones only count); verdict_end() sends the result.
 */
typedef struct verdict {
    const run_opts *o;
    run_result r;  /* the suite fills units, variant and the error figures */
    int failed;
} verdict;

void verdict_begin(verdict *v, const run_opts *o, const char *id, const char *group);

/*
 * A failure: reason goes into the result; detail (lines, each starting
 * with six spaces and ending with a newline; NULL: the reason as one
 * such line) is printed under "FAIL  label  id  (variant)", then the rerun
 * line. Only the first failure of a verdict is printed.
 */
void verdict_fail(verdict *v, const char *reason, const char *detail);
void verdict_failf(verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Not run, for reason (e.g. a dtype combination the implementation does not declare); counts as neither. */
void verdict_skip(verdict *v, const char *reason);

/* Sends the result (pass unless a failure was recorded, or skipped); 1 if it failed, else 0. */
int verdict_end(verdict *v);

/*
 * Judges got (n floats, logical order: out [B][Sq][H][Dh] or probs
 * [B][H][Sq][Skv]; values of got_dtype, widened) against want from the
 * float64 reference: within tolerance_of_dtype(factor, floor, err_fp32,
 * magnitude, got_dtype) and NaN where want is NaN. Updates v's error
 * figures; on failure records it with the worst element. 0 within
 * tolerance, else -1.
 */
int runner_judge(verdict *v, const mha_shape *s, int is_probs, const float *got, const double *want, size_t n,
                 double err_fp32, double magnitude, mha_dtype got_dtype);

/* How the runner lays out one call's tensors. */
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
 * One call of impl on d's inputs laid out as cv says, every buffer (q, k,
 * v, mask, out, probs, workspace) against a guard page (guard_pages.h)
 * with NaN in all other bytes around and between its elements. out
 * (logical [B][Sq][H][Dh]) and probs (may be NULL) receive the results;
 * hash gets the XXH3-128 of out. v->r.variant is set to cv's description.
 * Returns 0, or -1 with why (bad status, an out-of-bounds write, a changed
 * input). A touch of a guard page ends the process after reporting v's
 * case as failed.
 */
int runner_call(const mha_impl *impl, const case_data *d, const call_variant *cv, verdict *v, float *out,
                float *probs, char hash[33], char *why, size_t why_size);

/* Thread counts of the determinism check: 1, 3 and the machine's count when larger; returns how many. */
int runner_thread_counts(int counts[3]);

/* Installs the guard-page fault handler, which reports to o->fd; once per process, before the first call. */
void runner_install(const run_opts *o);

#endif
