/* Lab 001's checks, apart so that tests can give them wrong values. */
#ifndef MHA_TEACH_LAB_001_H
#define MHA_TEACH_LAB_001_H

#include "lab.h"

/* Block B's bound: "The two must agree to 1e-5" (seed 001). */
#define LAB001_SINGLE_HEAD_TOL 1e-5

/* PASS when the layer with H = 1 and single-head attention followed by W_O agree to 1e-5. */
int lab001_check_equivalence(lab_env *e, const char *what, const float *y_layer, const float *y_ref, size_t n);

/*
 * "Heads visibly distinct" (heatmap_model.h's rule): PASS when the closest
 * pair of heads differs by at least the threshold. With one head there is no
 * pair: prints that it is not judged and records no check; returns -1.
 */
int lab001_check_distinct(lab_env *e, int64_t heads, double min_diff, int a, int b, double threshold);

#endif
