/* Shape arithmetic of one attention layer; see shapes_math.h. */
#include "shapes_math.h"

#include <stdio.h>
#include <string.h>

#define MAX_DIVISORS 64

int shapes_divisors(int64_t n, int64_t *out, int max)
{
    int count = 0;
    for (int64_t d = 1; d <= n && count < max; d++)
        if (n % d == 0)
            out[count++] = d;
    return count;
}

/* "1, 2, 4, 8" into buf. */
static void divisor_list(int64_t n, char *buf, size_t size)
{
    int64_t div[MAX_DIVISORS];
    int count = n <= 100000 ? shapes_divisors(n, div, MAX_DIVISORS) : 0;
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < count && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%lld", i ? ", " : "", (long long)div[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (count == 0)
        snprintf(buf, size, "a divisor of %lld", (long long)n);
}

/* Product of n factors; 0 when it exceeds INT64_MAX. */
static uint64_t checked_product(int n, const int64_t *f)
{
    uint64_t p = 1;
    for (int i = 0; i < n; i++)
        if (__builtin_mul_overflow(p, (uint64_t)f[i], &p) || p > (uint64_t)INT64_MAX)
            return 0;
    return p;
}

shapes_error shapes_check(const shapes_cfg *c, char *msg, size_t size)
{
    const char *names[] = {"--batch", "--seq", "--d-model", "--heads", "--kv-heads"};
    const int64_t vals[] = {c->batch, c->seq, c->d_model, c->heads, c->kv_heads};
    for (int i = 0; i < 5; i++) {
        if (vals[i] <= 0) {
            snprintf(msg, size, "%s %lld: expected a positive integer", names[i], (long long)vals[i]);
            return SHAPES_ERR_NONPOSITIVE;
        }
    }
    char list[512];
    if (c->d_model % c->heads != 0) {
        divisor_list(c->d_model, list, sizeof list);
        snprintf(msg, size,
                 "--heads %lld does not divide --d-model %lld (head_dim = d_model / heads must be a whole "
                 "number); valid head counts for d_model %lld: %s",
                 (long long)c->heads, (long long)c->d_model, (long long)c->d_model, list);
        return SHAPES_ERR_HEADS;
    }
    if (c->heads % c->kv_heads != 0) {
        divisor_list(c->heads, list, sizeof list);
        snprintf(msg, size,
                 "--kv-heads %lld does not divide --heads %lld (each kv head serves heads / kv_heads query "
                 "heads); valid kv-head counts for %lld heads: %s",
                 (long long)c->kv_heads, (long long)c->heads, (long long)c->heads, list);
        return SHAPES_ERR_KV_HEADS;
    }
    /* The largest quantities computed anywhere; everything else is smaller. */
    const int64_t B = c->batch, S = c->seq, D = c->d_model, H = c->heads;
    const int64_t attn_full[] = {4, B, H, S, S, D};   /* full-size heads' attention FLOPs */
    const int64_t softmax[] = {SHAPES_SOFTMAX_OPS, B, H, S, S};
    const int64_t proj[] = {2, B, S, D, D};           /* a projection's FLOPs */
    const int64_t copies[] = {4, H, D, D};            /* H full copies of the weights */
    const int64_t kv[] = {2 * SHAPES_FP32_BYTES, B, S, D}; /* MHA KV cache of the batch */
    if (!checked_product(6, attn_full) || !checked_product(5, softmax) || !checked_product(5, proj) ||
        !checked_product(4, copies) || !checked_product(4, kv)) {
        snprintf(msg, size,
                 "batch %lld, seq %lld, d_model %lld, heads %lld: the FLOP counts (4*B*H*S*S*D for full-size "
                 "heads) exceed 2^63; expected smaller dimensions",
                 (long long)B, (long long)S, (long long)D, (long long)H);
        return SHAPES_ERR_TOO_LARGE;
    }
    msg[0] = '\0';
    return SHAPES_OK;
}

const char *shapes_kind(int64_t heads, int64_t kv_heads)
{
    if (kv_heads == heads)
        return "MHA";
    return kv_heads == 1 ? "MQA" : "GQA";
}

