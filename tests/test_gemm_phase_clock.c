/*
 * The GEMM path's phase clock (impl/gemm/gemm_phase_clock.h) on every
 * implementation of algorithm "gemm" in this build:
 *   - the output with the clock on is the same bits as with it off;
 *   - each worker's entry counts the row blocks it computed: over the
 *     workers, B * H * ceil(Sq / MHA_GEMM_ROW_BLOCK) blocks per call
 *     (ceil per row chunk when a head is cut into chunks), summed over
 *     the calls made while the clock was set;
 *   - workers = the threads mha_gemm_split_work gives the call;
 *   - no phase time is negative and none is timed without the clock, nor
 *     from another thread than the one that set it (the clock is per thread);
 *   - a clock with fewer entries than the call's workers is left untouched
 *     (workers 0).
 * No timing is checked: only the counts and the bits.
 */
#include "mha.h"
#include "impl/gemm/gemm_head.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static int64_t blocks_per_call(const mha_shape *s, int threads)
{
    const mha_gemm_split w = mha_gemm_split_work(s, threads);
    int64_t per_head = 0;
    for (int64_t c = 0; c < w.chunks; c++) {
        const int64_t r0 = c * w.chunk_rows, r1 = r0 + w.chunk_rows < s->q_len ? r0 + w.chunk_rows : s->q_len;
        per_head += (r1 - r0 + MHA_GEMM_ROW_BLOCK - 1) / MHA_GEMM_ROW_BLOCK;
    }
    return s->batch * s->heads * per_head;
}

typedef struct other_thread {
    const mha_impl *impl;
    mha_args args;
    mha_status st;
} other_thread;

static void *call_elsewhere(void *p)
{
    other_thread *t = p;
    t->st = mha_attention(t->impl, &t->args);
    return NULL;
}

static void check_impl(const mha_impl *impl, const mha_shape *s, int threads, int causal)
{
    const size_t nq = (size_t)(s->batch * s->q_len * s->heads * s->head_dim);
    const size_t nkv = (size_t)(s->batch * s->kv_len * s->kv_heads * s->head_dim);
    float *q = malloc(nq * sizeof *q), *k = malloc(nkv * sizeof *k), *v = malloc(nkv * sizeof *v);
    float *off = malloc(nq * sizeof *off), *on = malloc(nq * sizeof *on);
    mha_rng rng;
    mha_rng_seed(&rng, 7);
    mha_rng_fill(&rng, q, nq, 1.0f);
    mha_rng_fill(&rng, k, nkv, 1.0f);
    mha_rng_fill(&rng, v, nkv, 1.0f);
    mha_args a = mha_args_bshd(*s, q, k, v, off);
    a.threads = threads;
    a.causal = causal;
    CHECK(mha_attention(impl, &a) == MHA_OK, "%s: call without the clock failed", impl->name);

    mha_gemm_phase_times per_worker[8];
    memset(per_worker, 0, sizeof per_worker);
    mha_gemm_phase_clock clock = {per_worker, 8, -1};
    mha_gemm_set_phase_clock(&clock);
    a.out = on;
    const int calls = 3;
    for (int c = 0; c < calls; c++)
        CHECK(mha_attention(impl, &a) == MHA_OK, "%s: call with the clock failed", impl->name);

    /* another thread's call adds nothing: the clock belongs to the thread that set it */
    other_thread t = {impl, a, MHA_OK};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, call_elsewhere, &t) == 0 && pthread_join(th, NULL) == 0 && t.st == MHA_OK,
          "%s: call on another thread failed", impl->name);
    mha_gemm_set_phase_clock(NULL);
    CHECK(mha_attention(impl, &a) == MHA_OK, "%s: call after the clock was stopped failed", impl->name);

    CHECK(memcmp(off, on, nq * sizeof *on) == 0, "%s T%d causal %d: the clock changed the output", impl->name,
          threads, causal);
    const int want_workers = mha_gemm_split_work(s, threads).threads;
    CHECK(clock.workers == want_workers, "%s T%d: workers %d, expected %d", impl->name, threads, clock.workers,
          want_workers);
    int64_t blocks = 0;
    int negative = 0;
    for (int w = 0; w < 8; w++) {
        blocks += per_worker[w].blocks;
        negative |= per_worker[w].scores < 0 || per_worker[w].softmax < 0 || per_worker[w].values < 0;
        if (w >= want_workers)
            CHECK(per_worker[w].blocks == 0, "%s T%d: worker %d beyond the call's %d timed blocks", impl->name,
                  threads, w, want_workers);
    }
    CHECK(!negative, "%s: a negative phase time", impl->name);
    CHECK(blocks == calls * blocks_per_call(s, threads), "%s T%d causal %d: %lld blocks timed, expected %d x %lld",
          impl->name, threads, causal, (long long)blocks, calls, (long long)blocks_per_call(s, threads));

    /* too few entries for the call's workers: nothing is written */
    if (want_workers > 1) {
        mha_gemm_phase_times one[1];
        memset(one, 0, sizeof one);
        mha_gemm_phase_clock small = {one, 1, -1};
        mha_gemm_set_phase_clock(&small);
        CHECK(mha_attention(impl, &a) == MHA_OK, "%s: call with a small clock failed", impl->name);
        mha_gemm_set_phase_clock(NULL);
        CHECK(small.workers == 0 && one[0].blocks == 0, "%s: a clock of 1 entry was used by %d workers",
              impl->name, want_workers);
    }
    free(q), free(k), free(v), free(off), free(on);
}

int main(void)
{
    /* 3 heads, 150 rows: 3 blocks per head (64, 64, 22); with 4 threads each head is cut into 2 chunks of 128 */
    const mha_shape shape = {1, 3, 3, 150, 150, 32};
    const mha_shape gqa = {2, 4, 2, 70, 90, 16};
    int tested = 0;
    for (size_t i = 0; i < mha_impl_count(); i++) {
        const mha_impl *impl = mha_impl_get(i);
        if (strcmp(impl->algorithm, "gemm") != 0 || !mha_impl_runnable(impl, NULL, 0))
            continue;
        for (int threads = 1; threads <= 4; threads += 3)
            for (int causal = 0; causal <= 1; causal++)
                check_impl(impl, &shape, threads, causal);
        check_impl(impl, &gqa, 2, 1);
        tested++;
    }
    CHECK(tested >= 1, "no implementation of the GEMM path in this build (gemm is always built)");
    printf("%d implementations of the GEMM path\n", tested);
    return check_summary();
}
