/* The shape walkthrough of `mha explain` and the labs, as text or JSON; the arithmetic is shapes_math.h. */
#include "explain_print.h"

#include <stdio.h>

/* 1234567 -> "1,234,567" */
const char *explain_grouped(uint64_t v, char *buf, size_t size)
{
    char raw[32];
    int n = snprintf(raw, sizeof raw, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = '\0';
    return buf;
}

static const char *dims_str(const shapes_step *s, char *buf, size_t size)
{
    size_t o = (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < s->ndim && o < size; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s%lld", i ? ", " : "", (long long)s->dims[i]);
    if (o < size)
        snprintf(buf + o, size - o, ")");
    return buf;
}

void explain_print_text(FILE *f, const shapes_cfg *c)
{
    const int64_t Dh = c->d_model / c->heads;
    shapes_step st[SHAPES_MAX_STEPS];
    int n = shapes_walkthrough(c, st);
    char a[32], b[32], d[64], e[32];
    fprintf(f, "Attention layer walkthrough: B=%lld S=%lld D=%lld H=%lld K=%lld (%s), head_dim Dh = D/H = %lld\n",
           (long long)c->batch, (long long)c->seq, (long long)c->d_model, (long long)c->heads,
           (long long)c->kv_heads, shapes_kind(c->heads, c->kv_heads), (long long)Dh);
    fprintf(f, "FLOPs: a matmul (m x k)(k x n) is 2*m*n*k; softmax %d ops per score. Bytes: fp32 output tensor.\n\n",
           SHAPES_SOFTMAX_OPS);
    fprintf(f, "  %-32s %-15s %-20s %19s %15s  %s\n", "step", "shape", "", "FLOPs", "bytes", "note");
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        fprintf(f, "  %-32s %-15s %-20s %19s %15s  %s\n", st[i].name, st[i].axes, dims_str(&st[i], d, sizeof d),
               explain_grouped(st[i].flops, a, sizeof a), explain_grouped(st[i].bytes, b, sizeof b), st[i].note);
        total += st[i].flops;
    }
    fprintf(f, "  %-32s %-15s %-20s %19s\n\n", "total", "", "", explain_grouped(total, a, sizeof a));

    shapes_params p = shapes_parameters(c);
    fprintf(f, "Parameters (no bias): W_Q D x D = %s, W_K D x K*Dh = %s, W_V D x K*Dh = %s, W_O D x D = %s\n",
           explain_grouped(p.w_q, a, sizeof a), explain_grouped(p.w_k, b, sizeof b), explain_grouped(p.w_v, d, sizeof d),
           explain_grouped(p.w_o, e, sizeof e));
    if (c->kv_heads == c->heads)
        fprintf(f, "  total 4*D^2 = %s. Heads partition D; they are not H copies of the layer "
               "(that would be H*4*D^2 = %s).\n\n",
               explain_grouped(p.total, a, sizeof a), explain_grouped(p.h_full_copies, b, sizeof b));
    else
        fprintf(f, "  total 2*D^2 + 2*D*K*Dh = %s (MHA would be 4*D^2 = %s; H copies would be H*4*D^2 = %s).\n\n",
               explain_grouped(p.total, a, sizeof a), explain_grouped(4 * p.w_q, b, sizeof b),
               explain_grouped(p.h_full_copies, d, sizeof d));

    explain_print_head_slices(f, c);
    fputc('\n', f);

    shapes_split_cost s = shapes_split_vs_full(c);
    const long long H = (long long)c->heads, D = (long long)c->d_model;
    fprintf(f, "H split heads (Dh = %lld dims each) vs H full-size heads (D = %lld dims each):\n", (long long)Dh, D);
    fprintf(f, "  %-46s %22s %22s %7s\n", "", "full-size heads", "split heads", "ratio");
    snprintf(d, sizeof d, "seed table, H*(d*d)");
    fprintf(f, "  %-46s %22s %22s %7.4g\n", d, explain_grouped(s.seed_full, a, sizeof a), explain_grouped(s.seed_split, b, sizeof b),
           (double)s.seed_full / (double)s.seed_split);
    fprintf(f, "  %-46s %22s %22s %7.4g\n", "attention FLOPs, 4*B*H*S*S*d", explain_grouped(s.attn_flops_full, a, sizeof a),
           explain_grouped(s.attn_flops_split, b, sizeof b), (double)s.attn_flops_full / (double)s.attn_flops_split);
    fprintf(f, "  %-46s %22s %22s %7.4g\n", "projection parameters, 4*D*H*d", explain_grouped(s.params_full, a, sizeof a),
           explain_grouped(s.params_split, b, sizeof b), (double)s.params_full / (double)s.params_split);
    fprintf(f, "  %-46s %22s %22s %7.4g\n", "KV-cache bytes per token, 2*H*d*4", explain_grouped(s.kv_bytes_full, a, sizeof a),
           explain_grouped(s.kv_bytes_split, b, sizeof b), (double)s.kv_bytes_full / (double)s.kv_bytes_split);
    fprintf(f, "  The seed table (%lld*(%lld*%lld) vs %lld*(%lld*%lld)) counts d*d per head, so its ratio is H^2 = "
           "%lld.\n",
           H, D, D, H, (long long)Dh, (long long)Dh, H * H);
    fprintf(f, "  A head's real work grows with d, not d^2: per (query, key) pair one d-long dot product for the\n"
           "  score and one d-long weighted sum for the context. A full-size head has d = D = H*Dh, so every\n"
           "  real cost above is H = %lld times larger; split heads keep the layer at the price of one head.\n\n",
           H);

    shapes_kv kv[3];
    shapes_kv_cache(c, kv);
    fprintf(f, "KV cache of this layer (K and V kept for every past token; fp32):\n");
    fprintf(f, "  %-5s %9s %18s %16s %18s %18s\n", "kind", "kv heads", "slices per token", "bytes per token",
           "bytes per sequence", "bytes for batch");
    for (int i = 0; i < 3; i++) {
        if (kv[i].kv_heads == 0) {
            fprintf(f, "  %-5s %9s   (no divisor of H = %lld strictly between 1 and H)\n", kv[i].kind, "-", H);
            continue;
        }
        char g[32];
        fprintf(f, "  %-5s %9lld %18s %16s %18s %18s\n", kv[i].kind, (long long)kv[i].kv_heads,
                explain_grouped(kv[i].slices_per_token, a, sizeof a),
                explain_grouped(kv[i].bytes_per_token, b, sizeof b),
                explain_grouped(kv[i].bytes_per_sequence, e, sizeof e), explain_grouped(kv[i].bytes_batch, g, sizeof g));
    }
    fprintf(f, "  slices per token = 2*kv_heads (one K and one V slice of Dh floats per kv head);\n"
           "  bytes per token = 2*kv_heads*Dh*4. With D fixed, more MHA heads mean more but thinner slices.\n");
}

static json_t *u64(uint64_t v)
{
    return json_integer((json_int_t)v); /* shapes_check keeps every count <= INT64_MAX */
}

json_t *explain_json(const shapes_cfg *c)
{
    const int64_t Dh = c->d_model / c->heads;
    json_t *root = json_object();
    json_object_set_new(root, "config",
                        json_pack("{sI sI sI sI sI sI ss}", "batch", (json_int_t)c->batch, "seq",
                                  (json_int_t)c->seq, "d_model", (json_int_t)c->d_model, "heads",
                                  (json_int_t)c->heads, "kv_heads", (json_int_t)c->kv_heads, "head_dim",
                                  (json_int_t)Dh, "kind", shapes_kind(c->heads, c->kv_heads)));
    json_object_set_new(root, "conventions",
                        json_pack("{ss ss ss}", "flops", "matmul (m x k)(k x n) = 2*m*n*k", "softmax",
                                  "5 ops per score: scale, subtract max, exp, add to sum, divide", "bytes",
                                  "fp32 output tensor of the step"));
    shapes_step st[SHAPES_MAX_STEPS];
    int n = shapes_walkthrough(c, st);
    json_t *steps = json_array();
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        json_t *dims = json_array();
        for (int k = 0; k < st[i].ndim; k++)
            json_array_append_new(dims, json_integer((json_int_t)st[i].dims[k]));
        json_array_append_new(steps, json_pack("{ss ss so so so ss}", "name", st[i].name, "axes", st[i].axes,
                                               "dims", dims, "flops", u64(st[i].flops), "bytes",
                                               u64(st[i].bytes), "note", st[i].note));
        total += st[i].flops;
    }
    json_object_set_new(root, "steps", steps);
    json_object_set_new(root, "total_flops", u64(total));
    shapes_params p = shapes_parameters(c);
    json_object_set_new(root, "parameters",
                        json_pack("{so so so so so so}", "w_q", u64(p.w_q), "w_k", u64(p.w_k), "w_v", u64(p.w_v),
                                  "w_o", u64(p.w_o), "total", u64(p.total), "h_full_copies",
                                  u64(p.h_full_copies)));
    shapes_split_cost s = shapes_split_vs_full(c);
    json_object_set_new(root, "split_vs_full",
                        json_pack("{so so so so so so so so sI}", "seed_full", u64(s.seed_full), "seed_split",
                                  u64(s.seed_split), "attn_flops_full", u64(s.attn_flops_full),
                                  "attn_flops_split", u64(s.attn_flops_split), "params_full",
                                  u64(s.params_full), "params_split", u64(s.params_split), "kv_bytes_full",
                                  u64(s.kv_bytes_full), "kv_bytes_split", u64(s.kv_bytes_split), "ratio",
                                  (json_int_t)c->heads));
    shapes_kv kv[3];
    shapes_kv_cache(c, kv);
    json_t *cache = json_array();
    for (int i = 0; i < 3; i++) {
        if (kv[i].kv_heads == 0) {
            json_array_append_new(cache, json_pack("{ss sn}", "kind", kv[i].kind, "kv_heads"));
            continue;
        }
        json_array_append_new(cache, json_pack("{ss sI so so so so}", "kind", kv[i].kind, "kv_heads",
                                               (json_int_t)kv[i].kv_heads, "slices_per_token",
                                               u64(kv[i].slices_per_token), "bytes_per_token",
                                               u64(kv[i].bytes_per_token), "bytes_per_sequence",
                                               u64(kv[i].bytes_per_sequence), "bytes_batch",
                                               u64(kv[i].bytes_batch)));
    }
    json_object_set_new(root, "kv_cache", cache);
    return root;
}


