/*
 * mha_parallel_for (parallel.h) on POSIX threads.
 *
 * A persistent pool: threads are created on first need, grown to the most
 * any loop has used, and wait on a condition variable between loops.
 * Waiting threads (a pool thread between loops, the caller for the pool's
 * threads to finish) first spin for a few microseconds (SPIN_CHECKS) and
 * only then sleep: a decode call runs loops back to back, and waking a
 * sleeping thread costs tens of microseconds on a virtual machine.
 * One caller at a time owns the pool (pool.owner); a loop started while
 * another one owns it (a second application thread, or a loop inside a
 * loop) creates its own threads for that loop and joins them.
 * After fork() the child starts with an empty pool (its threads were not
 * copied); the library's destructor stops the pool's threads so that
 * dlclose() leaves none behind running unmapped code.
 */
#include "parallel.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Checks of a flag before sleeping: about 20-50 us with the CPU's pause between them. */
#define SPIN_CHECKS 2000

static inline void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

typedef struct job {
    mha_parallel_fn *fn;
    void *ctx;
    int64_t items, chunk;
    _Atomic int64_t next; /* first item not yet taken */
    int workers;          /* ids 0 .. workers - 1 take part */
} job;

static void run_job(job *j, int worker)
{
    for (;;) {
        const int64_t begin = atomic_fetch_add_explicit(&j->next, j->chunk, memory_order_relaxed);
        if (begin >= j->items)
            return;
        const int64_t end = j->items - begin < j->chunk ? j->items : begin + j->chunk;
        j->fn(j->ctx, begin, end, worker);
    }
}

/*
 * Creates a thread running start(arg) with every signal blocked, so that
 * signals sent to the process go to the application's own threads.
 */
static int spawn(pthread_t *tid, void *(*start)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    const int err = pthread_create(tid, NULL, start, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return err;
}

/* ---- threads for one loop (the pool is owned by someone else) ---- */

typedef struct helper {
    job *j;
    int worker;
    pthread_t tid;
} helper;

static void *helper_main(void *arg)
{
    helper *h = arg;
    run_job(h->j, h->worker);
    return NULL;
}

static int run_with_own_threads(job *j, int threads)
{
    helper *h = malloc((size_t)(threads - 1) * sizeof *h);
    int started = 0;
    if (h) {
        while (started < threads - 1) {
            h[started] = (helper){j, started + 1, 0};
            if (spawn(&h[started].tid, helper_main, &h[started]) != 0)
                break;
            started++;
        }
    }
    run_job(j, 0);
    for (int i = 0; i < started; i++)
        pthread_join(h[i].tid, NULL);
    free(h);
    return started + 1;
}

/* ---- the persistent pool ---- */

static struct {
    pthread_mutex_t owner; /* held by the caller whose loop the pool runs */
    pthread_mutex_t lock;  /* guards everything below */
    pthread_cond_t wake;   /* generation changed, or quit */
    pthread_cond_t done;   /* pending reached 0 */
    pthread_t *tid;        /* the pool's threads: worker ids 1 .. size */
    int size, capacity;
    _Atomic unsigned long generation; /* one more for every loop handed out (written under lock) */
    job *job;
    _Atomic int pending; /* pool threads still working on job */
    int quit;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0, NULL, 0, 0};

static pthread_once_t fork_handler_once = PTHREAD_ONCE_INIT;

/* A pool thread's id and the generation it was created in. */
typedef struct pool_start {
    int worker;
    unsigned long generation;
} pool_start;

static void *pool_main(void *arg)
{
    const pool_start start = *(pool_start *)arg;
    free(arg);
    unsigned long seen = start.generation;
    for (;;) {
        for (int i = 0; i < SPIN_CHECKS && atomic_load(&pool.generation) == seen; i++)
            cpu_pause();
        pthread_mutex_lock(&pool.lock);
        while (!pool.quit && atomic_load(&pool.generation) == seen)
            pthread_cond_wait(&pool.wake, &pool.lock);
        if (pool.quit)
            break;
        seen = atomic_load(&pool.generation);
        job *j = pool.job;
        /* not needed for this loop, or woken after it ended (j may be gone once unlocked) */
        const int take = j && start.worker < j->workers;
        pthread_mutex_unlock(&pool.lock);
        if (!take)
            continue;
        run_job(j, start.worker);
        if (atomic_fetch_sub(&pool.pending, 1) == 1) {
            /* under the lock: the caller may be between its check and its wait */
            pthread_mutex_lock(&pool.lock);
            pthread_cond_signal(&pool.done);
            pthread_mutex_unlock(&pool.lock);
        }
    }
    pthread_mutex_unlock(&pool.lock);
    return NULL;
}

/* In a forked child: the pool's threads were not copied; start empty. */
static void forget_pool_in_child(void)
{
    pool.owner = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    pool.lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    pool.wake = (pthread_cond_t)PTHREAD_COND_INITIALIZER;
    pool.done = (pthread_cond_t)PTHREAD_COND_INITIALIZER;
    free(pool.tid); /* the parent's thread ids: none of them exists here */
    pool.tid = NULL;
    pool.size = pool.capacity = 0;
    pool.job = NULL;
    pool.pending = 0;
    pool.quit = 0;
}

static void register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, forget_pool_in_child);
}

