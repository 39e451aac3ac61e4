/*
 * Lab 003: microgpt's multi-head attention (seed 003): 16 dimensions in
 * 4 heads of 4, each head's slice of D, the text's "1024 vs 64" table,
 * and the per-token decode loop with its KV cache, checked against one
 * causal call over all tokens.
 */
#include "lab.h"
#include "lab_003.h"

#include "explain_print.h"
#include "heatmap_model.h"
#include "shapes_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TEXT "<bos> o l i v i a"
#define N_EMBD 16
#define N_HEAD 4

void lab003_decode_loop(int64_t T, int64_t D, int64_t heads, const float *q_all, const float *k_all,
                        const float *v_all, float *out)
{
    const int64_t hd = D / heads;
    float *logits = malloc((size_t)T * sizeof *logits);
    if (!logits) { /* NaN marks the output as not computed; a check then fails */
        for (int64_t i = 0; i < T * D; i++)
            out[i] = NAN;
        return;
    }
    for (int64_t t = 0; t < T; t++) {             /* token t arrives */
        const float *q = q_all + t * D;
        const int64_t cached = t + 1;             /* keys[li] and values[li] after appending token t */
        for (int64_t h = 0; h < heads; h++) {
            const int64_t hs = h * hd;            /* head start index */
            float m = -INFINITY, sum = 0.0f;
            for (int64_t s = 0; s < cached; s++) {
                float dot = 0.0f;
                for (int64_t j = 0; j < hd; j++)
                    dot += q[hs + j] * k_all[s * D + hs + j];
                logits[s] = dot / sqrtf((float)hd);
                m = logits[s] > m ? logits[s] : m;
            }
            for (int64_t s = 0; s < cached; s++) {
                logits[s] = expf(logits[s] - m);
                sum += logits[s];
            }
            for (int64_t j = 0; j < hd; j++) {
                float acc = 0.0f;
                for (int64_t s = 0; s < cached; s++)
                    acc += logits[s] / sum * v_all[s * D + hs + j];
                out[t * D + hs + j] = acc; /* x_attn.extend(head_out) */
            }
        }
    }
    free(logits);
}

int lab003_check_decode(lab_env *e, const char *what, const float *decode, const float *causal, size_t n, double tol)
{
    return lab_check_close_f32(e, what, decode, causal, n, tol);
}

static void slices(lab_env *e, int64_t T)
{
    lab_section(e, "Each head's slice of D: n_embd = %d, n_head = %d, head_dim = %d", N_EMBD, N_HEAD,
                N_EMBD / N_HEAD);
    shapes_cfg c = {1, T, N_EMBD, N_HEAD, N_HEAD};
    explain_print_head_slices(e->out, &c);
    static const int64_t text_starts[N_HEAD] = {0, 4, 8, 12}; /* seed 003: "head start index: 0, 4, 8, 12" */
    int same = 1;
    for (int h = 0; h < N_HEAD; h++)
        same &= h * (N_EMBD / N_HEAD) == text_starts[h];
    lab_check(e, same, "hs = h * head_dim gives the text's head starts 0, 4, 8, 12 (dims 0-3, 4-7, 8-11, 12-15)");

    lab_section(e, "The text's table: 4 full-size heads vs 4 split heads");
    shapes_split_cost s = shapes_split_vs_full(&c);
    lab_check_equal(e, "4 x (16 x 16), the text's count for full-size heads", (int64_t)s.seed_full, 1024);
    lab_check_equal(e, "4 x (4 x 4), the text's count for split heads", (int64_t)s.seed_split, 64);
    fprintf(e->out, "  The table counts d x d per head, a ratio of H^2 = 16. A head's real work grows with d,\n"
                    "  not d^2 (one d-long dot product and one d-long sum per query-key pair), so full-size\n"
                    "  heads cost H = 4 times more: attention FLOPs %llu vs %llu for %lld tokens, KV bytes per\n"
                    "  token %llu vs %llu. Split heads keep W_Q, W_K, W_V, W_O at 16 x 16 each, as the text says\n"
                    "  (mha explain --batch 1 --seq 16 --d-model 16 --heads 4 prints the whole table).\n",
            (unsigned long long)s.attn_flops_full, (unsigned long long)s.attn_flops_split, (long long)T,
            (unsigned long long)s.kv_bytes_full, (unsigned long long)s.kv_bytes_split);
}

