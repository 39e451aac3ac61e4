/*
 * The one place where arguments are checked before any implementation
 * runs. Rules are checked in a fixed order and the first broken one is
 * reported; nothing is written to the caller's buffers.
 */
#include "internal.h"

#include <stdio.h>

/* One strided tensor described for the size and overlap checks. */
typedef struct view {
    const char *name;
    const void *data;
    int64_t size[4];
    int64_t stride[4];
    size_t elem_bytes; /* mha_dtype_size() of its dtype */
    size_t bytes; /* filled by view_extent */
} view;

/* Byte extent of a view: ((sum (size_i - 1) * stride_i) + 1) * element size, checked. */
static mha_status view_extent(view *v)
{
    uint64_t last = 0;
    for (int d = 0; d < 4; d++) {
        uint64_t term;
        if (__builtin_mul_overflow((uint64_t)(v->size[d] - 1), (uint64_t)v->stride[d], &term) ||
            __builtin_add_overflow(last, term, &last))
            return mha_fail(MHA_ERR_SIZE_OVERFLOW, "%s: element offsets overflow 64 bits", v->name);
    }
    uint64_t bytes;
    if (__builtin_add_overflow(last, 1, &last) ||
        __builtin_mul_overflow(last, (uint64_t)v->elem_bytes, &bytes) ||
        bytes > (uint64_t)PTRDIFF_MAX || bytes > (uint64_t)SIZE_MAX)
        return mha_fail(MHA_ERR_SIZE_OVERFLOW,
                        "%s: view spans %llu elements, more bytes than size_t can address",
                        v->name, (unsigned long long)last);
    v->bytes = (size_t)bytes;
    return MHA_OK;
}

/*
 * An output view must not write any element twice: sorted by stride, each
 * stride must exceed the span of all smaller ones (sizes of 1 ignored).
 */
static mha_status check_no_self_overlap(const view *v)
{
    int order[4], n = 0;
    for (int d = 0; d < 4; d++)
        if (v->size[d] > 1)
            order[n++] = d;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v->stride[order[j]] < v->stride[order[j - 1]]; j--) {
            int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
        }
    int64_t span = 0; /* largest offset reachable by the dims so far */
    for (int i = 0; i < n; i++) {
        int d = order[i];
        if (v->stride[d] <= span)
            return mha_fail(MHA_ERR_BAD_STRIDE,
                            "%s: stride %lld of the axis of size %lld makes elements overlap "
                            "(expected > %lld)", v->name, (long long)v->stride[d],
                            (long long)v->size[d], (long long)span);
        span += (v->size[d] - 1) * v->stride[d];
    }
    return MHA_OK;
}

static int ranges_overlap(const view *a, const view *b)
{
    if (!a->data || !b->data)
        return 0;
    const char *a0 = a->data, *b0 = b->data;
    return a0 < b0 + b->bytes && b0 < a0 + a->bytes;
}

static mha_status check_strides(const char *name, mha_strides s)
{
    if (s.batch < 0 || s.seq < 0 || s.head < 0)
        return mha_fail(MHA_ERR_BAD_STRIDE,
                        "%s strides (batch %lld, seq %lld, head %lld): expected >= 0",
                        name, (long long)s.batch, (long long)s.seq, (long long)s.head);
    return MHA_OK;
}

static view make_view(const char *name, const void *data, mha_dtype dtype, int64_t b, int64_t s,
                      int64_t h, int64_t d, mha_strides st)
{
    view v = {name, data, {b, s, h, d}, {st.batch, st.seq, st.head, 1}, mha_dtype_size(dtype), 0};
    return v;
}

/* Supported combinations as text: "q/k/v fp32 -> out fp32, bf16 -> fp32". */
static const char *combos_text(uint32_t combos, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int in = 0; in < MHA_DTYPE_COUNT; in++)
        for (int out = 0; out < MHA_DTYPE_COUNT; out++) {
            uint32_t bit = mha_dtype_combo((mha_dtype)in, (mha_dtype)out);
            if (!bit || !(combos & bit))
                continue;
            int n = snprintf(buf + used, size - used, "%s%s -> %s%s", used ? ", " : "q/k/v ",
                             mha_dtype_name((mha_dtype)in), used ? "" : "out ", mha_dtype_name((mha_dtype)out));
            if (n < 0 || (size_t)n >= size - used)
                return buf;
            used += (size_t)n;
        }
    return buf;
}

