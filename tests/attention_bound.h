/*
 * An a-priori bound on the error of plain fp32 attention (naive) against
 * the float64 reference, per query row, first-order in the unit roundoff
 * u = 2^-24 with gamma_n = n u / (1 - n u) (Higham, "Accuracy and Stability
 * of Numerical Algorithms", 2nd ed., sec. 3.1):
 *
 *   score j:  |ds_j| <= (gamma_Dh + 2u) |scale| sum_d |q_d k_jd| + u |mask_j|
 *             (dot product, then one multiply and one add)
 *   Delta   = max_j |ds_j|
 *   softmax:  shifting every score by at most Delta changes each p_j by a
 *             factor within exp(+-2 Delta); expf (< 1 ulp), the sum of Skv
 *             terms and the division add gamma_Skv + 4u relative:
 *             |dp_j| <= p_j (exp(2 Delta) - 1 + gamma_Skv + 4u)
 *   output:   o = sum_j p_j v_j adds gamma_Skv sum_j p_j |v_j|:
 *             |do| <= max|V| (exp(2 Delta) - 1 + 2 gamma_Skv + 4u)
 *
 * The bound holds for any fp32 implementation that sums in any order, so
 * tests may use it for every implementation, not just naive.
 *
 * Why not the tolerance model of the other tests (conformance/tolerance.h,
 * a multiple of err_fp32): err_fp32 is naive's own error, so naive judged
 * by it would pass whatever it computed. Naive, the yardstick, is held to
 * this bound instead.
 */
#ifndef MHA_ATTENTION_BOUND_H
#define MHA_ATTENTION_BOUND_H

#include "mha.h"

#include <math.h>

static inline double bound_gamma(double n)
{
    const double u = 0x1p-24;
    return n * u / (1 - n * u);
}

/* Row bound for query row (b, i, h) on the output (p_only = 0) or the probabilities (p_only = 1). */
static inline double attention_row_bound(const mha_args *a, int64_t b, int64_t i, int64_t h, double max_abs_v,
                                         int p_only)
{
    const double u = 0x1p-24;
    const mha_shape *s = &a->shape;
    const int64_t g = h / (s->heads / s->kv_heads);
    const double scale = a->scale != 0.0f ? fabs((double)a->scale) : 1.0 / sqrt((double)s->head_dim);
    const float *q = (const float *)a->q + b * a->q_strides.batch + i * a->q_strides.seq + h * a->q_strides.head;
    const float *mrow = a->mask ? a->mask + b * a->mask_strides.batch + h * a->mask_strides.head +
                                      i * a->mask_strides.row
                                : NULL;
    double delta = 0;
    for (int64_t j = 0; j < s->kv_len; j++) {
        const float *k = (const float *)a->k + b * a->k_strides.batch + j * a->k_strides.seq + g * a->k_strides.head;
        double absdot = 0;
        for (int64_t d = 0; d < s->head_dim; d++)
            absdot += fabs((double)q[d] * (double)k[d]);
        double m = mrow && isfinite(mrow[j]) ? fabs((double)mrow[j]) : 0.0;
        double ds = (bound_gamma((double)s->head_dim) + 2 * u) * scale * absdot + u * m;
        delta = ds > delta ? ds : delta;
    }
    double gs = bound_gamma((double)s->kv_len);
    if (p_only)
        return expm1(2 * delta) + gs + 4 * u;
    return max_abs_v * (expm1(2 * delta) + 2 * gs + 4 * u);
}

#endif
