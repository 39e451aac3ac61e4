/* See timed_call.h. */
#include "timed_call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

mha_args dense_args(int64_t h, int64_t hkv, int64_t sq, int64_t skv, int64_t dh, void *q, void *k, void *v,
                    void *out)
{
    mha_args a;
    memset(&a, 0, sizeof a);
    a.shape = (mha_shape){1, h, hkv, sq, skv, dh};
    a.q = q;
    a.k = k;
    a.v = v;
    a.out = out;
    a.q_strides = a.out_strides = mha_strides_bshd(sq, h, dh);
    a.k_strides = a.v_strides = mha_strides_bshd(skv, hkv, dh);
    return a;
}

void *dtype_copy(const float *x, size_t n, mha_dtype dtype)
{
    void *dst = malloc(n * mha_dtype_size(dtype));
    if (!dst) {
        fprintf(stderr, "out of memory: %zu %s elements\n", n, mha_dtype_name(dtype));
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        if (dtype == MHA_F32)
            ((float *)dst)[i] = x[i];
        else
            ((uint16_t *)dst)[i] = dtype == MHA_BF16 ? mha_f32_to_bf16(x[i]) : mha_f32_to_f16(x[i]);
    }
    return dst;
}

void attach_workspace(const mha_impl *impl, mha_args *a, const char *what)
{
    if (mha_validate(impl, a) != MHA_OK) {
        fprintf(stderr, "%s: %s\n", what, mha_last_error());
        exit(1);
    }
    a->workspace_bytes = mha_workspace_size(impl, a);
    a->workspace = malloc(a->workspace_bytes ? a->workspace_bytes : 1);
    if (!a->workspace) {
        fprintf(stderr, "%s: no memory for a workspace of %zu bytes\n", what, a->workspace_bytes);
        exit(1);
    }
}

call_time time_call(const mha_impl *impl, const mha_args *a, const char *what)
{
    const double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    const mha_status st = mha_attention(impl, a);
    const call_time t = {clock_s(CLOCK_MONOTONIC) - t0, clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0};
    if (st != MHA_OK) {
        fprintf(stderr, "%s: %s\n", what, mha_last_error());
        exit(1);
    }
    return t;
}

double wall_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

double load_average(void)
{
    double load[1];
    return getloadavg(load, 1) == 1 ? load[0] : -1.0;
}