/* dtype and out_dtype are mha_dtype values and form one of the five combinations. */
static mha_status check_dtypes(const mha_args *a)
{
    if ((unsigned)a->dtype >= MHA_DTYPE_COUNT)
        return mha_fail(MHA_ERR_BAD_DTYPE, "dtype = %d: expected MHA_F32 (0), MHA_BF16 (1) or MHA_F16 (2) for q, k, v",
                        (int)a->dtype);
    if ((unsigned)a->out_dtype >= MHA_DTYPE_COUNT)
        return mha_fail(MHA_ERR_BAD_DTYPE, "out_dtype = %d: expected MHA_F32 (0), MHA_BF16 (1) or MHA_F16 (2) for out",
                        (int)a->out_dtype);
    if (!mha_dtype_combo(a->dtype, a->out_dtype))
        return mha_fail(MHA_ERR_BAD_DTYPE, "out_dtype = %s with q/k/v %s: expected out fp32 or %s (the inputs' dtype)",
                        mha_dtype_name(a->out_dtype), mha_dtype_name(a->dtype), mha_dtype_name(a->dtype));
    return MHA_OK;
}

mha_status mha_validate_args(const mha_args *a)
{
    mha_status st;
    if (!a)
        return mha_fail(MHA_ERR_NULL_POINTER, "args is NULL: expected a filled mha_args");

    static const char *const ptr_names[] = {"q", "k", "v", "out"};
    const void *ptrs[] = {a->q, a->k, a->v, a->out};
    for (int i = 0; i < 4; i++)
        if (!ptrs[i])
            return mha_fail(MHA_ERR_NULL_POINTER, "args.%s is NULL: expected a tensor", ptr_names[i]);

    const mha_shape *s = &a->shape;
    static const char *const dim_names[] = {"batch", "heads", "kv_heads", "q_len", "kv_len", "head_dim"};
    const int64_t dims[] = {s->batch, s->heads, s->kv_heads, s->q_len, s->kv_len, s->head_dim};
    for (int i = 0; i < 6; i++)
        if (dims[i] <= 0)
            return mha_fail(MHA_ERR_BAD_DIMENSION, "shape.%s = %lld: expected > 0", dim_names[i],
                            (long long)dims[i]);
    if (s->heads % s->kv_heads != 0)
        return mha_fail(MHA_ERR_HEAD_RATIO,
                        "shape.heads = %lld is not a multiple of shape.kv_heads = %lld "
                        "(expected kv_heads to divide heads: MHA kv_heads = heads, MQA 1, GQA a divisor)",
                        (long long)s->heads, (long long)s->kv_heads);

    if ((st = check_strides("q", a->q_strides)) || (st = check_strides("k", a->k_strides)) ||
        (st = check_strides("v", a->v_strides)) || (st = check_strides("out", a->out_strides)))
        return st;
    if (a->mask && (a->mask_strides.batch < 0 || a->mask_strides.head < 0 || a->mask_strides.row < 0))
        return mha_fail(MHA_ERR_BAD_STRIDE, "mask strides (batch %lld, head %lld, row %lld): expected >= 0",
                        (long long)a->mask_strides.batch, (long long)a->mask_strides.head,
                        (long long)a->mask_strides.row);
    if (!isfinite(a->scale))
        return mha_fail(MHA_ERR_BAD_SCALE, "scale = %g: expected a finite number (0 for 1/sqrt(head_dim))",
                        (double)a->scale);
    if (a->threads < 0)
        return mha_fail(MHA_ERR_BAD_THREADS, "threads = %d: expected >= 0 (0 for all cores)", a->threads);
    if ((st = check_dtypes(a)))
        return st;

    view vq = make_view("q", a->q, a->dtype, s->batch, s->q_len, s->heads, s->head_dim, a->q_strides);
    view vk = make_view("k", a->k, a->dtype, s->batch, s->kv_len, s->kv_heads, s->head_dim, a->k_strides);
    view vv = make_view("v", a->v, a->dtype, s->batch, s->kv_len, s->kv_heads, s->head_dim, a->v_strides);
    view vo = make_view("out", a->out, a->out_dtype, s->batch, s->q_len, s->heads, s->head_dim, a->out_strides);
    mha_strides mst = {a->mask_strides.batch, a->mask_strides.head, a->mask_strides.row};
    view vm = make_view("mask", a->mask, MHA_F32, s->batch, s->heads, s->q_len, s->kv_len, mst);
    /* probs is contiguous [B][H][Sq][Skv]: its element count must fit first. */
    uint64_t probs_elems = 0;
    if (a->probs &&
        (__builtin_mul_overflow((uint64_t)s->q_len, (uint64_t)s->kv_len, &probs_elems) ||
         __builtin_mul_overflow(probs_elems, (uint64_t)s->heads, &probs_elems) ||
         __builtin_mul_overflow(probs_elems, (uint64_t)s->batch, &probs_elems) ||
         probs_elems > (uint64_t)PTRDIFF_MAX / sizeof(float)))
        return mha_fail(MHA_ERR_SIZE_OVERFLOW, "probs: batch*heads*q_len*kv_len elements overflow size_t");
    mha_strides pst = {0, 0, 0};
    if (a->probs)
        pst = (mha_strides){s->heads * s->q_len * s->kv_len, s->q_len * s->kv_len, s->kv_len};
    view vp = make_view("probs", a->probs, MHA_F32, s->batch, s->heads, s->q_len, s->kv_len, pst);

    view *all[] = {&vq, &vk, &vv, &vo, &vm, &vp};
    for (int i = 0; i < 6; i++)
        if (all[i]->data && (st = view_extent(all[i])))
            return st;
    if ((st = check_no_self_overlap(&vo)))
        return st;

    view *outputs[] = {&vo, &vp};
    view *others[] = {&vq, &vk, &vv, &vm, &vp};
    for (int o = 0; o < 2; o++)
        for (int i = 0; i < 5; i++)
            if (outputs[o] != others[i] && ranges_overlap(outputs[o], others[i]))
                return mha_fail(MHA_ERR_OVERLAP, "%s [%p, +%zu bytes) overlaps %s [%p, +%zu bytes): "
                                "expected separate buffers", outputs[o]->name, outputs[o]->data,
                                outputs[o]->bytes, others[i]->name, others[i]->data, others[i]->bytes);
    return MHA_OK;
}