void explain_print_head_slices(FILE *f, const shapes_cfg *c)
{
    const int64_t Dh = c->d_model / c->heads, G = c->heads / c->kv_heads;
    fprintf(f, "Each head's slice of D: query head h reads Q's features [h*Dh, (h+1)*Dh); kv head g reads\n"
               "K's and V's features [g*Dh, (g+1)*Dh) and serves query heads g*G .. g*G+G-1 (G = H/K = %lld):\n",
            (long long)G);
    const int64_t shown = c->heads <= 16 ? c->heads : 16;
    for (int64_t h = 0; h < shown; h++)
        fprintf(f, "  head %lld: dims %lld-%lld, kv head %lld (K/V dims %lld-%lld)\n", (long long)h,
                (long long)(h * Dh), (long long)((h + 1) * Dh - 1), (long long)(h / G), (long long)(h / G * Dh),
                (long long)((h / G + 1) * Dh - 1));
    if (shown < c->heads)
        fprintf(f, "  ... %lld more heads\n", (long long)(c->heads - shown));
}

void explain_print_decode(FILE *f, const shapes_cfg *c)
{
    const int64_t Dh = c->d_model / c->heads, B = c->batch, S = c->seq;
    char a[32], b[32], d[32];
    fprintf(f, "Decode, token by token (causal): step t projects token t, appends its K and V (%lld kv heads x\n"
               "Dh = %lld floats each) to the cache, then its query attends over the t+1 cached tokens.\n",
            (long long)c->kv_heads, (long long)Dh);
    fprintf(f, "  %6s %13s %18s %20s %22s\n", "token", "cached tokens", "KV-cache bytes", "attention FLOPs",
            "FLOPs so far");
    uint64_t sum = 0;
    for (int64_t t = 0; t < S; t++) {
        const uint64_t flops = (uint64_t)shapes_attention_flops(B, c->heads, 1, t + 1, Dh, 1);
        sum += flops;
        if (S > 12 && t >= 8 && t < S - 2) {
            if (t == 8)
                fprintf(f, "  %6s\n", "...");
            continue;
        }
        const uint64_t bytes = (uint64_t)(B * (t + 1) * 2 * c->kv_heads * Dh * SHAPES_FP32_BYTES);
        fprintf(f, "  %6lld %13lld %18s %20s %22s\n", (long long)t, (long long)(t + 1),
                explain_grouped(bytes, a, sizeof a), explain_grouped(flops, b, sizeof b),
                explain_grouped(sum, d, sizeof d));
    }
    const uint64_t prefill = (uint64_t)shapes_attention_flops(B, c->heads, S, S, Dh, 1);
    fprintf(f, "  The %lld steps add up to %s attention FLOPs: one causal call over all %lld tokens does the\n"
               "  same %s (4*B*H*Dh per visible pair, S(S+1)/2 pairs), in one pass instead of S.\n",
            (long long)S, explain_grouped(sum, a, sizeof a), (long long)S, explain_grouped(prefill, b, sizeof b));
}
