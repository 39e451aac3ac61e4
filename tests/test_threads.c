/*
 * The library's threads (impl/core/parallel.c) under failure and misuse.
 * One mode per run, each in a fresh process (the pool lives as long as
 * the process):
 *   loop     mha_parallel_for: every item once, worker ids below the
 *            threads used, never more threads than items, a loop inside
 *            a loop, thread creation failing part way.
 *   inject   every implementation (and the layer) with 7 threads when only
 *            0, then 2, of the 6 helper threads can be created: MHA_OK and
 *            the bits of the 1-thread run.
 *   bounded  threads = 4096 on an 8 x 8 problem: at most 7 helper threads
 *            are ever created and the workspace is that of 8 threads.
 *   same     determinism: 1, 2, 3 and 7 threads give the same bits.
 *   nproc    the kernel's limit: RLIMIT_NPROC 1, then 3 (as nobody when
 *            run as root, whose CAP_SYS_RESOURCE ignores it), threads = 100.
 * Thread creation failure is injected by this program's own
 * pthread_create, which the library's calls bind to (see thread_limit.h).
 */
#include "thread_limit.h"

#include "check.h"
#include "mha.h"
#include "parallel.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- mode loop ---- */

typedef struct loop_ctx {
    _Atomic int *seen; /* times each item ran */
    _Atomic int max_worker;
    int nested_threads; /* >0: each range also runs a loop of that many threads */
    _Atomic int nested_workers; /* summed over the nested loops */
    _Atomic int nested_bad;     /* nested loops that missed or repeated an item */
} loop_ctx;

static void count_range(void *ctx, int64_t begin, int64_t end, int worker)
{
    loop_ctx *c = ctx;
    for (int64_t i = begin; i < end; i++)
        atomic_fetch_add(&c->seen[i], 1);
    int m = atomic_load(&c->max_worker);
    while (worker > m && !atomic_compare_exchange_weak(&c->max_worker, &m, worker))
        ;
    if (c->nested_threads > 0) {
        _Atomic int inner[64] = {0};
        loop_ctx n = {inner, 0, 0, 0, 0};
        atomic_fetch_add(&c->nested_workers, mha_parallel_for(c->nested_threads, 64, 1, count_range, &n));
        int once = 1;
        for (int i = 0; i < 64; i++)
            once &= atomic_load(&inner[i]) == 1;
        atomic_fetch_add(&c->nested_bad, !once);
    }
}

/* One loop; checks coverage and worker ids, returns the threads used. */
static int run_loop(int threads, int64_t items, int64_t chunk, int nested)
{
    _Atomic int *seen = calloc((size_t)(items > 0 ? items : 1), sizeof *seen);
    loop_ctx c = {seen, -1, nested, 0, 0};
    const int used = mha_parallel_for(threads, items, chunk, count_range, &c);
    CHECK(atomic_load(&c.nested_bad) == 0, "%d nested loops did not run every item exactly once",
          atomic_load(&c.nested_bad));
    int64_t bad = 0;
    for (int64_t i = 0; i < items; i++)
        bad += atomic_load(&seen[i]) != 1;
    const int64_t cap = items < threads ? items : threads;
    CHECK(bad == 0, "threads %d items %lld chunk %lld: %lld items not run exactly once", threads,
          (long long)items, (long long)chunk, (long long)bad);
    CHECK(used >= 1 && used <= (cap > 1 ? cap : 1), "threads %d items %lld: %d threads used", threads,
          (long long)items, used);
    CHECK(atomic_load(&c.max_worker) < used, "threads %d items %lld: worker id %d with %d threads used", threads,
          (long long)items, atomic_load(&c.max_worker), used);
    free(seen);
    return used;
}

/* An application thread running 200 loops; counts the loops that missed or repeated an item. */
static void *app_thread(void *arg)
{
    _Atomic int *bad = arg;
    for (int r = 0; r < 200; r++) {
        _Atomic int seen[50] = {0};
        loop_ctx c = {seen, -1, 0, 0, 0};
        const int used = mha_parallel_for(3, 50, 1 + r % 4, count_range, &c);
        int ok = used >= 1 && used <= 3 && atomic_load(&c.max_worker) < used;
        for (int i = 0; i < 50; i++)
            ok &= atomic_load(&seen[i]) == 1;
        atomic_fetch_add(bad, !ok);
    }
    return NULL;
}

