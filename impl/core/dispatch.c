/* Layout helpers and the validated entry point that dispatches to an implementation. */
#include "internal.h"

#include <string.h>

mha_strides mha_strides_bshd(int64_t seq_len, int64_t heads, int64_t head_dim)
{
    mha_strides s = {seq_len * heads * head_dim, heads * head_dim, head_dim};
    return s;
}

mha_strides mha_strides_bhsd(int64_t seq_len, int64_t heads, int64_t head_dim)
{
    mha_strides s = {heads * seq_len * head_dim, head_dim, seq_len * head_dim};
    return s;
}

mha_args mha_args_bshd(mha_shape shape, const float *q, const float *k, const float *v, float *out)
{
    mha_args a;
    memset(&a, 0, sizeof a);
    a.shape = shape;
    a.q = q; a.q_strides = mha_strides_bshd(shape.q_len, shape.heads, shape.head_dim);
    a.k = k; a.k_strides = mha_strides_bshd(shape.kv_len, shape.kv_heads, shape.head_dim);
    a.v = v; a.v_strides = a.k_strides;
    a.out = out; a.out_strides = mha_strides_bshd(shape.q_len, shape.heads, shape.head_dim);
    return a;
}

size_t mha_workspace_size(const mha_impl *impl, const mha_args *args)
{
    if (!impl || !args || !impl->workspace)
        return 0;
    return impl->workspace(&args->shape, mha_resolve_threads(args->threads), args->probs != NULL);
}

mha_status mha_attention(const mha_impl *impl, const mha_args *args)
{
    mha_status st = mha_validate(impl, args);
    if (st != MHA_OK)
        return st;

    mha_args resolved = *args;
    resolved.scale = mha_resolve_scale(args->scale, args->shape.head_dim);
    resolved.threads = mha_resolve_threads(args->threads);

    /* a caller's workspace was checked by mha_validate; otherwise one is allocated here */
    void *workspace = args->workspace, *owned = NULL;
    const size_t need = workspace ? 0 : mha_workspace_size(impl, &resolved);
    if (need > 0) {
        owned = workspace = mha_alloc(need);
        if (!owned)
            return mha_fail(MHA_ERR_OUT_OF_MEMORY, "workspace of %zu bytes for '%s' could not be allocated",
                            need, impl->name);
    }
    resolved.workspace = workspace;
    resolved.workspace_bytes = workspace ? (args->workspace ? args->workspace_bytes : need) : 0;
    mha_impl_failure_take(); /* nothing left over from an earlier call */
    impl->attention(&resolved, workspace);
    mha_free(owned);
    return mha_impl_failure_take();
}
