/*
 * naive: the seeds' algorithm as plain loops, in fp32. It is the readable
 * reference for humans and "the plain fp32 algorithm" whose error against
 * the float64 reference sets the conformance tolerances.
 *
 * For every batch b, query head h and query position i:
 *   g      = h / (H / Hkv)                          kv head read by head h
 *   s[j]   = scale * <Q[b,i,h,:], K[b,j,g,:]> + M[b,h,i,j]     (Skv scores)
 *   m      = max_j s[j]                             subtracted for stability
 *   p[j]   = exp(s[j] - m) / sum_j' exp(s[j'] - m)  (softmax over keys)
 *   O[b,i,h,:] = sum_j p[j] * V[b,j,g,:]            (weighted sum of values)
 * Masked keys (causal, or M = -inf) are skipped: never read, p[j] = 0.
 */
/* Separate multiply and add (see naive_row.h). */
#define MHA_NAIVE_MADD(x, y, acc) ((x) * (y) + (acc))
#include "naive_row.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Workspace: one row of Skv scores per thread. */
static MHA_WORKSPACE_FN(naive_workspace)
{
    (void)want_probs;
    return (size_t)threads * (size_t)shape->kv_len * sizeof(float);
}

static MHA_ATTENTION_FN(naive_attention)
{
    const mha_shape *sh = &args->shape;
    const int64_t rows = sh->batch * sh->heads * sh->q_len;
    float *scores = workspace;
    /* Rows are independent and each is computed by one thread in a fixed
     * order, so the result does not depend on the thread count. */
#ifdef _OPENMP
#pragma omp parallel for num_threads(args->threads) schedule(static)
#endif
    for (int64_t r = 0; r < rows; r++) {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        const int64_t i = r % sh->q_len, bh = r / sh->q_len;
        mha_naive_row(args, bh / sh->heads, bh % sh->heads, i, scores + (size_t)t * (size_t)sh->kv_len);
    }
}

const mha_impl mha_impl_naive = {
    .abi_version = MHA_ABI_VERSION,
    .name = "naive",
    .algorithm = "naive",
    .isa = "c",
    .summary = "the seeds' loops: per head and query, dot products, stable softmax, weighted sum",
    .cpu_features = 0,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 0,
    .workspace = naive_workspace,
    .attention = naive_attention,
    .matmul = NULL,
};
