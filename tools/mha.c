/* The `mha` program: one subcommand per job, each in its own cmd_*.c file. */
#include "cli.h"
#include "mha.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct subcommand {
    const char *name;
    MHA_CMD_FN((*run));
    const char *summary;
} subcommands[] = {
    {"list", cmd_list, "every implementation, its ISA, whether it runs here and why not"},
    {"attend", cmd_attend, "run one implementation on .npy arrays"},
    {"check", cmd_check, "conformance suite: every case and property on every implementation"},
    {"vectors", cmd_vectors, "generate or verify the golden vectors of the conformance suite"},
    {"example", cmd_example, "write random Q, K, V .npy files to try attend on"},
    {"heatmap", cmd_heatmap, "attention probabilities per head as an SVG/PNG picture, with a manifest"},
    {"lab", cmd_lab, "one lab per teaching text: the numbers it asks for, with PASS/FAIL checks"},
    {"explain", cmd_explain, "shape walkthrough of a layer: shapes, FLOPs, bytes, parameters, KV cache"},
    {"report", cmd_report, "benchmark JSON to Markdown tables, CSV, SVG plots (README: Benchmarks and reports)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: mha <command> [options]\n       mha --version\n\ncommands:\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(f, "\n'mha <command> --help' describes each command.\n");
}

/* The library ignores an unknown MHA_CPU_LEVEL without a word; say so here. */
static void warn_unknown_cpu_level(void)
{
    const char *env = getenv("MHA_CPU_LEVEL");
    if (!env || !*env)
        return;
    const char *const *names;
    const int n = mha_cpu_levels(&names, NULL);
    for (int i = 0; i < n; i++)
        if (strcmp(env, names[i]) == 0)
            return;
    fprintf(stderr, "mha: MHA_CPU_LEVEL=%s is not a level of this architecture (expected one of:", env);
    for (int i = 0; i < n; i++)
        fprintf(stderr, " %s", names[i]);
    fprintf(stderr, "); using all detected features\n");
}

int main(int argc, char **argv)
{
    warn_unknown_cpu_level();
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (cli_is_help(argv[1])) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mha %s (ABI %d)\n", MHA_VERSION_STRING, MHA_ABI_VERSION);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "mha: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