static void mode_loop(void)
{
    const int before = thread_limit_created(); /* OpenBLAS may start threads as it loads */
    thread_limit_set(0);
    CHECK(run_loop(8, 1000, 1, 0) == 1, "no thread can be created: the caller alone runs the loop");
    CHECK(mha_parallel_pool_threads() == 0, "pool holds %d threads, none could be created",
          mha_parallel_pool_threads());
    thread_limit_set(2);
    CHECK(run_loop(8, 1000, MHA_PARALLEL_BLOCKS, 0) == 3, "2 helpers created: 3 threads");
    CHECK(run_loop(2, 1000, 7, 0) == 2, "the pool is reused for a smaller loop");
    CHECK(thread_limit_created() - before == 2, "%d threads created, expected 2", thread_limit_created() - before);
    thread_limit_set(-1);
    CHECK(run_loop(100, 5, 1, 0) == 5, "never more threads than items");
    CHECK(mha_parallel_pool_threads() == 4, "pool holds %d threads after a 5-item loop", mha_parallel_pool_threads());
    run_loop(3, 0, 1, 0);
    run_loop(3, 1, 1, 0);
    /*
     * Loops inside the 2 ranges of a 2-thread loop cannot use the busy
     * pool: they create their own threads, 1 between them here, so one
     * runs on 2 threads and the other alone.
     */
    thread_limit_set(1);
    _Atomic int seen[2] = {0};
    loop_ctx c = {seen, -1, 4, 0, 0};
    mha_parallel_for(2, 2, 1, count_range, &c);
    CHECK(atomic_load(&c.nested_workers) == 3, "2 nested loops, 1 creatable thread: %d threads in all",
          atomic_load(&c.nested_workers));
    thread_limit_set(-1);
    run_loop(4, 64, 1, 3);

    /* two application threads at once: one has the pool, the other its own threads */
    _Atomic int bad = 0;
    pthread_t app[2];
    int started = 0;
    for (int i = 0; i < 2; i++)
        started += pthread_create(&app[i], NULL, app_thread, &bad) == 0;
    for (int i = 0; i < started; i++)
        pthread_join(app[i], NULL);
    CHECK(started == 2, "could not start 2 application threads");
    CHECK(atomic_load(&bad) == 0, "%d of 400 concurrent loops went wrong", atomic_load(&bad));

    /*
     * fork() with a pool: the child has none of its threads and starts its
     * own. Not under an emulator: qemu-user 7.2 aborts (assertion in
     * qemu_plugin_vcpu_init_hook) when the child of a multi-threaded
     * process creates a thread.
     */
    if (*exe_wrapper()) {
        SKIP("fork with a pool: under %s", exe_wrapper());
        return;
    }
    fflush(NULL);
    const pid_t pid = fork();
    if (pid == 0) {
        const int before_child = mha_parallel_pool_threads();
        _Atomic int bad_child = 0;
        app_thread(&bad_child);
        _exit(before_child == 0 && atomic_load(&bad_child) == 0 && mha_parallel_pool_threads() == 2 ? 0 : 1);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "forked child: loops on a pool of its own failed (status %#x)", status);
}

/* ---- attention over every implementation ---- */

enum { NSHAPES = 4 };

typedef struct problem {
    mha_shape shape;
    int causal, probs;
} problem;

static const problem problems[NSHAPES] = {
    {{2, 4, 2, 37, 53, 24}, 1, 1},   /* GQA, causal, probabilities */
    {{1, 2, 1, 300, 64, 32}, 0, 0},  /* fewer heads than threads: row chunks */
    {{2, 8, 2, 1, 4096, 64}, 0, 0},  /* decode: key splits */
    {{1, 3, 3, 8, 200, 16}, 1, 0},
};

typedef struct tensors {
    float *q, *k, *v, *out, *probs;
    size_t nq, nk, np;
} tensors;

static float *filled(size_t n, uint64_t seed)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        x[i] = (float)((seed >> 40) & 0xffff) / 32768.0f - 1.0f;
    }
    return x;
}

static tensors make(const mha_shape *s)
{
    tensors t;
    t.nq = (size_t)(s->batch * s->q_len * s->heads * s->head_dim);
    t.nk = (size_t)(s->batch * s->kv_len * s->kv_heads * s->head_dim);
    t.np = (size_t)(s->batch * s->heads * s->q_len * s->kv_len);
    t.q = filled(t.nq, 1);
    t.k = filled(t.nk, 2);
    t.v = filled(t.nk, 3);
    t.out = malloc(t.nq * sizeof(float));
    t.probs = malloc(t.np * sizeof(float));
    return t;
}

static void release(tensors *t)
{
    free(t->q), free(t->k), free(t->v), free(t->out), free(t->probs);
}

