/* pthread_create that fails once a limit is spent (see thread_limit.h). */
#define _GNU_SOURCE /* RTLD_NEXT */
#include "thread_limit.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef int create_fn(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static _Atomic int left = -1;
static _Atomic int created;

void thread_limit_set(int n)
{
    atomic_store(&left, n);
}

int thread_limit_created(void)
{
    return atomic_load(&created);
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg)
{
    int n = atomic_load(&left);
    do {
        if (n == 0)
            return EAGAIN;
    } while (n > 0 && !atomic_compare_exchange_weak(&left, &n, n - 1));
    create_fn *real = (create_fn *)(uintptr_t)dlsym(RTLD_NEXT, "pthread_create");
    const int err = real ? real(thread, attr, start, arg) : EAGAIN;
    if (err == 0)
        atomic_fetch_add(&created, 1);
    return err;
}
