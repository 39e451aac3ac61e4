/* mha example: random Q, K, V .npy files from the portable PRNG, for trying `mha attend`. */
#include "cli.h"
#include "mha.h"
#include "npy.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct example_options {
    const char *out;
    int64_t batch, seq, heads, kv_heads, head_dim, seed;
} example_options;

#define INT_OPTION(name, field, metavar, min, max, help) \
    {name, 0, CLI_INT, offsetof(example_options, field), metavar, help, min, max, NULL}
static const cli_option options[] = {
    {"out", 0, CLI_STRING, offsetof(example_options, out), "DIR", "existing directory to write into (required)", 0, 0,
     NULL},
    INT_OPTION("batch", batch, "B", 1, 1 << 16, "default 1"),
    INT_OPTION("seq", seq, "S", 1, 1 << 20, "default 16"),
    INT_OPTION("heads", heads, "H", 1, 4096, "default 4"),
    INT_OPTION("kv-heads", kv_heads, "K", 1, 4096, "default H (must divide H)"),
    INT_OPTION("head-dim", head_dim, "Dh", 1, 1 << 16, "default 16"),
    INT_OPTION("seed", seed, "N", 0, INT64_MAX, "default 0; q, k, v use seeds N, N+1, N+2"),
};

const cli_command cli_example = {
    "example",
    "mha example --out DIR [options]",
    "Writes DIR/q.npy (B, S, H, Dh) and DIR/k.npy, DIR/v.npy (B, S, Hkv, Dh), float32,\n"
    "uniform in [-1, 1) from the portable PRNG (same files on every machine).",
    options,
    sizeof options / sizeof options[0],
    NULL,
    0,
};

MHA_CMD_FN(cmd_example)
{
    example_options o = {.batch = 1, .seq = 16, .heads = 4, .kv_heads = 0, .head_dim = 16, .seed = 0};
    int npos;
    const int parsed = cli_parse(&cli_example, argc, argv, &o, NULL, &npos);
    if (parsed != CLI_RUN)
        return parsed;
    const char *dir = o.out;
    int64_t B = o.batch, S = o.seq, H = o.heads, K = o.kv_heads, D = o.head_dim, seed = o.seed;
    if (!dir)
        return cli_usage_error("example", "--out DIR is required");
    if (K == 0)
        K = H;
    if (H % K != 0)
        return cli_usage_error("example", "--kv-heads %lld does not divide --heads %lld", (long long)K,
                               (long long)H);
    int64_t shapes[3][4] = {{B, S, H, D}, {B, S, K, D}, {B, S, K, D}};
    const char *names[3] = {"q", "k", "v"};
    for (int t = 0; t < 3; t++) {
        size_t n = (size_t)(shapes[t][0] * shapes[t][1] * shapes[t][2] * shapes[t][3]);
        float *data = malloc(n * sizeof *data);
        if (!data) {
            fprintf(stderr, "mha example: out of memory for %zu floats\n", n);
            return EXIT_FAILED;
        }
        mha_rng rng;
        mha_rng_seed(&rng, (uint64_t)seed + (uint64_t)t);
        mha_rng_fill(&rng, data, n, 1.0f);
        char path[4096], err[512];
        snprintf(path, sizeof path, "%s/%s.npy", dir, names[t]);
        int rc = npy_write(path, NPY_F32, 4, shapes[t], data, err, sizeof err);
        free(data);
        if (rc) {
            fprintf(stderr, "mha example: %s\n", err);
            return EXIT_FAILED;
        }
    }
    printf("wrote %s/q.npy (%lld, %lld, %lld, %lld), k.npy and v.npy (%lld, %lld, %lld, %lld)\n", dir,
           (long long)B, (long long)S, (long long)H, (long long)D, (long long)B, (long long)S, (long long)K,
           (long long)D);
    return EXIT_OK;
}
