/* mha example: random Q, K, V .npy files from the portable PRNG, for trying `mha attend`. */
#include "cli.h"
#include "mha.h"
#include "npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("usage: mha example --out DIR [options]\n\n"
           "Writes DIR/q.npy (B, S, H, Dh) and DIR/k.npy, DIR/v.npy (B, S, Hkv, Dh), float32,\n"
           "uniform in [-1, 1) from the portable PRNG (same files on every machine).\n\n"
           "  --out DIR        existing directory to write into (required)\n"
           "  --batch B        default 1\n"
           "  --seq S          default 16\n"
           "  --heads H        default 4\n"
           "  --kv-heads K     default H (must divide H)\n"
           "  --head-dim Dh    default 16\n"
           "  --seed N         default 0; q, k, v use seeds N, N+1, N+2\n");
}

MHA_CMD_FN(cmd_example)
{
    const char *dir = NULL;
    int64_t B = 1, S = 16, H = 4, K = 0, D = 16, seed = 0;
    struct { const char *opt; int64_t *dst; int64_t min, max; } ints[] = {
        {"--batch", &B, 1, 1 << 16}, {"--seq", &S, 1, 1 << 20},     {"--heads", &H, 1, 4096},
        {"--kv-heads", &K, 1, 4096}, {"--head-dim", &D, 1, 1 << 16}, {"--seed", &seed, 0, INT64_MAX},
    };
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            help();
            return EXIT_OK;
        }
        if (i + 1 >= argc)
            return cli_usage_error("example", "%s needs a value", argv[i]);
        const char *o = argv[i], *val = argv[++i];
        int matched = 0;
        for (size_t t = 0; t < sizeof ints / sizeof ints[0]; t++)
            if (strcmp(o, ints[t].opt) == 0) {
                if (cli_parse_int("example", o, val, ints[t].min, ints[t].max, ints[t].dst))
                    return EXIT_USAGE;
                matched = 1;
            }
        if (matched)
            continue;
        if (strcmp(o, "--out") == 0)
            dir = val;
        else
            return cli_usage_error("example", "unknown option '%s'", o);
    }
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
