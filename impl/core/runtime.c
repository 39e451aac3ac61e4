/* Thread counts, scale defaults and aligned allocation. */
#include "internal.h"

#include <stdlib.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

int mha_resolve_threads(int requested)
{
    if (requested > 0)
        return requested;
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
#endif
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
