/*
 * naive: the seeds' algorithm as plain loops, with fp32 arithmetic on
 * inputs of every dtype (fp32, bf16, fp16; naive_row.h says where it
 * rounds). It is the readable reference for humans and "the plain
 * algorithm" whose error against the float64 reference sets the
 * conformance tolerances.
 *
 * For every batch b, query head h and query position i:
 *   g      = h / (H / Hkv)                          kv head read by head h
 *   s[j]   = scale * <Q[b,i,h,:], K[b,j,g,:]> + M[b,h,i,j]     (Skv scores)
 *   m      = max_j s[j]                             subtracted for stability
 *   p[j]   = exp(s[j] - m) / sum_j' exp(s[j'] - m)  (softmax over keys)
 *   O[b,i,h,:] = sum_j p[j] * V[b,j,g,:]            (weighted sum of values)
 * Masked keys (causal, or M = -inf) are skipped: never read, p[j] = 0.
 */
#include "naive_row.h"

#include "parallel.h"

static int64_t naive_rows(const mha_shape *s)
{
    return s->batch * s->heads * s->q_len;
}

/* Workspace: one row's scratch (Skv scores, Q's row, O's accumulator) per thread. */
static size_t naive_workspace(const mha_shape *shape, int threads, int want_probs)
{
    (void)want_probs;
    return (size_t)mha_threads_for(threads, naive_rows(shape)) * mha_naive_row_floats(shape) * sizeof(float);
}

typedef struct rows_ctx {
    const mha_args *args;
    float *scratch; /* mha_naive_row_floats() per worker */
} rows_ctx;

static void naive_rows_range(void *ctx, int64_t begin, int64_t end, int worker)
{
    const rows_ctx *c = ctx;
    const mha_shape *sh = &c->args->shape;
    float *scratch = c->scratch + (size_t)worker * mha_naive_row_floats(sh);
    for (int64_t r = begin; r < end; r++) {
        const int64_t i = r % sh->q_len, bh = r / sh->q_len;
        mha_naive_row(c->args, bh / sh->heads, bh % sh->heads, i, scratch, 0); /* separate multiply and add */
    }
}

static void naive_attention(const mha_args *args, void *workspace)
{
    /* Rows are independent and each is computed by one thread in a fixed
     * order, so the result does not depend on the thread count. */
    rows_ctx c = {args, workspace};
    mha_parallel_for(args->threads, naive_rows(&args->shape), MHA_PARALLEL_BLOCKS, naive_rows_range, &c);
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
    .dtypes = MHA_IO_F32 | MHA_IO_BF16_F32 | MHA_IO_BF16 | MHA_IO_F16_F32 | MHA_IO_F16,
};
