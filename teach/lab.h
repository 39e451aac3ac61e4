/*
 * The labs of `mha lab`: one per teaching text (docs/teaching.md). A lab
 * prints what its text asks for, with the numbers, and a PASS or FAIL line
 * for every check; a check compares a computation with a value derived
 * another way (by hand, in closed form, by the float64 reference, or by the
 * conformance suite).
 */
#ifndef MHA_TEACH_LAB_H
#define MHA_TEACH_LAB_H

#include "mha.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct lab_env {
    FILE *out;               /* where the lab prints */
    const char *out_dir;     /* an existing folder for pictures and manifests */
    const char *vectors_dir; /* the golden vectors, for runs of the conformance check */
    const char *broken_dir;  /* the deliberately broken ports (conformance/broken) */
    const char *mha_path;    /* the program, for the rerun lines of those runs */
    const mha_impl *impl;    /* the implementation the lab studies */
    int passed, failed;      /* checks so far */
} lab_env;

typedef struct lab_def {
    const char *name;    /* "001-multi-head-class": the text's number, then its subject */
    const char *text;    /* the teaching text it follows */
    const char *summary; /* one line for `mha lab list` */
    /* Runs the lab: 0, or -1 when it could not run (printed to stderr). */
    int (*run)(lab_env *env);
} lab_def;

size_t lab_count(void);
const lab_def *lab_get(size_t i);
/* By its full name or its number ("001"); NULL if none. */
const lab_def *lab_find(const char *name);

/* The labs, one file each. */
int lab_000_run(lab_env *env);
int lab_001_run(lab_env *env);
int lab_002_run(lab_env *env);
int lab_003_run(lab_env *env);
int lab_004_run(lab_env *env);

/* A section heading. */
void lab_section(lab_env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "PASS  <what>" or "FAIL  <what>", counts it and returns pass. */
int lab_check(lab_env *e, int pass, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The largest |a[i] - b[i]|; INFINITY when either side is NaN or infinite where the other is not. */
double lab_max_abs_diff(const float *a, const double *b, size_t n);
double lab_max_abs_diff_f32(const float *a, const float *b, size_t n);

/* PASS when the largest |got - want| over n values is <= tol (printed with both numbers). */
int lab_check_close(lab_env *e, const char *what, const float *got, const double *want, size_t n, double tol);
int lab_check_close_f32(lab_env *e, const char *what, const float *got, const float *want, size_t n, double tol);

/* PASS when got == want. */
int lab_check_equal(lab_env *e, const char *what, int64_t got, int64_t want);

/*
 * The tolerance of the project's accuracy checks for the attention call a
 * (conformance/tolerance.h): factor * err_fp32 + floor * max|V| * FLT_EPSILON,
 * err_fp32 measured against the float64 reference on a's inputs. Also
 * writes that reference output ([B][Sq][H][Dh], want, may be NULL). 0 or -1.
 */
int lab_attention_tolerance(const mha_args *a, double *tol, double *want);

#endif
