/* Lab 004's checks, apart so that tests can give them wrong values. */
#ifndef MHA_TEACH_LAB_004_H
#define MHA_TEACH_LAB_004_H

#include "lab.h"

/* The worked example's output (2, 4), row-major, worked out by hand (see lab_004.c). */
void lab004_hand_values(double out[8]);

/* PASS when got (2, 4) is within tol of the hand values. */
int lab004_check_worked(lab_env *e, const char *what, const float got[8], double tol);

/* softmax of n logits in fp32, with or without subtracting the max first. */
void lab004_softmax(const float *logits, int n, int subtract_max, float *p);

/* PASS lines: naive (no max) overflowed, stable matches the closed form of two-key softmax. */
int lab004_check_stable(lab_env *e, const float logits[2], const float naive[2], const float stable[2]);

#endif