static shapes_step step(const char *name, const char *axes, int ndim, const int64_t *dims, uint64_t flops,
                        const char *note)
{
    shapes_step s;
    memset(&s, 0, sizeof s);
    s.name = name;
    s.axes = axes;
    s.ndim = ndim;
    uint64_t elems = 1;
    for (int i = 0; i < ndim; i++) {
        s.dims[i] = dims[i];
        elems *= (uint64_t)dims[i];
    }
    s.flops = flops;
    s.bytes = elems * SHAPES_FP32_BYTES;
    s.note = note;
    return s;
}

int shapes_walkthrough(const shapes_cfg *c, shapes_step *st)
{
    const uint64_t B = (uint64_t)c->batch, S = (uint64_t)c->seq, D = (uint64_t)c->d_model;
    const uint64_t H = (uint64_t)c->heads, K = (uint64_t)c->kv_heads, Dh = D / H;
    const int64_t bsd[] = {c->batch, c->seq, c->d_model};
    const int64_t bskd[] = {c->batch, c->seq, (int64_t)(K * Dh)};
    const int64_t bhsd[] = {c->batch, c->heads, c->seq, (int64_t)Dh};
    const int64_t bksd[] = {c->batch, c->kv_heads, c->seq, (int64_t)Dh};
    const int64_t bhss[] = {c->batch, c->heads, c->seq, c->seq};
    const int mha = K == H;
    int n = 0;
    st[n++] = step("X", "(B, S, D)", 3, bsd, 0, "input: B sequences of S tokens, D features each");
    st[n++] = step("Q = X W_Q", "(B, S, D)", 3, bsd, 2 * B * S * D * D, "one D x D matmul for all heads at once");
    st[n++] = step("K = X W_K", mha ? "(B, S, D)" : "(B, S, K*Dh)", 3, bskd, 2 * B * S * D * K * Dh,
                   mha ? "D x D" : "D x K*Dh: only K kv heads");
    st[n++] = step("V = X W_V", mha ? "(B, S, D)" : "(B, S, K*Dh)", 3, bskd, 2 * B * S * D * K * Dh,
                   mha ? "D x D" : "D x K*Dh: only K kv heads");
    st[n++] = step("split Q", "(B, H, S, Dh)", 4, bhsd, 0, "reshape (B, S, H, Dh) + transpose: a view, no copy");
    st[n++] = step("split K", mha ? "(B, H, S, Dh)" : "(B, K, S, Dh)", 4, bksd, 0, "a view");
    st[n++] = step("split V", mha ? "(B, H, S, Dh)" : "(B, K, S, Dh)", 4, bksd, 0, "a view");
    st[n++] = step("scores = Q K^T", "(B, H, S, S)", 4, bhss, 2 * B * H * S * S * Dh,
                   mha ? "per head: (S x Dh) @ (Dh x S); both sequence axes"
                       : "per head: (S x Dh) @ (Dh x S); query head h reads kv head h / (H/K)");
    st[n++] = step("P = softmax(scores / sqrt(Dh))", "(B, H, S, S)", 4, bhss, SHAPES_SOFTMAX_OPS * B * H * S * S,
                   "5 ops per score; each row sums to 1");
    st[n++] = step("context = P V", "(B, H, S, Dh)", 4, bhsd, 2 * B * H * S * S * Dh,
                   "per head: (S x S) @ (S x Dh)");
    st[n++] = step("merge heads", "(B, S, D)", 3, bsd, 0, "transpose + reshape: concatenate the H heads");
    st[n++] = step("Y = merged W_O", "(B, S, D)", 3, bsd, 2 * B * S * D * D, "W_O mixes the heads' results");
    return n;
}

shapes_params shapes_parameters(const shapes_cfg *c)
{
    const uint64_t D = (uint64_t)c->d_model, H = (uint64_t)c->heads, K = (uint64_t)c->kv_heads, Dh = D / H;
    shapes_params p;
    p.w_q = D * D;
    p.w_k = D * K * Dh;
    p.w_v = D * K * Dh;
    p.w_o = D * D;
    p.total = p.w_q + p.w_k + p.w_v + p.w_o;
    p.h_full_copies = H * 4 * D * D;
    return p;
}

