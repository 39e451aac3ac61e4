/* mha explain: the shape walkthrough of one attention layer as a table or JSON. */
#include "cli.h"
#include "shapes_math.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#define INT_OPTION(name, field, metavar, help) \
    {name, 0, CLI_INT, offsetof(explain_options, field), metavar, help, 1, INT64_MAX, NULL}

typedef struct explain_options {
    shapes_cfg cfg; /* a size left at 0 was not given */
    int json;
} explain_options;

static const cli_option options[] = {
    INT_OPTION("batch", cfg.batch, "B", "sequences per batch (> 0)"),
    INT_OPTION("seq", cfg.seq, "S", "tokens per sequence (> 0)"),
    INT_OPTION("d-model", cfg.d_model, "D", "model width (> 0)"),
    INT_OPTION("heads", cfg.heads, "H", "query heads; must divide D (head_dim Dh = D / H)"),
    INT_OPTION("kv-heads", cfg.kv_heads, "K", "key/value heads; must divide H (default H: MHA; 1 is MQA)"),
    {"json", 0, CLI_FLAG, offsetof(explain_options, json), NULL, "the same numbers as JSON on stdout", 0, 0, NULL},
};

const cli_command cli_explain = {
    "explain",
    "mha explain --batch B --seq S --d-model D --heads H [--kv-heads K] [--json]",
    "Follows one tensor through an attention layer: X (B, S, D) -> Q, K, V -> split heads\n"
    "(B, H, S, Dh) -> scores (B, H, S, S) -> probabilities -> context (B, H, S, Dh) ->\n"
    "merged (B, S, D) -> W_O, with the shape, FLOPs and fp32 bytes of every step; then the\n"
    "parameter count, H split heads vs H full-size heads, and the KV cache per token for\n"
    "MHA, GQA and MQA.",
    options,
    sizeof options / sizeof options[0],
    "The seeds' walkthroughs:\n"
    "  mha explain --batch 2 --seq 8 --d-model 32 --heads 4\n"
    "  mha explain --batch 2 --seq 4 --d-model 16 --heads 4\n",
    0,
};

/* 1234567 -> "1,234,567" */
static const char *grouped(uint64_t v, char *buf, size_t size)
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

