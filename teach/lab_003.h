/* Lab 003's pieces, apart so that tests can give them wrong values. */
#ifndef MHA_TEACH_LAB_003_H
#define MHA_TEACH_LAB_003_H

#include "lab.h"

/*
 * microgpt's attention (seed 003, lines 123-132), one token at a time:
 * token t appends its k and v (rows of k_all, v_all: (T, D)) to the cache,
 * then each head h attends with q[t]'s slice [h*Dh, (h+1)*Dh) over the t+1
 * cached slices, scores divided by sqrt(Dh), and the heads' outputs are
 * concatenated into row t of out (T, D). fp32, max subtracted in softmax.
 */
void lab003_decode_loop(int64_t T, int64_t D, int64_t heads, const float *q_all, const float *k_all,
                        const float *v_all, float *out);

/* PASS when the decode loop's output equals the causal call's within tol. */
int lab003_check_decode(lab_env *e, const char *what, const float *decode, const float *causal, size_t n, double tol);

#endif
