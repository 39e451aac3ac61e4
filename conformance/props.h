/*
 * The property checks' shared parts: one property while it runs, the
 * helpers its check uses, and the check functions (props_checks.c) that
 * the table in props.c names. Each check compares implementation against
 * implementation, so the tolerance is twice the case's derived tolerance
 * (each side is within tol of the same exact value:
 * |a - b| <= |a - r| + |r - b|). The zero-row property is exact (the
 * contract says O = 0 and P = 0).
 */
#ifndef MHA_CONF_PROPS_H
#define MHA_CONF_PROPS_H

#include "runner.h"

#define PROP_MAX_SHAPES 2

/* One property while it runs: its verdict, its inputs and two calls' outputs. */
typedef struct prop {
    const mha_impl *impl;
    verdict v;
    case_data d[PROP_MAX_SHAPES]; /* inputs, float64 reference and err_fp32 of each of the table's shapes */
    int probs;                    /* the implementation writes probabilities */
    float *a, *b;                 /* out of two calls, each large enough for every shape */
    float *pa, *pb;               /* probs of two calls (or scratch of the same size) */
} prop;

/* A failure of p (the first is explained, see verdict_fail); its units become infinite. */
void prop_fail(prop *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Calls p's implementation on d with padded strides (q, k, v bshd, out
 * bhsd), 3 threads, every buffer right after a guard page. 0, or -1 after
 * recording the failure.
 */
int prop_call(prop *p, const case_data *d, float *out, float *probs);

/* |a - b| <= tol elementwise, NaN matching NaN; a failure names what differs. */
void prop_compare(prop *p, const char *what, const float *a, const float *b, size_t n, double tol);

/* Twice the derived tolerance of d's output and of its probabilities. */
double prop_tol_out(const prop *p, const case_data *d);
double prop_tol_probs(const prop *p, const case_data *d);

/* The checks (props_checks.c); each records its failures in p->v. */
void prop_single_head(prop *p);
void prop_gqa_repeat(prop *p);
void prop_causal_mask(prop *p);
void prop_masked_rows_zero(prop *p);
void prop_probs_sum(prop *p);
void prop_permute_kv(prop *p);

#endif