shapes_split_cost shapes_split_vs_full(const shapes_cfg *c)
{
    const uint64_t B = (uint64_t)c->batch, S = (uint64_t)c->seq, D = (uint64_t)c->d_model;
    const uint64_t H = (uint64_t)c->heads, Dh = D / H;
    shapes_split_cost s;
    s.seed_full = H * D * D;
    s.seed_split = H * Dh * Dh;
    s.attn_flops_full = 4 * B * H * S * S * D;
    s.attn_flops_split = 4 * B * H * S * S * Dh;
    s.params_full = 4 * D * H * D;
    s.params_split = 4 * D * H * Dh;
    s.kv_bytes_full = 2 * H * D * SHAPES_FP32_BYTES;
    s.kv_bytes_split = 2 * H * Dh * SHAPES_FP32_BYTES;
    return s;
}

static shapes_kv kv_row(const shapes_cfg *c, const char *kind, int64_t kv_heads)
{
    const uint64_t Dh = (uint64_t)(c->d_model / c->heads), K = (uint64_t)kv_heads;
    shapes_kv r;
    r.kind = kind;
    r.kv_heads = kv_heads;
    r.slices_per_token = 2 * K;
    r.bytes_per_token = 2 * K * Dh * SHAPES_FP32_BYTES;
    r.bytes_per_sequence = r.bytes_per_token * (uint64_t)c->seq;
    r.bytes_batch = r.bytes_per_sequence * (uint64_t)c->batch;
    return r;
}

void shapes_kv_cache(const shapes_cfg *c, shapes_kv out[3])
{
    const int64_t H = c->heads;
    int64_t gqa = 0;
    if (c->kv_heads > 1 && c->kv_heads < H) {
        gqa = c->kv_heads;
    } else {
        for (int64_t d = H / 2; d > 1; d--)
            if (H % d == 0) {
                gqa = d;
                break;
            }
    }
    out[0] = kv_row(c, "MHA", H);
    out[1] = kv_row(c, "GQA", gqa);
    out[2] = kv_row(c, "MQA", 1);
}

double shapes_causal_pairs(int64_t q_len, int64_t kv_len)
{
    double pairs = 0;
    for (int64_t i = 0; i < q_len; i++) {
        int64_t lim = i + kv_len - q_len + 1;
        pairs += (double)(lim < 0 ? 0 : lim > kv_len ? kv_len : lim);
    }
    return pairs;
}

double shapes_attention_flops(int64_t batch, int64_t heads, int64_t q_len, int64_t kv_len, int64_t head_dim,
                              int causal)
{
    const double pairs = causal ? shapes_causal_pairs(q_len, kv_len) : (double)q_len * (double)kv_len;
    return 4.0 * (double)batch * (double)heads * (double)head_dim * pairs;
}

double shapes_projection_flops(int64_t batch, int64_t seq, int64_t heads, int64_t kv_heads, int64_t head_dim)
{
    const double d = (double)heads * (double)head_dim, dkv = (double)kv_heads * (double)head_dim;
    return 2.0 * (double)batch * (double)seq * d * (2.0 * d + 2.0 * dkv);
}

double shapes_attention_dominates_at(int64_t heads, int64_t kv_heads, int64_t head_dim, int causal)
{
    const double s = (double)heads * (double)head_dim + (double)kv_heads * (double)head_dim;
    return causal ? 2.0 * s : s;
}

double shapes_attention_bytes(int64_t batch, int64_t heads, int64_t kv_heads, int64_t q_len, int64_t kv_len,
                              int64_t head_dim)
{
    const double qo = 2.0 * (double)batch * (double)q_len * (double)heads * (double)head_dim;
    const double kv = 2.0 * (double)batch * (double)kv_len * (double)kv_heads * (double)head_dim;
    return 4.0 * (qo + kv);
}

double shapes_score_matrix_bytes(int64_t heads_at_once, int64_t q_len, int64_t kv_len)
{
    return (double)heads_at_once * (double)q_len * (double)kv_len * 4.0;
}

double shapes_flash_tile_bytes(int64_t br, int64_t bc, int64_t head_dim)
{
    return 4.0 * ((double)br * (double)bc + (double)br * (double)head_dim + 2.0 * (double)br);
}
