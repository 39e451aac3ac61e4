/*
 * Inputs of one benchmark shape and the check that keeps a broken kernel
 * from being timed. Q, K, V are uniform in [-1, 1) from the portable PRNG,
 * in the seed layout (B, S, H*Dh). The float64 reference (mha_reference)
 * is computed once per shape: for every query row when the shape is small,
 * otherwise for 8 sampled rows (first, last, and spread between) of every
 * batch and head, each as a one-row problem over exactly the keys that row
 * sees, so a large shape costs milliseconds to check. A point of dtype
 * bf16 or fp16 rounds Q, K, V to it (nearest even): the call reads the
 * rounded tensors, the reference their exact fp32 values, out is fp32.
 */
#ifndef MHA_BENCH_REFCHECK_H
#define MHA_BENCH_REFCHECK_H

#include "grid.h"
#include "mha.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bench_inputs {
    bench_point point;
    mha_args args;        /* q, k, v, strides, causal, threads; out and workspace left to the caller */
    float *q, *k, *v;
    size_t q_elems, kv_elems;   /* out has q_elems too */
    int rows;             /* number of reference rows */
    int64_t *row_index;   /* their query positions */
    double *ref;          /* [B][rows][H][Dh] */
    double tolerance;     /* see bench_tolerance() */
    float *scratch_out;   /* [H][Dh], passed as out to the reference calls (which write doubles) */
    void *q_low, *k_low, *v_low; /* q, k, v in point.dtype (args reads these) unless fp32 */
} bench_inputs;

/* Make inputs and reference for p; 0 on success, else a message in err. */
int bench_inputs_make(const bench_point *p, bench_inputs *in, char *err, size_t err_size);
void bench_inputs_free(bench_inputs *in);

/*
 * Absolute error bound for fp32 attention with |q|, |k|, |v| <= max|V| = 1
 * and scale 1/sqrt(Dh), u = 2^-24 (unit roundoff), any summation order:
 *   each score s_j = scale * <q, k_j> is off by at most Dh * u * scale * Dh
 *     = u * Dh^1.5 (a dot product of length Dh, terms of size <= 1);
 *   a score error d changes each p_j by a factor within e^(+-2d), so O moves
 *     by at most 2d * max|V|;
 *   exp, the sum l of Skv terms and the weighted sum of Skv rows add
 *     (Skv + a few) * u relative, doubled for tiled kernels that rescale.
 *   tol = max|V| * u * (2 * Dh^1.5 + 2 * Skv + 16)
 * A wrong scale, a missing key or a wrong kv head gives errors above 1e-2,
 * far over this bound (at most 6.6e-4 on the default grid: Dh 128, Skv 4096).
 *
 * Why not the tolerance model of mha check and the unit tests
 * (conformance/tolerance.h: 8 x err_fp32 + a floor): that model's factor is
 * a margin over the plain fp32 algorithm's measured error, justified on the
 * conformance cases, which every implementation passes before it is timed.
 * This check has another job: keep a broken kernel from being timed on
 * shapes the conformance suite never runs (the full grid: S up to 8192,
 * B 2, threads 1/2) without ever stopping a benchmark run over a correct
 * one. A bound that holds for any fp32 summation order, from the shape
 * alone, does that; it needs no naive run per shape and is the same for
 * every implementation.
 */
double bench_tolerance(int64_t kv_len, int64_t head_dim);

/*
 * The bound for inputs of dtype (bf16, fp16; out fp32): the inputs are
 * exact in fp32, so bench_tolerance() holds for every fp32 step; an
 * implementation may also round P to dtype before P V (mha.h), which moves
 * each weight by at most the unit roundoff u_d relative (bf16 2^-8, fp16
 * 2^-11), so O by at most u_d max|V|; twice that covers kernels that also
 * normalise by the rounded P:
 *   tol = bench_tolerance(Skv, Dh) + 2 u_d max|V|,  max|V| = 1.
 */
double bench_tolerance_dtype(int64_t kv_len, int64_t head_dim, mha_dtype dtype);

/* 0 if out (B, Sq, H*Dh) matches the reference within the tolerance;
 * else 1 with the worst element, its error and the bound in msg. */
int bench_check_output(const bench_inputs *in, const float *out, char *msg, size_t size);

/* max |out - reference| over the reference rows, the number bench_check_output compares with the bound (a NaN
 * element counts as infinity). mha-bench writes it into each entry as the counter "max_abs_error", beside
 * "error_bound" (the tolerance); the peer scripts compute the same (bench/peers/peer_common.py). */
double bench_output_error(const bench_inputs *in, const float *out);

#ifdef __cplusplus
}
#endif

#endif
