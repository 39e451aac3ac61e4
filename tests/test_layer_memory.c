/*
 * The layer's memory (mha_layer_forward): one allocation per call holds
 * Q, K, V, the context, the attention's workspace and the matmul's work
 * buffer; when it fails the call returns MHA_ERR_OUT_OF_MEMORY with a
 * message and leaves Y and the probabilities untouched, and the next call
 * gives the same bits as before. The same for a plain attention call that
 * allocates its workspace. Every implementation that runs here, its own
 * matmul included. Failures are injected through alloc_limit.c.
 */
#include "alloc_limit.h"
#include "check.h"
#include "mha.h"

#include <stdlib.h>
#include <string.h>

enum { B = 2, S = 33, D = 48, H = 4, HKV = 2, DKV = D / H * HKV, THREADS = 2 };
#define CANARY 0xa5

static float *filled(size_t n, uint64_t seed)
{
    float *p = malloc(n * sizeof(float));
    mha_rng rng;
    mha_rng_seed(&rng, seed);
    mha_rng_fill(&rng, p, n, 0.5f);
    return p;
}

/* Whether every byte of p[0 .. bytes) is the canary. */
static int untouched(const void *p, size_t bytes)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < bytes; i++)
        if (c[i] != CANARY)
            return 0;
    return 1;
}

static void layer(const mha_impl *impl, const mha_layer *w, const float *x)
{
    const size_t ybytes = (size_t)B * S * D * sizeof(float), pbytes = (size_t)B * H * S * S * sizeof(float);
    float *y = malloc(ybytes), *y_ok = malloc(ybytes), *probs = malloc(pbytes), *probs_ok = malloc(pbytes);
    const int want_probs = (impl->caps & MHA_CAP_PROBS) != 0;
    mha_layer_args a = {.batch = B, .seq_len = S, .x = x, .y = y_ok, .causal = 1,
                        .probs = want_probs ? probs_ok : NULL, .threads = THREADS};
    /* the first call starts the thread pool */
    CHECK(mha_layer_forward(impl, w, &a) == MHA_OK, "layer %s: %s", impl->name, mha_last_error());

    a.y = y;
    a.probs = want_probs ? probs : NULL;
    const long before = alloc_limit_calls();
    CHECK(mha_layer_forward(impl, w, &a) == MHA_OK, "layer %s: %s", impl->name, mha_last_error());
    const long calls = alloc_limit_calls() - before;
    CHECK(calls == 1, "layer %s: %ld allocations in one call, expected 1", impl->name, calls);

    memset(y, CANARY, ybytes);
    memset(probs, CANARY, pbytes);
    alloc_limit_fail_next();
    const mha_status st = mha_layer_forward(impl, w, &a);
    CHECK(st == MHA_ERR_OUT_OF_MEMORY && strstr(mha_last_error(), "could not be allocated") &&
              strstr(mha_last_error(), impl->name),
          "layer %s, allocation failed: status %s, message '%s' (expected MHA_ERR_OUT_OF_MEMORY naming the "
          "implementation and the bytes)", impl->name, mha_status_str(st), mha_last_error());
    CHECK(untouched(y, ybytes) && untouched(probs, pbytes), "layer %s, allocation failed: output written",
          impl->name);

    CHECK(mha_layer_forward(impl, w, &a) == MHA_OK, "layer %s after a failure: %s", impl->name, mha_last_error());
    CHECK(memcmp(y, y_ok, ybytes) == 0 && (!want_probs || memcmp(probs, probs_ok, pbytes) == 0),
          "layer %s after a failure: other bits than before", impl->name);
    free(y), free(y_ok), free(probs), free(probs_ok);
}

/* An attention call without a caller workspace allocates one: its failure is reported the same way. */
static void attention(const mha_impl *impl, const float *x)
{
    const mha_shape shape = {B, H, HKV, S, S, D / H};
    const size_t obytes = (size_t)B * S * D * sizeof(float);
    float *out = malloc(obytes), *q = (float *)x;
    mha_args a = mha_args_bshd(shape, q, q, q, out);
    a.k_strides = a.v_strides = mha_strides_bshd(S, H, D / H); /* K and V: the first HKV heads of x */
    a.threads = THREADS;
    if (mha_workspace_size(impl, &a) == 0) {
        free(out);
        return;
    }
    memset(out, CANARY, obytes);
    alloc_limit_fail_next();
    const mha_status st = mha_attention(impl, &a);
    CHECK(st == MHA_ERR_OUT_OF_MEMORY && strstr(mha_last_error(), impl->name),
          "attention %s, allocation failed: status %s, message '%s'", impl->name, mha_status_str(st),
          mha_last_error());
    CHECK(untouched(out, obytes), "attention %s, allocation failed: output written", impl->name);
    free(out);
}

int main(void)
{
    float *wq = filled(D * D, 1), *wk = filled(D * DKV, 2), *wv = filled(D * DKV, 3), *wo = filled(D * D, 4);
    float *x = filled((size_t)B * S * D, 5);
    const mha_layer w = {D, H, HKV, wq, wk, wv, wo};
    int ran = 0;
    for (size_t i = 0; i < mha_impl_count(); i++) {
        const mha_impl *impl = mha_impl_get(i);
        char why[160];
        if (!mha_impl_runnable(impl, why, sizeof why)) {
            printf("SKIP %s: %s\n", impl->name, why);
            continue;
        }
        if (impl->dtypes && !(impl->dtypes & MHA_IO_F32)) { /* the layer is fp32 */
            printf("SKIP %s: computes no fp32 attention\n", impl->name);
            continue;
        }
        layer(impl, &w, x);
        attention(impl, x);
        ran++;
    }
    CHECK(ran > 0, "no implementation runs here");
    free(wq), free(wk), free(wv), free(wo), free(x);
    return check_summary();
}