static int decode(lab_env *e, const hm_experiment *ex)
{
    const int64_t T = ex->T, D = N_EMBD, H = N_HEAD, Dh = D / H;
    const size_t n = (size_t)(T * D);
    float *buf = malloc(6 * n * sizeof *buf);
    if (!buf)
        return -1;
    float *q = buf, *k = q + n, *v = k + n, *loop = v + n, *steps = loop + n, *causal = steps + n;
    const hm_weights *w = &ex->w;
    int rc = mha_compute_qkv(T, D, ex->x, w->w[0], w->w[1], w->w[2], q, k, v) == MHA_OK ? 0 : -1;
    lab_section(e, "Decode token by token with a KV cache (microgpt, lines 123-132), \"" TEXT "\"");
    lab003_decode_loop(T, D, H, q, k, v, loop);
    /* The library's decode call per token: one query against the t+1 cached keys. */
    for (int64_t t = 0; t < T && rc == 0; t++) {
        mha_args a = mha_args_bshd((mha_shape){1, H, H, 1, t + 1, Dh}, q + t * D, k, v, steps + t * D);
        a.k_strides = a.v_strides = mha_strides_bshd(T, H, Dh); /* the cache holds room for T tokens */
        a.threads = 1;
        rc = mha_attention(e->impl, &a) == MHA_OK ? 0 : -1;
    }
    mha_args one = mha_args_bshd((mha_shape){1, H, H, T, T, Dh}, q, k, v, causal);
    one.causal = 1;
    one.threads = 1;
    double tol = 0.0;
    if (rc == 0)
        rc = mha_attention(e->impl, &one) == MHA_OK && lab_attention_tolerance(&one, &tol, NULL) == 0 ? 0 : -1;
    if (rc) {
        fprintf(stderr, "mha lab 003: %s: %s\n", e->impl->name, mha_last_error());
        free(buf);
        return -1;
    }
    fprintf(e->out, "  %5s %-6s %13s %15s %26s\n", "token", "", "cached tokens", "KV-cache bytes",
            "max |loop - causal call|");
    for (int64_t t = 0; t < T; t++)
        fprintf(e->out, "  %5lld %-6s %13lld %15lld %26.3g\n", (long long)t, ex->tok.tok[t], (long long)(t + 1),
                (long long)((t + 1) * 2 * D * 4), lab_max_abs_diff_f32(loop + t * D, causal + t * D, (size_t)D));
    fprintf(e->out, "  Token t appends one K and one V row of D = %lld floats; its query reads only the cache, never\n"
                    "  a later token: the causal mask, which one call over all tokens applies at once.\n"
                    "  Tolerance: each side within %.3g of the float64 reference (mha check's model), so 2 x that.\n",
            (long long)D, tol);
    lab003_check_decode(e, "microgpt decode loop equals one causal call", loop, causal, n, 2.0 * tol);
    fprintf(e->out, "  The cost of each step: mha explain --batch 1 --seq %lld --d-model %d --heads %d --decode\n",
            (long long)T, N_EMBD, N_HEAD);
    char what[128];
    snprintf(what, sizeof what, "%s, one decode call per token (Sq = 1), equals one causal call", e->impl->name);
    lab003_check_decode(e, what, steps, causal, n, 2.0 * tol);
    free(buf);
    return 0;
}

int lab_003_run(lab_env *e)
{
    hm_experiment ex;
    mha_status st = hm_experiment_run(&ex, e->impl, TEXT, N_EMBD, N_HEAD, 0, 1, 0.0f);
    if (st != MHA_OK) {
        fprintf(stderr, "mha lab 003: %s: %s\n", mha_status_str(st), mha_last_error());
        return -1;
    }
    slices(e, ex.T);
    const int rc = decode(e, &ex);
    hm_experiment_free(&ex);
    return rc;
}