static void print_text(const shapes_cfg *c)
{
    const int64_t Dh = c->d_model / c->heads;
    shapes_step st[SHAPES_MAX_STEPS];
    int n = shapes_walkthrough(c, st);
    char a[32], b[32], d[64], e[32];
    printf("Attention layer walkthrough: B=%lld S=%lld D=%lld H=%lld K=%lld (%s), head_dim Dh = D/H = %lld\n",
           (long long)c->batch, (long long)c->seq, (long long)c->d_model, (long long)c->heads,
           (long long)c->kv_heads, shapes_kind(c->heads, c->kv_heads), (long long)Dh);
    printf("FLOPs: a matmul (m x k)(k x n) is 2*m*n*k; softmax %d ops per score. Bytes: fp32 output tensor.\n\n",
           SHAPES_SOFTMAX_OPS);
    printf("  %-32s %-15s %-20s %19s %15s  %s\n", "step", "shape", "", "FLOPs", "bytes", "note");
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        printf("  %-32s %-15s %-20s %19s %15s  %s\n", st[i].name, st[i].axes, dims_str(&st[i], d, sizeof d),
               grouped(st[i].flops, a, sizeof a), grouped(st[i].bytes, b, sizeof b), st[i].note);
        total += st[i].flops;
    }
    printf("  %-32s %-15s %-20s %19s\n\n", "total", "", "", grouped(total, a, sizeof a));

    shapes_params p = shapes_parameters(c);
    printf("Parameters (no bias): W_Q D x D = %s, W_K D x K*Dh = %s, W_V D x K*Dh = %s, W_O D x D = %s\n",
           grouped(p.w_q, a, sizeof a), grouped(p.w_k, b, sizeof b), grouped(p.w_v, d, sizeof d),
           grouped(p.w_o, e, sizeof e));
    if (c->kv_heads == c->heads)
        printf("  total 4*D^2 = %s. Heads partition D; they are not H copies of the layer "
               "(that would be H*4*D^2 = %s).\n\n",
               grouped(p.total, a, sizeof a), grouped(p.h_full_copies, b, sizeof b));
    else
        printf("  total 2*D^2 + 2*D*K*Dh = %s (MHA would be 4*D^2 = %s; H copies would be H*4*D^2 = %s).\n\n",
               grouped(p.total, a, sizeof a), grouped(4 * p.w_q, b, sizeof b),
               grouped(p.h_full_copies, d, sizeof d));

    shapes_split_cost s = shapes_split_vs_full(c);
    const long long H = (long long)c->heads, D = (long long)c->d_model;
    printf("H split heads (Dh = %lld dims each) vs H full-size heads (D = %lld dims each):\n", (long long)Dh, D);
    printf("  %-46s %22s %22s %7s\n", "", "full-size heads", "split heads", "ratio");
    snprintf(d, sizeof d, "seed table, H*(d*d)");
    printf("  %-46s %22s %22s %7.4g\n", d, grouped(s.seed_full, a, sizeof a), grouped(s.seed_split, b, sizeof b),
           (double)s.seed_full / (double)s.seed_split);
    printf("  %-46s %22s %22s %7.4g\n", "attention FLOPs, 4*B*H*S*S*d", grouped(s.attn_flops_full, a, sizeof a),
           grouped(s.attn_flops_split, b, sizeof b), (double)s.attn_flops_full / (double)s.attn_flops_split);
    printf("  %-46s %22s %22s %7.4g\n", "projection parameters, 4*D*H*d", grouped(s.params_full, a, sizeof a),
           grouped(s.params_split, b, sizeof b), (double)s.params_full / (double)s.params_split);
    printf("  %-46s %22s %22s %7.4g\n", "KV-cache bytes per token, 2*H*d*4", grouped(s.kv_bytes_full, a, sizeof a),
           grouped(s.kv_bytes_split, b, sizeof b), (double)s.kv_bytes_full / (double)s.kv_bytes_split);
    printf("  The seed table (%lld*(%lld*%lld) vs %lld*(%lld*%lld)) counts d*d per head, so its ratio is H^2 = "
           "%lld.\n",
           H, D, D, H, (long long)Dh, (long long)Dh, H * H);
    printf("  A head's real work grows with d, not d^2: per (query, key) pair one d-long dot product for the\n"
           "  score and one d-long weighted sum for the context. A full-size head has d = D = H*Dh, so every\n"
           "  real cost above is H = %lld times larger; split heads keep the layer at the price of one head.\n\n",
           H);

    shapes_kv kv[3];
    shapes_kv_cache(c, kv);
    printf("KV cache of this layer (K and V kept for every past token; fp32):\n");
    printf("  %-5s %9s %18s %16s %18s %18s\n", "kind", "kv heads", "slices per token", "bytes per token",
           "bytes per sequence", "bytes for batch");
    for (int i = 0; i < 3; i++) {
        if (kv[i].kv_heads == 0) {
            printf("  %-5s %9s   (no divisor of H = %lld strictly between 1 and H)\n", kv[i].kind, "-", H);
            continue;
        }
        char f[32];
        printf("  %-5s %9lld %18s %16s %18s %18s\n", kv[i].kind, (long long)kv[i].kv_heads,
               grouped(kv[i].slices_per_token, a, sizeof a), grouped(kv[i].bytes_per_token, b, sizeof b),
               grouped(kv[i].bytes_per_sequence, e, sizeof e), grouped(kv[i].bytes_batch, f, sizeof f));
    }
    printf("  slices per token = 2*kv_heads (one K and one V slice of Dh floats per kv head);\n"
           "  bytes per token = 2*kv_heads*Dh*4. With D fixed, more MHA heads mean more but thinner slices.\n");
}

static json_t *u64(uint64_t v)
{
    return json_integer((json_int_t)v); /* shapes_check keeps every count <= INT64_MAX */
}

static int print_json(const shapes_cfg *c)
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
    int rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
    return rc == 0 ? EXIT_OK : EXIT_FAILED;
}

MHA_CMD_FN(cmd_explain)
{
    const char *cmd = "explain";
    explain_options o = {{0, 0, 0, 0, 0}, 0};
    int npos;
    const int parsed = cli_parse(&cli_explain, argc, argv, &o, NULL, &npos);
    if (parsed != CLI_RUN)
        return parsed;
    shapes_cfg c = o.cfg;
    const struct { const char *opt; int64_t value; } required[] = {
        {"--batch", c.batch}, {"--seq", c.seq}, {"--d-model", c.d_model}, {"--heads", c.heads}};
    for (int k = 0; k < 4; k++) /* every size is >= 1, so 0 is "not given" */
        if (required[k].value == 0)
            return cli_usage_error(cmd, "%s is required", required[k].opt);
    if (c.kv_heads == 0)
        c.kv_heads = c.heads;
    char msg[1024];
    if (shapes_check(&c, msg, sizeof msg) != SHAPES_OK)
        return cli_usage_error(cmd, "%s", msg);
    if (o.json)
        return print_json(&c);
    print_text(&c);
    return EXIT_OK;
}