/* Runs impl on problem p with `threads`; copies out (and probs) into dst. */
static mha_status attend(const mha_impl *impl, const problem *p, tensors *t, int threads, float *dst)
{
    mha_args a = mha_args_bshd(p->shape, t->q, t->k, t->v, t->out);
    a.causal = p->causal;
    a.probs = p->probs ? t->probs : NULL;
    a.threads = threads;
    const mha_status st = mha_attention(impl, &a);
    memcpy(dst, t->out, t->nq * sizeof(float));
    if (p->probs)
        memcpy(dst + t->nq, t->probs, t->np * sizeof(float));
    return st;
}

/* Whether impl runs this test's fp32 calls here (a bf16-only variant declares no fp32). */
static int runs_fp32(const mha_impl *impl)
{
    return mha_impl_runnable(impl, NULL, 0) && (!impl->dtypes || (impl->dtypes & MHA_IO_F32));
}

/* The runnable implementations that promise the same bits for every thread count. */
static int usable(const mha_impl *impl, const problem *p)
{
    if (!runs_fp32(impl) || !(impl->caps & MHA_CAP_DETERMINISTIC))
        return 0;
    return !p->probs || (impl->caps & MHA_CAP_PROBS);
}

/*
 * Every usable implementation on every problem with each thread count in
 * counts: MHA_OK and the bits of its 1-thread run.
 */
static void same_bits(const int *counts, int ncounts, const char *when)
{
    for (int pi = 0; pi < NSHAPES; pi++) {
        const problem *p = &problems[pi];
        tensors t = make(&p->shape);
        const size_t n = t.nq + (p->probs ? t.np : 0);
        float *one = malloc(n * sizeof(float)), *many = malloc(n * sizeof(float));
        for (size_t i = 0; i < mha_impl_count(); i++) {
            const mha_impl *impl = mha_impl_get(i);
            if (!usable(impl, p))
                continue;
            CHECK(attend(impl, p, &t, 1, one) == MHA_OK, "%s problem %d, 1 thread: %s", impl->name, pi,
                  mha_last_error());
            for (int c = 0; c < ncounts; c++) {
                const mha_status st = attend(impl, p, &t, counts[c], many);
                CHECK(st == MHA_OK, "%s problem %d, %d threads %s: %s", impl->name, pi, counts[c], when,
                      mha_last_error());
                CHECK(memcmp(one, many, n * sizeof(float)) == 0,
                      "%s problem %d: %d threads %s differ from 1 thread", impl->name, pi, counts[c], when);
            }
        }
        free(one), free(many);
        release(&t);
    }
}

/* The layer (its matmuls are threaded too): 1 thread vs `threads`, every implementation's matmul. */
static void layer_same_bits(int threads, const char *when)
{
    enum { S = 300, D = 64, H = 4 };
    float *w = filled(4 * D * D, 9), *x = filled(S * D, 10);
    float *y1 = malloc(S * D * sizeof(float)), *yn = malloc(S * D * sizeof(float));
    const mha_layer layer = {D, H, H, w, w + D * D, w + 2 * D * D, w + 3 * D * D};
    for (size_t i = 0; i < mha_impl_count(); i++) {
        const mha_impl *impl = mha_impl_get(i);
        if (!runs_fp32(impl) || !(impl->caps & MHA_CAP_DETERMINISTIC))
            continue;
        mha_layer_args a = {.batch = 1, .seq_len = S, .x = x, .y = y1, .causal = 1, .threads = 1};
        CHECK(mha_layer_forward(impl, &layer, &a) == MHA_OK, "layer %s: %s", impl->name, mha_last_error());
        a.y = yn;
        a.threads = threads;
        CHECK(mha_layer_forward(impl, &layer, &a) == MHA_OK, "layer %s, %d threads %s: %s", impl->name, threads,
              when, mha_last_error());
        CHECK(memcmp(y1, yn, S * D * sizeof(float)) == 0, "layer %s: %d threads %s differ from 1 thread",
              impl->name, threads, when);
    }
    free(w), free(x), free(y1), free(yn);
}

static void mode_inject(void)
{
    static const int seven[] = {7};
    thread_limit_set(0);
    same_bits(seven, 1, "(no thread can be created)");
    layer_same_bits(7, "(no thread can be created)");
    CHECK(mha_parallel_pool_threads() == 0, "pool holds %d threads", mha_parallel_pool_threads());
    thread_limit_set(2);
    same_bits(seven, 1, "(2 of 6 threads created)");
    layer_same_bits(7, "(2 of 6 threads created)");
    CHECK(mha_parallel_pool_threads() == 2, "pool holds %d threads, expected the 2 created",
          mha_parallel_pool_threads());
}

