/* mha heatmap: one attention-probability panel per head for a token sequence (seed 001, Block C). */
#include "atomic_file.h"
#include "cli.h"
#include "heatmap_manifest.h"
#include "heatmap_files.h"
#include "heatmap_model.h"
#include "mha.h"
#include "shapes_math.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TEXT "<bos> I work , you work , he"
#define MAX_TOKENS 64
/*
 * Single-head equivalence tolerance (seed 001 Block B asks for 1e-5). Both
 * sides compute the same sums in fp32 in possibly different orders; with
 * D = 64 terms of size <= 1 the difference is a few ulps of values below 1,
 * around 1e-7, so 1e-5 is a loose bound that still catches a wrong result.
 */
#define SINGLE_HEAD_TOL 1e-5

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* "mha heatmap --text '<bos> I'" from argv, quoting arguments with spaces. */
static void command_line(int argc, char **argv, char *buf, size_t size)
{
    size_t o = (size_t)snprintf(buf, size, "mha");
    for (int i = 0; i < argc && o < size; i++) {
        const char *q = strpbrk(argv[i], " \t\"'<>&|;") ? "'" : "";
        o += (size_t)snprintf(buf + o, size - o, " %s%s%s", q, argv[i], q);
    }
}

typedef struct options {
    int64_t d_model, heads, seed;
    const char *text, *impl, *output, *manifest, *export_npy, *export_csv;
    int causal;
    float scale; /* 0: 1/sqrt(Dh) */
} options;

/* --scale: a nonzero float (0 stands for "not given": 1/sqrt(Dh)); cli_parse_float refuses what float32 cannot hold. */
static int parse_scale(const char *cmd, const char *opt, const char *text, void *dst)
{
    if (cli_parse_float(cmd, opt, text, dst))
        return 1;
    if (*(float *)dst == 0.0f) {
        cli_usage_error(cmd, "%s %s: expected a nonzero factor (0 would make every score 0)", opt, text);
        return 1;
    }
    return 0;
}

static const cli_option option_table[] = {
    {"d-model", 0, CLI_INT, offsetof(options, d_model), "D", "model width (default 64)", 1, 4096, NULL},
    {"heads", 0, CLI_INT, offsetof(options, heads), "H", "heads, must divide D (default 4)", 1, 4096, NULL},
    {"seed", 0, CLI_INT, offsetof(options, seed), "N", "weight seed, 0 to 2^63-1 (default 0)", 0, INT64_MAX, NULL},
    {"text", 0, CLI_STRING, offsetof(options, text), "TEXT",
     "whitespace-separated tokens, 1 to " CLI_STR(MAX_TOKENS) " (default the seed's)", 0, 0, NULL},
    {"impl", 0, CLI_STRING, offsetof(options, impl), "NAME",
     "implementation with probability output (default: the best; see 'mha list')", 0, 0, NULL},
    {"causal", 0, CLI_FLAG, offsetof(options, causal), NULL,
     "causal mask: query i sees keys j <= i (hidden cells drawn grey)", 0, 0, NULL},
    {"output", 'o', CLI_STRING, offsetof(options, output), "F", "picture: .svg, or .png via cairo (default heatmap.svg)",
     0, 0, NULL},
    {"manifest", 0, CLI_STRING, offsetof(options, manifest), "F", "also write the reproducibility record (JSON)", 0,
     0, NULL},
    {"scale", 0, CLI_CUSTOM, offsetof(options, scale), "S",
     "multiply the scores Q K^T by S before softmax (default 1/sqrt(Dh);\n"
     "--scale 1 shows attention without the 1/sqrt(Dh) of seed 002)", 0, 0, parse_scale},
    {"export-npy", 0, CLI_STRING, offsetof(options, export_npy), "F",
     "also write the probabilities as .npy, float32 (H, T, T): [head][query][key]", 0, 0, NULL},
    {"export-csv", 0, CLI_STRING, offsetof(options, export_csv), "F",
     "also write the probabilities as CSV: head,query,key,query_token,key_token,probability\n"
     "(all outputs land together or not at all)", 0, 0, NULL},
};

const cli_command cli_heatmap = {
    "heatmap",
    "mha heatmap [options] [-o FILE]",
    "Runs one attention layer on a short text and draws each head's T x T attention\n"
    "probabilities (rows: query token, columns: key token) with the viridis colour map.\n"
    "Defaults reproduce the seed lab: d_model 64, 4 heads, seed 0, \"" DEFAULT_TEXT "\".",
    option_table,
    sizeof option_table / sizeof option_table[0],
    "Embedding: token -> XXH3_64bits -> mha_rng seed -> D values uniform in [-1, 1).\n"
    "Weights: W_Q, W_K, W_V, W_O from mha_init_weights with seed_m = m-th mha_rng_next()\n"
    "after seeding with --seed; uniform [-1, 1) times 1/sqrt(D). See docs/teaching.md.\n",
    0,
};

