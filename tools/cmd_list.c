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

/* The declared q/k/v -> out combinations: "fp32 bf16->fp32 bf16" (same dtype in and out: one name). */
static const char *dtypes_text(uint32_t dtypes, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int in = 0; in < MHA_DTYPE_COUNT; in++)
        for (int out = 0; out < MHA_DTYPE_COUNT; out++) {
            const uint32_t bit = mha_dtype_combo((mha_dtype)in, (mha_dtype)out);
            if (!bit || !((dtypes ? dtypes : MHA_IO_F32) & bit))
                continue;
            int n = in == out ? snprintf(buf + used, size - used, "%s%s", used ? " " : "", mha_dtype_name((mha_dtype)in))
                              : snprintf(buf + used, size - used, "%s%s->%s", used ? " " : "",
                                         mha_dtype_name((mha_dtype)in), mha_dtype_name((mha_dtype)out));
            if (n < 0 || (size_t)n >= size - used)
                return buf;
            used += (size_t)n;
        }
    return buf;
}

/* The columns of one implementation's row. */
typedef struct list_row {
    char runs[200], caps[64], dtypes[96];
} list_row;

static void fill_row(const mha_impl *impl, list_row *row)
{
    char why[160];
    const int ok = mha_impl_runnable(impl, why, sizeof why);
    snprintf(row->runs, sizeof row->runs, "%s%s", ok ? "yes" : "no: ", ok ? "" : why);
    caps_text(impl->caps, row->caps, sizeof row->caps);
    dtypes_text(impl->dtypes, row->dtypes, sizeof row->dtypes);
}

static int max_int(int a, int b) { return a > b ? a : b; }

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
    char feats[128];
    printf("CPU features: %s", mha_cpu_feature_names(mha_cpu_detected(), feats, sizeof feats));
    if (mha_cpu_features() != mha_cpu_detected())
        printf(" (usable after mask: %s)", mha_cpu_feature_names(mha_cpu_features(), feats, sizeof feats));
    printf("\nbest here: %s\n\n", mha_impl_best()->name);

    /* Column widths: the widest cell of each column, header included. */
    int w_name = 4, w_isa = 3, w_dtypes = 6, w_runs = 9, w_caps = 12;
    list_row row;
    for (size_t i = 0; i < mha_impl_count(); i++) {
        const mha_impl *impl = mha_impl_get(i);
        fill_row(impl, &row);
        w_name = max_int(w_name, (int)strlen(impl->name));
        w_isa = max_int(w_isa, (int)strlen(impl->isa));
        w_dtypes = max_int(w_dtypes, (int)strlen(row.dtypes));
        w_runs = max_int(w_runs, (int)strlen(row.runs));
        w_caps = max_int(w_caps, (int)strlen(row.caps));
    }
    printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w_name, "name", w_isa, "isa", w_dtypes, "dtypes", w_runs,
           "runs here", w_caps, "capabilities", "summary");
    for (size_t i = 0; i < mha_impl_count(); i++) {
        const mha_impl *impl = mha_impl_get(i);
        fill_row(impl, &row);
        printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w_name, impl->name, w_isa, impl->isa, w_dtypes, row.dtypes,
               w_runs, row.runs, w_caps, row.caps, impl->summary);
    }
    return EXIT_OK;
}
