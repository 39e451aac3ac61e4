/*
 * The tolerance model of every accuracy check of mhalab (mha check, the
 * unit tests of the implementations): comparing an output with the
 * float64 reference, and the derived tolerance
 *     tol = factor * err_fp32 + floor * magnitude * FLT_EPSILON
 *           + magnitude * u(out_dtype),
 * where err_fp32 is the max abs error of the plain algorithm in the same
 * dtypes (naive, and naive's loops with fused multiply-adds: the larger of
 * the two; for bf16/fp16 inputs it rounds P to their dtype and O to
 * out_dtype, see impl/naive/naive_row.h) on the same inputs, magnitude is
 * max|V| for outputs, 1 for probabilities, and u is the unit roundoff of a
 * 16-bit output dtype (0 for fp32). The name err_fp32 stays for every
 * dtype: it is "the plain algorithm's error". See docs/conformance.md and
 * docs/low-precision.md for why.
 * Built as its own small library (tolerance_dep) for the tests.
 */
#ifndef MHA_CONF_TOLERANCE_H
#define MHA_CONF_TOLERANCE_H

#include "mha.h"

#include <stddef.h>
#include <stdint.h>

/* The factor and floor of every check (the vectors' MANIFEST records them too). */
#define TOL_FACTOR 8.0
#define TOL_FLOOR 8.0

typedef struct err_stats {
    double max_abs;      /* over elements where both are finite or both NaN */
    double max_rel;      /* |got - want| / |want| over |want| > 0 */
    int64_t ulps;        /* distance in fp32 ulps at the worst index */
    size_t worst;        /* flat index of max_abs (or of the first NaN mismatch) */
    double got, want;    /* values at worst */
    size_t nan_mismatch; /* elements where exactly one of got, want is NaN, or got is inf and want is not */
} err_stats;

/* Compare n elements. got may be float or double (exactly one non-NULL). */
void compare_values(const float *got32, const double *got64, const double *want, size_t n, err_stats *st);

/* factor * err_fp32 + floor * magnitude * FLT_EPSILON */
double tolerance_of(double factor, double floor, double err_fp32, double magnitude);

/*
 * Half an ulp of out_dtype at 1: 2^-8 for bf16, 2^-11 for fp16, 0 for fp32.
 * The one rounding of O to a 16-bit dtype may land on either neighbour of
 * the plain algorithm's result; this is the most that adds to an element
 * of magnitude <= max|V| beyond the plain algorithm's own error.
 */
double dtype_unit_roundoff(mha_dtype out_dtype);

/* tolerance_of() + magnitude * dtype_unit_roundoff(out_dtype): the tolerance of an output of out_dtype. */
double tolerance_of_dtype(double factor, double floor, double err_plain, double magnitude, mha_dtype out_dtype);

/* err / err_fp32, or 0 if both are 0, or INFINITY if only err_fp32 is 0. */
double error_units(double err, double err_fp32);

/* ulps between two floats (ordered integer distance). */
int64_t ulp_distance(float a, float b);

/* naive, the plain algorithm: compiled into every build, the yardstick of err_fp32. */
const mha_impl *naive_impl(void);

/*
 * err_fp32 of the inputs of a (a valid call of any dtype and out_dtype;
 * its out, probs, workspace and threads are not used): the max abs error
 * against ref_out (logical [B][Sq][H][Dh]) and, when ref_probs is not NULL,
 * ref_probs ([B][H][Sq][Skv]) of naive and of naive's loops with fused
 * multiply-adds, both in a's dtypes, elements where either side is NaN
 * left out. 0, or -1 with why in err.
 */
int measure_err_fp32(const mha_args *a, const double *ref_out, const double *ref_probs, double *err_out,
                     double *err_probs, char *err, size_t err_size);

#endif