/* Grows the pool towards `want` threads; called with lock held and no job out. */
static void grow(int want)
{
    if (want > pool.capacity) {
        pthread_t *t = realloc(pool.tid, (size_t)want * sizeof *t);
        if (!t)
            return;
        pool.tid = t;
        pool.capacity = want;
    }
    while (pool.size < want) {
        pool_start *s = malloc(sizeof *s);
        if (!s)
            return;
        *s = (pool_start){pool.size + 1, atomic_load(&pool.generation)};
        if (spawn(&pool.tid[pool.size], pool_main, s) != 0) {
            free(s);
            return;
        }
        pool.size++;
    }
}

static int run_on_pool(job *j, int threads)
{
    pthread_once(&fork_handler_once, register_fork_handler);
    pthread_mutex_lock(&pool.lock);
    grow(threads - 1);
    j->workers = pool.size < threads - 1 ? pool.size + 1 : threads;
    if (j->workers > 1) {
        pool.job = j;
        atomic_store(&pool.pending, j->workers - 1);
        atomic_fetch_add(&pool.generation, 1);
        pthread_cond_broadcast(&pool.wake);
    }
    pthread_mutex_unlock(&pool.lock);

    run_job(j, 0);

    for (int i = 0; i < SPIN_CHECKS && atomic_load(&pool.pending) > 0; i++)
        cpu_pause();
    pthread_mutex_lock(&pool.lock);
    while (atomic_load(&pool.pending) > 0)
        pthread_cond_wait(&pool.done, &pool.lock);
    pool.job = NULL;
    pthread_mutex_unlock(&pool.lock);
    return j->workers;
}

int mha_parallel_for(int threads, int64_t items, int64_t chunk, mha_parallel_fn *fn, void *ctx)
{
    if (items <= 0)
        return 1;
    if (threads < 1)
        threads = 1;
    if (threads > items)
        threads = (int)items;
    if (chunk <= 0)
        chunk = (items + threads - 1) / threads;
    job j = {fn, ctx, items, chunk, 0, 1};
    if (threads == 1) {
        fn(ctx, 0, items, 0);
        return 1;
    }
    if (pthread_mutex_trylock(&pool.owner) != 0)
        return run_with_own_threads(&j, threads);
    const int workers = run_on_pool(&j, threads);
    pthread_mutex_unlock(&pool.owner);
    return workers;
}

int mha_parallel_pool_threads(void)
{
    pthread_mutex_lock(&pool.lock);
    const int n = pool.size;
    pthread_mutex_unlock(&pool.lock);
    return n;
}

/* At exit and at dlclose(): wake the pool's threads, let them end, join them. */
__attribute__((destructor)) static void stop_pool(void)
{
    if (pthread_mutex_trylock(&pool.owner) != 0)
        return; /* a loop is running on another thread: leave the pool to it */
    pthread_mutex_lock(&pool.lock);
    pool.quit = 1;
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
    for (int i = 0; i < pool.size; i++)
        pthread_join(pool.tid[i], NULL);
    free(pool.tid);
    pool.tid = NULL;
    pool.size = pool.capacity = 0;
    pool.quit = 0;
    pthread_mutex_unlock(&pool.owner);
}