static int parse(int argc, char **argv, options *o, int *done)
{
    const char *cmd = "heatmap";
    *done = 0;
    *o = (options){64, 4, 0, DEFAULT_TEXT, NULL, "heatmap.svg", NULL, NULL, NULL, 0, 0.0f};
    int npos;
    const int parsed = cli_parse(&cli_heatmap, argc, argv, o, NULL, &npos);
    if (parsed != CLI_RUN) {
        *done = 1;
        return parsed;
    }
    if (o->d_model % o->heads != 0) {
        int64_t div[64];
        int n = shapes_divisors(o->d_model, div, 64);
        char list[512];
        size_t used = 0;
        list[0] = '\0';
        for (int k = 0; k < n && used < sizeof list; k++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%lld", k ? ", " : "", (long long)div[k]);
        return cli_usage_error(cmd, "--heads %lld does not divide --d-model %lld; valid head counts for d_model %lld: %s",
                               (long long)o->heads, (long long)o->d_model, (long long)o->d_model, list);
    }
    if (!ends_with(o->output, ".svg") && !ends_with(o->output, ".png"))
        return cli_usage_error(cmd, "-o %s: expected a file name ending in .svg or .png", o->output);
#ifndef MHA_HAVE_CAIRO
    if (ends_with(o->output, ".png"))
        return cli_usage_error(cmd, "-o %s: this mha was built without cairo (libcairo2-dev), so it writes "
                               "SVG only: expected a name ending in .svg", o->output);
#endif
    return EXIT_OK;
}

static const mha_impl *pick_impl(const char *name)
{
    const mha_impl *impl = name ? mha_impl_find(name) : NULL;
    char why[256];
    if (name && !impl) {
        cli_usage_error("heatmap", "--impl %s: no such implementation in this build (see 'mha list')", name);
        return NULL;
    }
    if (!impl) {
        /* The best runnable one that can write probabilities. */
        for (size_t i = 0; i < mha_impl_count(); i++) {
            const mha_impl *c = mha_impl_get(i);
            if ((c->caps & MHA_CAP_PROBS) && mha_impl_runnable(c, NULL, 0) && (!impl || c->priority > impl->priority))
                impl = c;
        }
        if (!impl)
            fprintf(stderr, "mha heatmap: no implementation in this build can write probabilities\n");
        return impl;
    }
    if (!(impl->caps & MHA_CAP_PROBS)) {
        cli_usage_error("heatmap", "--impl %s: cannot write attention probabilities; expected one with the "
                        "probs capability (see 'mha list')", name);
        return NULL;
    }
    if (!mha_impl_runnable(impl, why, sizeof why)) {
        cli_usage_error("heatmap", "--impl %s: cannot run here: %s", name, why);
        return NULL;
    }
    return impl;
}

MHA_CMD_FN(cmd_heatmap)
{
    options o;
    int done;
    int rc = parse(argc, argv, &o, &done);
    if (rc != EXIT_OK || done)
        return rc;
    const mha_impl *impl = pick_impl(o.impl);
    if (!impl)
        return o.impl ? EXIT_USAGE : EXIT_FAILED;

    hm_tokens tok;
    if (hm_tokenize(o.text, &tok)) {
        fprintf(stderr, "mha heatmap: out of memory\n");
        return EXIT_FAILED;
    }
    const int count = tok.count;
    hm_tokens_free(&tok);
    if (count < 1 || count > MAX_TOKENS)
        return cli_usage_error("heatmap", "--text has %d tokens: expected 1 to %d whitespace-separated tokens",
                               count, MAX_TOKENS);
    hm_experiment ex;
    mha_status st = hm_experiment_run(&ex, impl, o.text, o.d_model, o.heads, (uint64_t)o.seed, o.causal, o.scale);
    if (st != MHA_OK) {
        fprintf(stderr, "mha heatmap: %s: %s\n", mha_status_str(st),
                st == MHA_ERR_OUT_OF_MEMORY ? "the experiment's arrays" : mha_last_error());
        return EXIT_FAILED;
    }
    const int64_t T = ex.T, D = o.d_model, H = o.heads;
    char title[256], scale_text[64], err[4200];
    if (o.scale != 0.0f)
        snprintf(scale_text, sizeof scale_text, ", scale %g", (double)o.scale);
    else
        scale_text[0] = '\0';
    snprintf(title, sizeof title, "Attention per head: d_model %lld, heads %lld, seed %lld, impl %s, causal %s%s",
             (long long)D, (long long)H, (long long)o.seed, impl->name, o.causal ? "on" : "off", scale_text);
    hm_picture pic = {(const char *const *)ex.tok.tok, T, H, ex.probs, o.causal, title};
    hm_manifest m;
    memset(&m, 0, sizeof m);
    char cmdline[2048];
    if (o.manifest) {
        if ((st = hm_single_head_max_diff(impl, &ex.w, T, ex.x, &m.single_head_max_diff)) != MHA_OK) {
            fprintf(stderr, "mha heatmap: single-head check: %s: %s\n", mha_status_str(st), mha_last_error());
            rc = EXIT_FAILED;
            goto done;
        }
        command_line(argc, argv, cmdline, sizeof cmdline);
        m.command = cmdline;
        m.impl = impl->name;
        m.causal = o.causal;
        m.image = o.output;
        m.single_head_tolerance = SINGLE_HEAD_TOL;
        hm_manifest_fill(&m, &ex, (uint64_t)o.seed, o.text);
    }
    hm_files files = {&pic, o.output, &ex, o.export_npy, o.export_csv, &m, o.manifest};
    if (hm_write_files(&files, err, sizeof err)) {
        fprintf(stderr, "mha heatmap: %s (no file was changed)\n", err);
        rc = EXIT_FAILED;
        goto done;
    }
    rc = EXIT_OK;
done:
    hm_experiment_free(&ex);
    return rc;
}
