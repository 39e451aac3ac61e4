/*
 * An example port: the attention contract of mha.h implemented with the
 * public header only, exported as `const mha_impl *mha_port_impl(void)`.
 * Replace the body of port_attention with your kernel (RISC-V, SVE, a GPU
 * call, a library) and validate it with `mha check --port ./libport.so`.
 *
 * Per batch b, query head h, query i (G = H / Hkv, g = h / G):
 *   s[j] = scale * <Q[b,i,h,:], K[b,j,g,:]> + M[b,h,i,j]   (keys hidden by
 *          causal or M = -inf are skipped)
 *   p[j] = exp(s[j] - max s) / sum exp(s - max s)
 *   O[b,i,h,:] = sum_j p[j] V[b,j,g,:]
 */
#include <mha.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const float *at(const float *base, mha_strides st, int64_t b, int64_t s, int64_t h)
{
    return base + b * st.batch + s * st.seq + h * st.head;
}

/* Keys j < visible(i) are seen under the causal flag (bottom-right aligned). */
static int64_t visible(const mha_args *a, int64_t i)
{
    if (!a->causal)
        return a->shape.kv_len;
    int64_t lim = i + a->shape.kv_len - a->shape.q_len + 1;
    return lim < 0 ? 0 : lim > a->shape.kv_len ? a->shape.kv_len : lim;
}

static size_t port_workspace(const mha_shape *shape, int threads, int want_probs)
{
    (void)threads;
    (void)want_probs;
    return (size_t)shape->kv_len * sizeof(float);
}

static void port_attention(const mha_args *args, void *workspace)
{
    const mha_shape *s = &args->shape;
    float *e = workspace;
    for (int64_t b = 0; b < s->batch; b++)
        for (int64_t h = 0; h < s->heads; h++)
            for (int64_t i = 0; i < s->q_len; i++) {
                const int64_t g = h / (s->heads / s->kv_heads), vis = visible(args, i);
                const float *q = at(args->q, args->q_strides, b, i, h);
                const float *m = args->mask ? args->mask + b * args->mask_strides.batch +
                                                  h * args->mask_strides.head + i * args->mask_strides.row
                                            : NULL;
                float *o = (float *)at(args->out, args->out_strides, b, i, h);
                float *p = args->probs ? args->probs + ((b * s->heads + h) * s->q_len + i) * s->kv_len : NULL;
                float mx = -INFINITY;
                int nan = 0;
                for (int64_t j = 0; j < s->kv_len; j++) {
                    if (j >= vis || (m && m[j] == -INFINITY)) {
                        e[j] = -INFINITY;
                        continue;
                    }
                    const float *k = at(args->k, args->k_strides, b, j, g);
                    float dot = 0;
                    for (int64_t d = 0; d < s->head_dim; d++)
                        dot += q[d] * k[d];
                    e[j] = args->scale * dot + (m ? m[j] : 0.0f);
                    nan |= isnan(e[j]);
                    mx = e[j] > mx ? e[j] : mx;
                }
                memset(o, 0, (size_t)s->head_dim * sizeof *o);
                if (p)
                    memset(p, 0, (size_t)s->kv_len * sizeof *p);
                if (!nan && mx == -INFINITY)
                    continue; /* every key masked: zeros */
                if (nan)
                    mx = NAN;
                float l = 0;
                for (int64_t j = 0; j < s->kv_len; j++) {
                    e[j] = e[j] == -INFINITY ? 0.0f : expf(e[j] - mx);
                    l += e[j];
                }
                for (int64_t j = 0; j < s->kv_len; j++) {
                    const float pj = e[j] / l; /* 0 for hidden keys, NaN when the row is NaN */
                    if (p)
                        p[j] = pj;
                    if (j >= vis || (m && m[j] == -INFINITY))
                        continue; /* hidden keys are never read */
                    const float *v = at(args->v, args->v_strides, b, j, g);
                    for (int64_t d = 0; d < s->head_dim; d++)
                        o[d] += pj * v[d];
                }
            }
}

static const mha_impl port_impl = {
    .abi_version = MHA_ABI_VERSION,
    .name = "example_port",
    .algorithm = "naive",
    .isa = "c",
    .summary = "example out-of-tree port (conformance/port-example)",
    .cpu_features = 0,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC,
    .priority = 0,
    .workspace = port_workspace,
    .attention = port_attention,
    .matmul = NULL,
};

const mha_impl *mha_port_impl(void);
const mha_impl *mha_port_impl(void)
{
    return &port_impl;
}
