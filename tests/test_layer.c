/*
 * The seeds' layer: the interview example worked by hand, the single-head
 * equivalence of the class lab (Block B), and GQA through the layer.
 */
#include "check.h"
#include "mha.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* y = x (rows x n) @ w (n x n), in double. */
static void matmul_ref(int rows, int n, const float *x, const float *w, double *y)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < n; p++)
                s += (double)x[i * n + p] * (double)w[p * n + j];
            y[i * n + j] = s;
        }
}

int main(void)
{
    /*
     * Interview example: X = [[1,2,3,4],[5,6,7,8]], identity weights, 2 heads,
     * so Q = K = V = X and head_dim 2, scale 1/sqrt(2).
     * Head 0 (dims 0-1), row 0: scores (1+4)/sqrt2 and (5+12)/sqrt2 differ by
     * 12/sqrt2 = 6 sqrt2, so p = (1, e^{6 sqrt2}) / (1 + e^{6 sqrt2}) and
     * out = (5, 6) - 4/(1 + e^{6 sqrt2}) * (1, 1) = (4.99917, 5.99917).
     * Head 0, row 1: scores 17/sqrt2 and 61/sqrt2, gap 44/sqrt2 = 22 sqrt2:
     * out = (5, 6) - 4/(1 + e^{22 sqrt2}) (1, 1).
     * Head 1 (dims 2-3), row 0: 25/sqrt2 vs 53/sqrt2, gap 14 sqrt2:
     * out = (7, 8) - 4/(1 + e^{14 sqrt2}) (1, 1); row 1: gap 30 sqrt2.
     */
    const float X[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    float I4[16] = {0};
    for (int i = 0; i < 4; i++)
        I4[i * 5] = 1;
    float Q[8], K[8], V[8], out[8];
    CHECK(mha_compute_qkv(2, 4, X, I4, I4, I4, Q, K, V) == MHA_OK, "compute_qkv: %s", mha_last_error());
    CHECK(memcmp(Q, X, sizeof X) == 0 && memcmp(K, X, sizeof X) == 0 && memcmp(V, X, sizeof X) == 0,
          "identity weights give Q = K = V = X");
    CHECK(mha_multi_head_attention(2, 4, 2, Q, K, V, out) == MHA_OK, "multi_head_attention: %s", mha_last_error());
    const double r2 = sqrt(2.0);
    const double expected[8] = {
        5 - 4 / (1 + exp(6 * r2)),  6 - 4 / (1 + exp(6 * r2)),  7 - 4 / (1 + exp(14 * r2)), 8 - 4 / (1 + exp(14 * r2)),
        5 - 4 / (1 + exp(22 * r2)), 6 - 4 / (1 + exp(22 * r2)), 7 - 4 / (1 + exp(30 * r2)), 8 - 4 / (1 + exp(30 * r2)),
    };
    CHECK(fabs(expected[0] - 4.999174) < 1e-6, "hand value 4.999174 (%.7f)", expected[0]);
    for (int e = 0; e < 8; e++)
        /* fp32 rounding of values near 8 is 2^-21 = 4.8e-7; a few of those. */
        CHECK(fabs(out[e] - expected[e]) < 4e-6, "seed example [%d]: %.9g, expected %.9g", e, (double)out[e],
              expected[e]);

    /* Block B: layer with H = 1 equals single-head attention followed by W_O (max diff < 1e-5). */
    enum { S = 8, D = 4 };
    float x[S * D], wq[D * D], wk[D * D], wv[D * D], wo[D * D];
    mha_rng rng;
    mha_rng_seed(&rng, 42);
    mha_rng_fill(&rng, x, S * D, 1.0f);
    mha_init_weights(421, D, wq, D * D);
    mha_init_weights(422, D, wk, D * D);
    mha_init_weights(423, D, wv, D * D);
    mha_init_weights(424, D, wo, D * D);
    float q[S * D], k[S * D], v[S * D], head[S * D], y[S * D];
    double single[S * D];
    mha_compute_qkv(S, D, x, wq, wk, wv, q, k, v);
    CHECK(mha_self_attention(S, D, q, k, v, head) == MHA_OK, "self_attention: %s", mha_last_error());
    matmul_ref(S, D, head, wo, single);
    mha_layer L = {D, 1, 1, wq, wk, wv, wo};
    mha_layer_args la;
    memset(&la, 0, sizeof la);
    la.batch = 1; la.seq_len = S; la.x = x; la.y = y; la.threads = 1;
    CHECK(mha_layer_forward(mha_impl_find("naive"), &L, &la) == MHA_OK, "layer: %s", mha_last_error());
    double max_diff = 0;
    for (int e = 0; e < S * D; e++)
        max_diff = fmax(max_diff, fabs((double)y[e] - single[e]));
    printf("single-head equivalence: max diff %.3g\n", max_diff);
    CHECK(max_diff < 1e-5, "single-head equivalence: max diff %g", max_diff);

    /* GQA through the layer: 4 heads sharing 2 kv heads equals 4 heads with W_K, W_V
     * columns duplicated per group (kv head g serves query heads 2g, 2g+1). */
    enum { D8 = 8, S2 = 5, H = 4, HKV = 2, DH = 2 };
    float x8[S2 * D8], wq8[D8 * D8], wo8[D8 * D8], wk_small[D8 * HKV * DH], wv_small[D8 * HKV * DH];
    float wk_full[D8 * D8], wv_full[D8 * D8], y_gqa[S2 * D8], y_full[S2 * D8], probs[H * S2 * S2];
    mha_rng_seed(&rng, 5);
    mha_rng_fill(&rng, x8, S2 * D8, 1.0f);
    mha_init_weights(51, D8, wq8, D8 * D8);
    mha_init_weights(52, D8, wo8, D8 * D8);
    mha_init_weights(53, D8, wk_small, D8 * HKV * DH);
    mha_init_weights(54, D8, wv_small, D8 * HKV * DH);
    for (int r = 0; r < D8; r++)
        for (int h = 0; h < H; h++)
            for (int d = 0; d < DH; d++) {
                wk_full[r * D8 + h * DH + d] = wk_small[r * HKV * DH + (h / 2) * DH + d];
                wv_full[r * D8 + h * DH + d] = wv_small[r * HKV * DH + (h / 2) * DH + d];
            }
    mha_layer G = {D8, H, HKV, wq8, wk_small, wv_small, wo8};
    mha_layer F = {D8, H, H, wq8, wk_full, wv_full, wo8};
    la.seq_len = S2; la.x = x8; la.causal = 1;
    la.y = y_gqa; la.probs = probs;
    CHECK(mha_layer_forward(mha_impl_find("naive"), &G, &la) == MHA_OK, "gqa layer: %s", mha_last_error());
    la.y = y_full; la.probs = NULL;
    CHECK(mha_layer_forward(mha_impl_find("naive"), &F, &la) == MHA_OK, "full layer: %s", mha_last_error());
    CHECK(memcmp(y_gqa, y_full, sizeof y_gqa) == 0, "GQA layer equals MHA with duplicated K/V columns, bit for bit");
    double row_sum = 0;
    for (int j = 0; j < S2; j++)
        row_sum += probs[(S2 - 1) * S2 + j]; /* head 0, last query row */
    CHECK(fabs(row_sum - 1) < 1e-6, "probability row sums to 1 (%.9f)", row_sum);
    CHECK(probs[1] == 0.0f, "causal: query 0 gives key 1 probability 0");
    return check_summary();
}
