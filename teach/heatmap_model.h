/*
 * The seed lab's experiment (seed 001, Block C): a fixed token sequence,
 * deterministic embeddings and weights, one layer run with probability
 * capture, and the two numbers of its manifest.
 *
 * Tokens: the text split on whitespace.
 * Embedding: token t -> XXH3_64bits(t, strlen(t)) (xxHash's XXH3-64, seed 0)
 *   -> mha_rng_seed -> d_model values of mha_rng_uniform(), uniform in
 *   [-1, 1). Equal tokens get equal rows; there is no position encoding.
 * Weights: matrix m (0 W_Q, 1 W_K, 2 W_V, 3 W_O) gets seed_m = the m-th
 *   output of mha_rng_next() on a generator seeded with --seed, then
 *   mha_init_weights(seed_m, D, ...): uniform [-1, 1) times 1/sqrt(D).
 */
#ifndef MHA_HEATMAP_MODEL_H
#define MHA_HEATMAP_MODEL_H

#include "mha.h"

#include <stddef.h>
#include <stdint.h>

typedef struct hm_tokens {
    int count;
    char **tok;   /* count pointers into buf */
    char *buf;
} hm_tokens;

/* Splits text on whitespace. Returns 0, or -1 when out of memory. count may be 0. */
int hm_tokenize(const char *text, hm_tokens *out);
void hm_tokens_free(hm_tokens *t);

/* X (T, D) row t from token t; see the header comment. */
void hm_embed(const hm_tokens *t, int64_t d_model, float *x);

/* seed_m for matrix m (0 W_Q, 1 W_K, 2 W_V, 3 W_O). */
uint64_t hm_weight_seed(uint64_t seed, int m);

/* The four D x D weight matrices of the experiment. */
typedef struct hm_weights {
    int64_t d_model;
    float *w[4]; /* W_Q, W_K, W_V, W_O */
} hm_weights;

int hm_weights_make(hm_weights *w, uint64_t seed, int64_t d_model);
void hm_weights_free(hm_weights *w);

/*
 * Y (T, D) and probabilities (H, T, T) of one layer with H heads (B = 1):
 * Q, K, V = mha_compute_qkv(X, W_Q, W_K, W_V), impl's attention with the
 * score scale `scale` (0: 1/sqrt(Dh)), then Y = context W_O.
 */
mha_status hm_run(const mha_impl *impl, const hm_weights *w, int64_t heads, int64_t T, const float *x,
                  int causal, float scale, float *y, float *probs);

/*
 * Seed 001 Block B on the same input: y_layer = mha_layer_forward with
 * H = 1 (no mask), y_ref = mha_self_attention(X W_Q, X W_K, X W_V) W_O,
 * each (T, D). Returns MHA_OK or the failing status.
 */
mha_status hm_single_head_outputs(const mha_impl *impl, const hm_weights *w, int64_t T, const float *x,
                                  float *y_layer, float *y_ref);

/* The largest |y_layer - y_ref| of hm_single_head_outputs; NaN counts as infinitely far. */
mha_status hm_single_head_max_diff(const mha_impl *impl, const hm_weights *w, int64_t T, const float *x,
                                   double *max_diff);

/* One run of the experiment: tokens, X, weights, Y and the probabilities. */
typedef struct hm_experiment {
    hm_tokens tok;
    hm_weights w;
    int64_t d_model, heads, T;
    float *x, *y, *probs; /* (T, D), (T, D), (H, T, T) */
} hm_experiment;

/*
 * Tokenizes text, embeds it, makes the weights from seed and runs the layer.
 * Returns MHA_OK; on failure the status (MHA_ERR_OUT_OF_MEMORY, or the
 * layer's) and nothing to free. Check T and D % H before.
 */
mha_status hm_experiment_run(hm_experiment *ex, const mha_impl *impl, const char *text, int64_t d_model,
                             int64_t heads, uint64_t seed, int causal, float scale);
void hm_experiment_free(hm_experiment *ex);

/*
 * The smallest mean absolute difference between two heads' maps, over the
 * cells both can see (all T*T, or the T*(T+1)/2 causal ones); *a, *b get
 * the pair. With H = 1 there is no pair: returns 0 and sets *a = *b = 0.
 */
double hm_min_head_difference(const float *probs, int64_t heads, int64_t T, int causal, int *a, int *b);

/*
 * Threshold rule for "heads visibly distinct": two maps drawn with one
 * viridis scale [0, vmax] are visibly different when their cells differ on
 * average by at least one just-noticeable difference of lightness.
 * JND: Delta E*ab = 2.3 (Sharma, "Digital Color Imaging Handbook", 2003).
 * Viridis rises almost linearly in L* from entry 0 to entry 255, so one
 * JND is HM_JND_LSTAR / (L*(1) - L*(0)) of the scale:
 *   threshold = vmax * 2.3 / (L*(1) - L*(0))   (about 3% of vmax).
 */
#define HM_JND_LSTAR 2.3

double hm_distinct_threshold(double vmax);

#endif