static void mode_same(void)
{
    static const int counts[] = {2, 3, 7};
    same_bits(counts, 3, "");
    for (int c = 0; c < 3; c++)
        layer_same_bits(counts[c], "");
}

static void mode_bounded(void)
{
    const int before = thread_limit_created(); /* OpenBLAS may start threads as it loads */
    const problem p = {{1, 1, 1, 8, 8, 8}, 0, 0};
    tensors t = make(&p.shape);
    float *dst = malloc(t.nq * sizeof(float));
    for (size_t i = 0; i < mha_impl_count(); i++) {
        const mha_impl *impl = mha_impl_get(i);
        if (!runs_fp32(impl))
            continue;
        CHECK(attend(impl, &p, &t, 4096, dst) == MHA_OK, "%s: %s", impl->name, mha_last_error());
        mha_args a = mha_args_bshd(p.shape, t.q, t.k, t.v, t.out);
        a.threads = 4096;
        const size_t ws_many = mha_workspace_size(impl, &a);
        a.threads = 8;
        CHECK(ws_many == mha_workspace_size(impl, &a), "%s: workspace for 4096 threads %zu, for 8 threads %zu",
              impl->name, ws_many, mha_workspace_size(impl, &a));
    }
    double *ref = malloc(t.nq * sizeof(double));
    mha_args a = mha_args_bshd(p.shape, t.q, t.k, t.v, t.out);
    a.threads = 4096;
    CHECK(mha_reference(&a, ref, NULL) == MHA_OK, "reference: %s", mha_last_error());
    /* 8 query rows: at most 8 threads, the caller and 7 helpers */
    CHECK(thread_limit_created() - before <= 7, "%d threads created for 8 rows", thread_limit_created() - before);
    CHECK(mha_parallel_pool_threads() <= 7, "pool holds %d threads for 8 rows", mha_parallel_pool_threads());
    free(ref), free(dst);
    release(&t);
}

/* ---- mode nproc: the kernel refuses the threads ---- */

static void *nothing(void *arg)
{
    return arg;
}

/*
 * Limits this process, drops root, runs; returns the exit status (77:
 * skipped). In this process, not a forked child: after fork() OpenBLAS
 * restarts its own threads on first use and, when it cannot, raises
 * SIGINT (OpenBLAS's behaviour, see docs/interface.md, "Threads").
 */
static int mode_nproc(void)
{
    static const int hundred[] = {100};
    struct rlimit lim = {1, 3};
    if (setrlimit(RLIMIT_NPROC, &lim) != 0) {
        SKIP("setrlimit(RLIMIT_NPROC): %s", strerror(errno));
        return 77;
    }
    if (getuid() == 0 && (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)) {
        SKIP("cannot become nobody (uid 65534): %s", strerror(errno));
        return 77;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) == 0) {
        pthread_join(t, NULL);
        SKIP("RLIMIT_NPROC 1 does not stop thread creation here (CAP_SYS_RESOURCE?)");
        return 77;
    }
    same_bits(hundred, 1, "(RLIMIT_NPROC 1)");
    layer_same_bits(100, "(RLIMIT_NPROC 1)");
    CHECK(mha_parallel_pool_threads() == 0, "pool holds %d threads under RLIMIT_NPROC 1",
          mha_parallel_pool_threads());
    lim.rlim_cur = 3; /* up to 2 more threads, fewer if nobody runs other processes */
    CHECK(setrlimit(RLIMIT_NPROC, &lim) == 0, "raising RLIMIT_NPROC to 3: %s", strerror(errno));
    same_bits(hundred, 1, "(RLIMIT_NPROC 3)");
    CHECK(mha_parallel_pool_threads() <= 2, "pool holds %d threads under RLIMIT_NPROC 3",
          mha_parallel_pool_threads());
    return check_summary();
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "loop") == 0)
        mode_loop();
    else if (strcmp(mode, "inject") == 0)
        mode_inject();
    else if (strcmp(mode, "bounded") == 0)
        mode_bounded();
    else if (strcmp(mode, "same") == 0)
        mode_same();
    else if (strcmp(mode, "nproc") == 0) {
        const int status = mode_nproc();
        fflush(NULL);
        _exit(status); /* no exit-time leak check: it needs a thread, which the limit forbids */
    }
    else {
        fprintf(stderr, "usage: test_threads loop|inject|bounded|same|nproc\n");
        return 2;
    }
    return check_summary();
}
