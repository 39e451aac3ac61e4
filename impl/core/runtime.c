/* Thread counts, scale defaults and aligned allocation. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "internal.h"

#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

int mha_resolve_threads(int requested)
{
    if (requested > 0)
        return requested;
    /* the CPUs this process may run on (taskset, cgroup cpusets), else all online */
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

float mha_resolve_scale(float scale, int64_t head_dim)
{
    if (scale != 0.0f)
        return scale;
    return (float)(1.0 / sqrt((double)head_dim));
}

void *mha_alloc(size_t bytes)
{
    if (bytes == 0)
        return NULL;
    size_t rounded = (bytes + 63) / 64 * 64;
    if (rounded < bytes)
        return NULL;
    return aligned_alloc(64, rounded);
}

void mha_free(void *p)
{
    free(p);
}