mha_status mha_validate(const mha_impl *impl, const mha_args *a)
{
    mha_status st;
    if (!impl)
        return mha_fail(MHA_ERR_NULL_POINTER, "impl is NULL: expected an implementation from the registry or a port");
    if (!a)
        return mha_fail(MHA_ERR_NULL_POINTER, "args is NULL: expected a filled mha_args");
    if (impl->abi_version != MHA_ABI_VERSION)
        return mha_fail(MHA_ERR_ABI_MISMATCH, "implementation '%s' has ABI version %u, expected %u",
                        impl->name ? impl->name : "?", impl->abi_version, MHA_ABI_VERSION);
    if (!impl->name || !impl->attention)
        return mha_fail(MHA_ERR_BAD_DESCRIPTOR, "implementation descriptor lacks %s",
                        !impl->name ? "a name" : "an attention function");
    if ((st = mha_validate_args(a)) != MHA_OK)
        return st;

    const mha_shape *s = &a->shape;
    if (!(mha_impl_dtypes(impl) & mha_dtype_combo(a->dtype, a->out_dtype))) {
        char combos[160];
        return mha_fail(MHA_ERR_BAD_DTYPE, "%s supports %s; asked q/k/v %s -> out %s", impl->name,
                        combos_text(mha_impl_dtypes(impl), combos, sizeof combos), mha_dtype_name(a->dtype),
                        mha_dtype_name(a->out_dtype));
    }
    if (a->probs && !(impl->caps & MHA_CAP_PROBS))
        return mha_fail(MHA_ERR_UNSUPPORTED,
                        "args.probs is set but implementation '%s' cannot write probabilities "
                        "(expected probs = NULL, or an implementation with the probs capability such as 'naive')",
                        impl->name);
    char why[160];
    if (!mha_impl_runnable(impl, why, sizeof why))
        return mha_fail(MHA_ERR_CPU_FEATURES, "implementation '%s' cannot run here: %s", impl->name, why);

    if (a->workspace) {
        size_t need = impl->workspace ? impl->workspace(s, mha_resolve_threads(a->threads), a->probs != NULL) : 0;
        if (a->workspace_bytes < need)
            return mha_fail(MHA_ERR_WORKSPACE_TOO_SMALL,
                            "workspace_bytes = %zu: implementation '%s' needs %zu for this shape",
                            a->workspace_bytes, impl->name, need);
    }
    return MHA_OK;
}
