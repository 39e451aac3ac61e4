/* mha explain: the shape walkthrough of one attention layer as a table or JSON. */
#include "cli.h"
#include "explain_print.h"
#include "shapes_math.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#define INT_OPTION(name, field, metavar, help) \
    {name, 0, CLI_INT, offsetof(explain_options, field), metavar, help, 1, INT64_MAX, NULL}

typedef struct explain_options {
    shapes_cfg cfg; /* a size left at 0 was not given */
    int json;
    int decode;
} explain_options;

static const cli_option options[] = {
    INT_OPTION("batch", cfg.batch, "B", "sequences per batch (> 0)"),
    INT_OPTION("seq", cfg.seq, "S", "tokens per sequence (> 0)"),
    INT_OPTION("d-model", cfg.d_model, "D", "model width (> 0)"),
    INT_OPTION("heads", cfg.heads, "H", "query heads; must divide D (head_dim Dh = D / H)"),
    INT_OPTION("kv-heads", cfg.kv_heads, "K", "key/value heads; must divide H (default H: MHA; 1 is MQA)"),
    {"json", 0, CLI_FLAG, offsetof(explain_options, json), NULL, "the same numbers as JSON on stdout", 0, 0, NULL},
    {"decode", 0, CLI_FLAG, offsetof(explain_options, decode), NULL,
     "also the per-token decode steps: KV cache and FLOPs of each token,\n"
     "and their sum against one causal call (text output)", 0, 0, NULL},
};

const cli_command cli_explain = {
    "explain",
    "mha explain --batch B --seq S --d-model D --heads H [--kv-heads K] [--decode] [--json]",
    "Follows one tensor through an attention layer: X (B, S, D) -> Q, K, V -> split heads\n"
    "(B, H, S, Dh) -> scores (B, H, S, S) -> probabilities -> context (B, H, S, Dh) ->\n"
    "merged (B, S, D) -> W_O, with the shape, FLOPs and fp32 bytes of every step; then the\n"
    "parameter count, H split heads vs H full-size heads, and the KV cache per token for\n"
    "MHA, GQA and MQA, and which features of D each head reads.",
    options,
    sizeof options / sizeof options[0],
    "The seeds' walkthroughs:\n"
    "  mha explain --batch 2 --seq 8 --d-model 32 --heads 4\n"
    "  mha explain --batch 2 --seq 4 --d-model 16 --heads 4\n"
    "  mha explain --batch 1 --seq 16 --d-model 16 --heads 4 --decode\n"
    "The labs that run these numbers: 'mha lab list' (docs/teaching.md).\n",
    0,
};

MHA_CMD_FN(cmd_explain)
{
    const char *cmd = "explain";
    explain_options o = {{0, 0, 0, 0, 0}, 0, 0};
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
    if (o.json) {
        json_t *root = explain_json(&c);
        const int rc = root ? json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : -1;
        fputc('\n', stdout);
        json_decref(root);
        return rc == 0 ? EXIT_OK : EXIT_FAILED;
    }
    explain_print_text(stdout, &c);
    if (o.decode) {
        fputc('\n', stdout);
        explain_print_decode(stdout, &c);
    }
    return EXIT_OK;
}
