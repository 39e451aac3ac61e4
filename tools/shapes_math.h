/*
 * Shape arithmetic of one attention layer: parameters, FLOPs, bytes.
 * Pure functions of the dimensions, shared by `mha report` (teaching
 * tables, counters) and meant to be shared with `mha explain`.
 *
 * Conventions: D = H * Dh is the model width, Hkv the key/value heads
 * (Hkv == H is MHA, 1 < Hkv < H is GQA, Hkv == 1 is MQA); a FLOP is one
 * multiply or one add, so a multiply-add counts 2; fp32 is 4 bytes.
 */
#ifndef MHA_SHAPES_MATH_H
#define MHA_SHAPES_MATH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Weights of the layer: W_Q, W_O are D x D, W_K, W_V are D x (Hkv*Dh).
 * 2*D^2 + 2*D*Hkv*Dh; equals 4*D^2 for MHA. */
double shapes_layer_params(int64_t heads, int64_t kv_heads, int64_t head_dim);

/* FLOPs of the four projections for B*S tokens: 2*B*S*D*(2*D + 2*Hkv*Dh). */
double shapes_projection_flops(int64_t batch, int64_t seq, int64_t heads, int64_t kv_heads, int64_t head_dim);

/* (query, key) pairs a causal mask leaves visible, bottom-right aligned:
 * sum over i < Sq of clamp(i + Skv - Sq + 1, 0, Skv). S(S+1)/2 when
 * Sq = Skv = S (half the square plus the diagonal); Skv when Sq = 1. */
double shapes_causal_pairs(int64_t q_len, int64_t kv_len);

/* FLOPs of attention, Q K^T and P V: 4*B*H*Dh per visible (query, key)
 * pair: 4*B*H*Sq*Skv*Dh, about halved when causal (exactly the visible pairs,
 * so a decode step Sq = 1 is not halved). */
double shapes_attention_flops(int64_t batch, int64_t heads, int64_t q_len, int64_t kv_len, int64_t head_dim,
                              int causal);

/* Sequence length from which attention FLOPs exceed projection FLOPs
 * (self-attention, Sq = Skv = S): 4*S^2*D >= 2*S*D*(2D + 2*Hkv*Dh)
 * <=> S >= D + Hkv*Dh; twice that when causal. */
double shapes_attention_dominates_at(int64_t heads, int64_t kv_heads, int64_t head_dim, int causal);

/* Bytes read and written by one attention call: Q and O (B*Sq*H*Dh each),
 * K and V (B*Skv*Hkv*Dh each), fp32. */
double shapes_attention_bytes(int64_t batch, int64_t heads, int64_t kv_heads, int64_t q_len, int64_t kv_len,
                              int64_t head_dim);

/* KV-cache bytes per token and layer: K and V rows, 2 * Hkv * Dh * 4. */
double shapes_kv_cache_bytes_per_token(int64_t kv_heads, int64_t head_dim);

/* The full S x S score matrix a gemm-style kernel materialises for
 * `heads_at_once` heads: heads_at_once * Sq * Skv * 4 bytes. */
double shapes_score_matrix_bytes(int64_t heads_at_once, int64_t q_len, int64_t kv_len);

/* A flash kernel's working set per thread for a tile of br query rows and
 * bc keys: scores br*bc, output accumulator br*Dh, row max and sum 2*br. */
double shapes_flash_tile_bytes(int64_t br, int64_t bc, int64_t head_dim);

/*
 * Split heads vs full-size heads, per query and key (the seeds' comparison).
 * Split: H heads of Dh = D/H dims: scores cost H*Dh = D multiply-adds.
 * Full-size: H heads of D dims each: H*D multiply-adds, H times more, and
 * H times the projection weights. The seeds' table counts H*d^2 instead
 * (4*4^2 = 64 vs 4*16^2 = 1024, "16x"), a ratio of H^2.
 */
double shapes_split_heads_macs(int64_t heads, int64_t head_dim);
double shapes_full_heads_macs(int64_t heads, int64_t head_dim);
double shapes_seed_count(int64_t heads, int64_t dims_per_head);

#ifdef __cplusplus
}
#endif

#endif
