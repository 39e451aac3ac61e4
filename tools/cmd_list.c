/* mha list: the registry as a table. */
#include "cli.h"
#include "mha.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef struct list_options {
    int names;
} list_options;

static const cli_option list_options_table[] = {
    {"names", 0, CLI_FLAG, offsetof(list_options, names), NULL,
     "print only the names of the runnable implementations, one a line", 0, 0, NULL},
};

const cli_command cli_list = {
    "list",
    "mha list [--names]",
    "Lists every implementation compiled into this build: its ISA, whether it\n"
    "runs on this CPU (and if not, why), its capabilities and a summary.",
    list_options_table,
    sizeof list_options_table / sizeof list_options_table[0],
    "The environment variable MHA_CPU_LEVEL (baseline, avx2, avx512 on x86-64;\n"
    "baseline, neon on AArch64) masks CPU features to force fallbacks.\n",
    0,
};

static const char *caps_text(uint32_t caps, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s%s", caps & MHA_CAP_PROBS ? "probs " : "",
             caps & MHA_CAP_DETERMINISTIC ? "deterministic " : "", caps & MHA_CAP_THREADS ? "threads" : "");
    return buf;
}

MHA_CMD_FN(cmd_list)
{
    list_options o = {0};
    int npos;
    const int parsed = cli_parse(&cli_list, argc, argv, &o, NULL, &npos);
    if (parsed != CLI_RUN)
        return parsed;
    if (o.names) {
        for (size_t i = 0; i < mha_impl_count(); i++)
            if (mha_impl_runnable(mha_impl_get(i), NULL, 0))
                printf("%s\n", mha_impl_get(i)->name);
        return EXIT_OK;
    }
    char feats[128], caps[64], why[160];
    printf("CPU features: %s", mha_cpu_feature_names(mha_cpu_detected(), feats, sizeof feats));
    if (mha_cpu_features() != mha_cpu_detected())
        printf(" (usable after mask: %s)", mha_cpu_feature_names(mha_cpu_features(), feats, sizeof feats));
    printf("\nbest here: %s\n\n", mha_impl_best()->name);
    int isa_width = 7; /* "avx512-simde" in an emulation test build is wider */
    for (size_t i = 0; i < mha_impl_count(); i++)
        if ((int)strlen(mha_impl_get(i)->isa) > isa_width)
            isa_width = (int)strlen(mha_impl_get(i)->isa);
    printf("%-14s %-*s %-30s %-29s %s\n", "name", isa_width, "isa", "runs here", "capabilities", "summary");
    for (size_t i = 0; i < mha_impl_count(); i++) {
        const mha_impl *impl = mha_impl_get(i);
        int ok = mha_impl_runnable(impl, why, sizeof why);
        char runs[200];
        snprintf(runs, sizeof runs, "%s%s", ok ? "yes" : "no: ", ok ? "" : why);
        printf("%-14s %-*s %-30s %-29s %s\n", impl->name, isa_width, impl->isa, runs,
               caps_text(impl->caps, caps, sizeof caps), impl->summary);
    }
    return EXIT_OK;
}
