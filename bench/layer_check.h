/*
 * The check that keeps a broken layer (mha_layer_forward: projections,
 * attention, output projection) from being timed: sampled rows of Y against
 * the layer computed in double precision, within an a-priori bound on the
 * error of any fp32 computation of it, derived from the data.
 *
 * Rows: the first, middle and last query row of the first and the last
 * batch. Bound, first order in u = 2^-24, gamma_n = n u / (1 - n u)
 * (Higham, "Accuracy and Stability of Numerical Algorithms", sec. 3.1),
 * any summation order:
 *   projection element c of a row x:   |dQ_c| <= gamma_D sum_e |x_e W_ec|
 *                                      (likewise dK, dV)
 *   score j of head h:  |ds_j| <= scale sum_d (|dq_d| |k_jd| + |q_d| |dk_jd|)
 *                                 + (gamma_Dh + 2u) scale sum_d |q_d k_jd|
 *                       Delta = max_j |ds_j|
 *   context element d:  |dO_d| <= max_j |v_jd| (exp(2 Delta) - 1 + 4 gamma_Skv + 16u)
 *                                 + max_j |dv_jd|
 *     (softmax and the weighted sum as in tests/attention_bound.h, the
 *     rounding terms doubled for tiled kernels that rescale the running
 *     sum and output, and 8u more for a vectorized exp of a few ulps)
 *   output element c:   |dY_c| <= sum_d |dO_d| |Wo_dc| + gamma_D sum_d (|O_d| + |dO_d|) |Wo_dc|
 * A wrong projection, a dropped head or a broken attention kernel moves Y
 * by far more (the test in tests/test_bench_check.c plants such errors).
 */
#ifndef MHA_BENCH_LAYER_CHECK_H
#define MHA_BENCH_LAYER_CHECK_H

#include "mha.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * 0 if y (B, S, D), the output of mha_layer_forward(layer, args), matches
 * the double-precision layer on the sampled rows within the bound; 1 with
 * the worst element, its error and its bound in msg; -1 when memory for
 * the check could not be allocated (msg says so). Supports args->causal
 * and an additive mask through args->mask_strides.
 */
int bench_layer_check(const mha_layer *layer, const mha_layer_args *args, const float *y, char *msg,
                      size_t size);

#ifdef __cplusplus
}
#endif

#endif
