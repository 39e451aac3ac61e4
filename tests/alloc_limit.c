/* aligned_alloc that fails on demand (see alloc_limit.h). */
#define _GNU_SOURCE /* RTLD_NEXT */
#include "alloc_limit.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

typedef void *aligned_alloc_fn(size_t alignment, size_t size);

static _Atomic int fail_next;
static _Atomic long calls;

void alloc_limit_fail_next(void)
{
    atomic_store(&fail_next, 1);
}

long alloc_limit_calls(void)
{
    return atomic_load(&calls);
}

void *aligned_alloc(size_t alignment, size_t size)
{
    atomic_fetch_add(&calls, 1);
    if (atomic_exchange(&fail_next, 0)) {
        errno = ENOMEM;
        return NULL;
    }
    aligned_alloc_fn *real = (aligned_alloc_fn *)(uintptr_t)dlsym(RTLD_NEXT, "aligned_alloc");
    return real ? real(alignment, size) : NULL;
}
