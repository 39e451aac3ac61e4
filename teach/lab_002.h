/* Lab 002's checks, apart so that tests can give them wrong values. */
#ifndef MHA_TEACH_LAB_002_H
#define MHA_TEACH_LAB_002_H

#include "lab.h"

/*
 * The variance of n dot products of Dh-long vectors whose entries are
 * independent, mean 0, variance 1 and uniform (fourth moment 9/5) is Dh.
 * PASS when the sample variance is within 5 standard errors of Dh; the
 * standard error is sqrt((mu4 - Dh^2) / n) with mu4 = Dh * (9/5)^2 +
 * 3 Dh (Dh - 1), the fourth moment of the sum.
 */
int lab002_check_variance(lab_env *e, const char *what, double sample_variance, double want, int64_t dh, int64_t n,
                          double scale);

/* Softmax entropy in nats of one row of n probabilities. */
double lab002_entropy(const float *p, int64_t n);

/*
 * Softmax(beta s) has an entropy that falls as beta grows (its derivative
 * is -beta Var_p(s) <= 0). PASS when every row of `unscaled` (beta = 1) has
 * no more entropy than the same row of `scaled` (beta = 1/sqrt(Dh) < 1).
 */
int lab002_check_entropy_order(lab_env *e, int64_t dh, const float *scaled, const float *unscaled, int64_t rows,
                               int64_t keys);

#endif
