/*
 * Lab 000: "Multi-Head Attention Minimal Code" (seed 000, InfraLens Lab 04):
 * split_heads (2, 8, 32) with 4 heads into (2, 4, 8, 8), attention per
 * head, merge back to (2, 8, 32); the projections are tied to D, not to H
 * copies of D; more heads mean more (thinner) KV-cache slices.
 */
#include "lab.h"

#include "explain_print.h"
#include "shapes_math.h"

#include <stdlib.h>
#include <string.h>

#define B 2
#define S 8
#define D 32
#define H 4
#define DH (D / H)

/* (B, S, D) -> (B, H, S, Dh) as a copy (the text's split_heads), and back. */
static void split_heads(const float *x, float *heads)
{
    for (int b = 0; b < B; b++)
        for (int s = 0; s < S; s++)
            for (int h = 0; h < H; h++)
                memcpy(heads + ((b * H + h) * S + s) * DH, x + (b * S + s) * D + h * DH, DH * sizeof(float));
}

static void merge_heads(const float *heads, float *x)
{
    for (int b = 0; b < B; b++)
        for (int s = 0; s < S; s++)
            for (int h = 0; h < H; h++)
                memcpy(x + (b * S + s) * D + h * DH, heads + ((b * H + h) * S + s) * DH, DH * sizeof(float));
}

static int split_attend_merge(lab_env *e)
{
    lab_section(e, "split_heads((2, 8, 32), heads=4) -> (2, 4, 8, 8); attend per head; merge -> (2, 8, 32)");
    enum { N = B * S * D };
    static float x[3][N], split[3][N], back[N], ctx_heads[N], merged[N], direct[N];
    mha_rng rng;
    mha_rng_seed(&rng, 0);
    for (int t = 0; t < 3; t++) { /* Q, K, V */
        mha_rng_fill(&rng, x[t], N, 1.0f);
        split_heads(x[t], split[t]);
    }
    merge_heads(split[0], back);
    lab_check_close_f32(e, "merge_heads(split_heads(Q)) gives Q back exactly", back, x[0], N, 0.0);
    /* each head alone on its (S, Dh) block of the split copy */
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const size_t o = (size_t)((b * H + h) * S * DH);
            mha_args a = mha_args_bshd((mha_shape){1, 1, 1, S, S, DH}, split[0] + o, split[1] + o, split[2] + o,
                                       ctx_heads + o);
            a.threads = 1;
            if (mha_attention(e->impl, &a) != MHA_OK) {
                fprintf(stderr, "mha lab 000: %s: %s\n", e->impl->name, mha_last_error());
                return -1;
            }
        }
    merge_heads(ctx_heads, merged);
    /* one call that reads the heads in place: (B, S, D) is the (B, S, H, Dh) view */
    mha_args all = mha_args_bshd((mha_shape){B, H, H, S, S, DH}, x[0], x[1], x[2], direct);
    all.threads = 1;
    double tol;
    if (mha_attention(e->impl, &all) != MHA_OK || lab_attention_tolerance(&all, &tol, NULL)) {
        fprintf(stderr, "mha lab 000: %s: %s\n", e->impl->name, mha_last_error());
        return -1;
    }
    fprintf(e->out, "  split: (2, 8, 32) -> reshape (2, 8, 4, 8) -> transpose (2, 4, 8, 8); merge undoes both.\n"
                    "  The heads share the 8 positions; each reads only its 8 of the 32 features.\n");
    lab_check_close_f32(e, "4 heads attended one by one and merged equal one call on the (B, S, H, Dh) view",
                        merged, direct, N, 2.0 * tol);
    return 0;
}

static void tied_to_d(lab_env *e)
{
    lab_section(e, "Parameters tied to D, KV slices per head (D = %d)", D);
    char a[32], b[32];
    fprintf(e->out, "  %5s %5s %12s %20s %16s\n", "heads", "Dh", "parameters", "KV slices per token",
            "KV bytes/token");
    for (int64_t h = 1; h <= 16; h *= 2) {
        shapes_cfg c = {B, S, D, h, h};
        shapes_kv kv[3];
        shapes_kv_cache(&c, kv);
        fprintf(e->out, "  %5lld %5lld %12s %20lld %16s\n", (long long)h, (long long)(D / h),
                explain_grouped(shapes_parameters(&c).total, a, sizeof a), (long long)kv[0].slices_per_token,
                explain_grouped(kv[0].bytes_per_token, b, sizeof b));
        char what[96];
        snprintf(what, sizeof what, "H = %lld: parameters are 4 D^2 (W_Q, W_K, W_V, W_O of D x D)", (long long)h);
        lab_check_equal(e, what, (int64_t)shapes_parameters(&c).total, 4 * D * D);
        snprintf(what, sizeof what, "H = %lld: KV slices per token are 2 H (one K, one V per head)", (long long)h);
        lab_check_equal(e, what, (int64_t)kv[0].slices_per_token, 2 * h);
    }
    fprintf(e->out, "  Heads are not separate models: H full copies would hold H x 4 D^2 (%d for 4 heads).\n"
                    "  More heads: more, thinner slices of the same 2 x D floats per token.\n", H * 4 * D * D);
}

int lab_000_run(lab_env *e)
{
    if (split_attend_merge(e))
        return -1;
    tied_to_d(e);
    return 0;
}
