/* Status texts and the per-thread message of the last failed call. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[512];
/* Set by mha_impl_fail() during an attention call, returned by mha_attention(). */
static _Thread_local mha_status impl_failure;

const char *mha_status_str(mha_status status)
{
    switch (status) {
    case MHA_OK: return "ok";
    case MHA_ERR_NULL_POINTER: return "required pointer is NULL";
    case MHA_ERR_BAD_DIMENSION: return "dimension must be positive";
    case MHA_ERR_HEAD_RATIO: return "heads not divisible by kv_heads";
    case MHA_ERR_BAD_STRIDE: return "invalid stride";
    case MHA_ERR_SIZE_OVERFLOW: return "size overflows size_t";
    case MHA_ERR_BAD_SCALE: return "scale is not finite";
    case MHA_ERR_BAD_THREADS: return "thread count is negative";
    case MHA_ERR_OVERLAP: return "output overlaps another buffer";
    case MHA_ERR_UNSUPPORTED: return "capability not supported by implementation";
    case MHA_ERR_CPU_FEATURES: return "CPU lacks the implementation's features";
    case MHA_ERR_WORKSPACE_TOO_SMALL: return "workspace too small";
    case MHA_ERR_OUT_OF_MEMORY: return "out of memory";
    case MHA_ERR_ABI_MISMATCH: return "implementation ABI version mismatch";
    case MHA_ERR_BAD_DESCRIPTOR: return "implementation descriptor incomplete";
    case MHA_ERR_IMPL_FAILED: return "implementation reported a failure";
    case MHA_ERR_BAD_DTYPE: return "unsupported dtype or dtype combination";
    case MHA_STATUS_COUNT: break;
    }
    return "unknown status";
}

const char *mha_last_error(void)
{
    return last_error;
}

mha_status mha_fail(mha_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

void mha_impl_fail(mha_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    impl_failure = status;
}

mha_status mha_impl_failure_take(void)
{
    mha_status st = impl_failure;
    impl_failure = MHA_OK;
    return st;
}
