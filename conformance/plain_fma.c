/*
 * The plain algorithm with fused multiply-adds: naive's loops with
 * every a * b + c of the dot products and of the weighted sum contracted to
 * fmaf(a, b, c), in every dtype naive takes. C allows either evaluation
 * (FP_CONTRACT), so both are "the plain algorithm"; err_fp32 is the larger
 * of their errors (see tolerance.c). fmaf is correctly rounded everywhere (libm does it in
 * software on CPUs without FMA), so the result is portable.
 */
#include "plain_fma.h"

#include <math.h>
#include <stdlib.h>

#include "../impl/naive/naive_row.h"

int plain_fma_attention(const mha_args *a)
{
    const mha_shape *sh = &a->shape;
    float *s = malloc(mha_naive_row_floats(sh) * sizeof *s);
    if (!s)
        return -1;
    mha_args resolved = *a;
    resolved.scale = mha_resolve_scale(a->scale, sh->head_dim);
    for (int64_t b = 0; b < sh->batch; b++)
        for (int64_t h = 0; h < sh->heads; h++)
            for (int64_t i = 0; i < sh->q_len; i++)
                mha_naive_row(&resolved, b, h, i, s, 1); /* every a * b + c fused */
    free(s);
    return 0;
}
