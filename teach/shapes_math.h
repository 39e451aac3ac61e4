/*
 * Shape arithmetic of one attention layer, for teaching tables: the shape,
 * FLOPs and fp32 bytes of every step of X -> Q, K, V -> heads -> scores ->
 * probabilities -> context -> merged -> W_O; the parameter count; split vs
 * full-size heads; KV-cache bytes per token for MHA, GQA and MQA.
 *
 * Conventions (also printed by `mha explain`):
 * - a matrix product (m x k) @ (k x n) costs 2*m*n*k FLOPs (one multiply
 *   and one add per term);
 * - softmax counts SHAPES_SOFTMAX_OPS operations per score: scale, subtract
 *   the row max, exp, add to the row sum, divide by the sum;
 * - bytes are those of the step's output tensor in fp32 (4 bytes each);
 *   splitting and merging heads are views (reshape + transpose), no FLOPs.
 *
 * Self-contained: no dependency on the library, only <stdint.h>.
 */
#ifndef MHA_SHAPES_MATH_H
#define MHA_SHAPES_MATH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SHAPES_SOFTMAX_OPS 5
#define SHAPES_FP32_BYTES 4
#define SHAPES_MAX_STEPS 12

/* One layer's configuration: B, S, D, H, K (kv heads; K == H is MHA). */
typedef struct shapes_cfg {
    int64_t batch, seq, d_model, heads, kv_heads;
} shapes_cfg;

typedef enum shapes_error {
    SHAPES_OK = 0,
    SHAPES_ERR_NONPOSITIVE, /* a dimension <= 0 */
    SHAPES_ERR_HEADS,       /* D % H != 0 */
    SHAPES_ERR_KV_HEADS,    /* H % K != 0 */
    SHAPES_ERR_TOO_LARGE,   /* a FLOP or byte count exceeds INT64_MAX */
} shapes_error;

/*
 * Checks the configuration. On error writes a message naming the argument,
 * its value and the valid choices (the divisors of D for heads, of H for
 * kv heads) into msg.
 */
shapes_error shapes_check(const shapes_cfg *c, char *msg, size_t size);

/* Divisors of n in increasing order, at most max of them; returns how many. */
int shapes_divisors(int64_t n, int64_t *out, int max);

/* "MHA", "GQA" or "MQA" for a (heads, kv_heads) pair. */
const char *shapes_kind(int64_t heads, int64_t kv_heads);

/* One step of the walkthrough. dims has ndim entries; axes names them ("B, S, D"). */
typedef struct shapes_step {
    const char *name;  /* "Q = X W_Q" */
    const char *axes;  /* "(B, S, D)" */
    int ndim;
    int64_t dims[4];
    uint64_t flops;
    uint64_t bytes;    /* fp32 bytes of the output tensor */
    const char *note;
} shapes_step;

/* Fills steps (at least SHAPES_MAX_STEPS entries); returns the count. Check first. */
int shapes_walkthrough(const shapes_cfg *c, shapes_step *steps);

/* Weights: W_Q, W_O are D x D; W_K, W_V are D x (K*Dh). */
typedef struct shapes_params {
    uint64_t w_q, w_k, w_v, w_o, total;
    uint64_t h_full_copies; /* the trap: H copies of 4*D^2 */
} shapes_params;

shapes_params shapes_parameters(const shapes_cfg *c);

/*
 * H split heads of Dh = D/H dims vs H full-size heads of D dims each.
 * seed_*: the seed lab's per-head "d x d" count, H*d*d (ratio H^2).
 * The real costs scale with d, not d^2, so their ratio is D/Dh = H:
 * attention FLOPs (scores + context) 4*B*H*S*S*d, projection parameters
 * (W_Q, W_K, W_V map D -> H*d, W_O maps H*d -> D) 4*D*H*d, KV cache per
 * token 2*H*d floats.
 */
typedef struct shapes_split_cost {
    uint64_t seed_full, seed_split;
    uint64_t attn_flops_full, attn_flops_split;
    uint64_t params_full, params_split;
    uint64_t kv_bytes_full, kv_bytes_split;
} shapes_split_cost;

shapes_split_cost shapes_split_vs_full(const shapes_cfg *c);

/*
 * KV cache of one layer: per token, K and V each hold kv_heads slices of Dh
 * floats, so 2*kv_heads slices and 2*kv_heads*Dh*4 bytes.
 * kv_heads == 0 means this kind is impossible for H (GQA needs a divisor of
 * H strictly between 1 and H).
 */
typedef struct shapes_kv {
    const char *kind;
    int64_t kv_heads;
    uint64_t slices_per_token;
    uint64_t bytes_per_token;
    uint64_t bytes_per_sequence; /* times S */
    uint64_t bytes_batch;        /* times B*S */
} shapes_kv;

/*
 * MHA (K = H), GQA and MQA (K = 1), in that order. GQA uses c->kv_heads when
 * it lies strictly between 1 and H, else the largest such divisor of H.
 */
void shapes_kv_cache(const shapes_cfg *c, shapes_kv out[3]);

/*
 * Benchmark arithmetic (mha-bench counters, mha report), in double so any
 * grid shape fits. Dh is the head dimension, Hkv the kv heads.
 */

/* (query, key) pairs a causal mask leaves visible, bottom-right aligned:
 * sum over i < Sq of clamp(i + Skv - Sq + 1, 0, Skv). S(S+1)/2 when
 * Sq = Skv = S (half the square plus the diagonal); Skv when Sq = 1. */
double shapes_causal_pairs(int64_t q_len, int64_t kv_len);

/* Attention FLOPs, Q K^T and P V: 4*B*H*Dh per visible (query, key) pair;
 * 4*B*H*Sq*Skv*Dh without the causal mask, about half with it (exactly the
 * visible pairs, so a decode step Sq = 1 is not halved). */
double shapes_attention_flops(int64_t batch, int64_t heads, int64_t q_len, int64_t kv_len, int64_t head_dim,
                              int causal);

/* The four projections for B*S tokens: 2*B*S*D*(2*D + 2*Hkv*Dh), D = H*Dh. */
double shapes_projection_flops(int64_t batch, int64_t seq, int64_t heads, int64_t kv_heads, int64_t head_dim);

/* S from which attention FLOPs exceed projection FLOPs (Sq = Skv = S):
 * 4*S^2*D >= 2*S*D*(2D + 2*Hkv*Dh) <=> S >= D + Hkv*Dh; twice that when causal. */
double shapes_attention_dominates_at(int64_t heads, int64_t kv_heads, int64_t head_dim, int causal);

/* fp32 bytes of Q and O (B*Sq*H*Dh each) and K and V (B*Skv*Hkv*Dh each). */
double shapes_attention_bytes(int64_t batch, int64_t heads, int64_t kv_heads, int64_t q_len, int64_t kv_len,
                              int64_t head_dim);

/* The S x S scores a gemm-style kernel materialises for heads_at_once heads: heads * Sq * Skv * 4. */
double shapes_score_matrix_bytes(int64_t heads_at_once, int64_t q_len, int64_t kv_len);

/* A flash kernel's per-thread working set for br query rows and bc keys:
 * scores br*bc, accumulator br*Dh, row max and sum 2*br, fp32. */
double shapes_flash_tile_bytes(int64_t br, int64_t bc, int64_t head_dim);

#ifdef __cplusplus
}
#endif

#endif
