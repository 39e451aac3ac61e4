/* mha lab: one command per teaching text (teach/lab_*.c, docs/teaching.md). */
#include "build_paths.h"
#include "cli.h"
#include "lab.h"
#include "mha.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct lab_options {
    const char *out, *impl, *vectors;
} lab_options;

static const cli_option options[] = {
    {"out", 'o', CLI_STRING, offsetof(lab_options, out), "DIR",
     "folder for the lab's pictures and manifests, created if missing\n"
     "(default: labs/NAME in the build folder; ./mha-lab/NAME for an installed mha)", 0, 0, NULL},
    {"impl", 0, CLI_STRING, offsetof(lab_options, impl), "NAME",
     "implementation the labs run (default naive, the readable reference; see 'mha list')", 0, 0, NULL},
    {"vectors", 0, CLI_STRING, offsetof(lab_options, vectors), "DIR",
     "golden vectors for the conformance runs (default as 'mha check')", 0, 0, NULL},
};

const cli_command cli_lab = {
    "lab",
    "mha lab list\n       mha lab NAME [--out DIR] [--impl NAME] [--vectors DIR]",
    "Runs one lab: what its teaching text asks for, with the numbers, and a PASS or FAIL\n"
    "line for every check (a computation against a value derived another way). NAME is\n"
    "a lab's full name or its number (001). 'mha lab list' lists them; docs/teaching.md\n"
    "maps each teaching text to its lab.",
    options,
    sizeof options / sizeof options[0],
    "exit status: 0 every check passed, 1 a check failed or the lab could not run, 2 usage.\n",
    1,
};

static void list(void)
{
    printf("%-26s %s\n", "lab", "teaching text, and what the lab shows");
    for (size_t i = 0; i < lab_count(); i++) {
        const lab_def *l = lab_get(i);
        printf("%-26s %s\n%-26s   %s\n", l->name, l->text, "", l->summary);
    }
    printf("\nRun one: mha lab 001 (or its full name).\n");
}

/* mkdir that accepts an existing folder; 0 or -1 with errno. */
static int make_folder(const char *path)
{
    struct stat st;
    if (mkdir(path, 0777) == 0)
        return 0;
    if (errno == EEXIST && stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        errno = ENOTDIR;
    }
    return -1;
}

/* The output folder: --out, or the default for this mha; created. 0, or a usage/exit status. */
static int out_folder(const char *given, const lab_def *l, char *buf, size_t size)
{
    if (given) {
        snprintf(buf, size, "%s", given);
        if (make_folder(buf))
            return cli_usage_error("lab", "--out %s: cannot create or use this folder: %s (expected a folder "
                                   "whose parent exists)", given, strerror(errno));
        return 0;
    }
    const char *base = build_paths_in_build_tree() ? MHA_BUILD_ROOT "/labs" : "mha-lab";
    snprintf(buf, size, "%s/%s", base, l->name);
    if (make_folder(base) || make_folder(buf)) {
        fprintf(stderr, "mha lab: cannot create the output folder %s: %s (choose one with --out)\n", buf,
                strerror(errno));
        return EXIT_FAILED;
    }
    return 0;
}

MHA_CMD_FN(cmd_lab)
{
    lab_options o = {NULL, NULL, NULL};
    const char *pos[1];
    int npos;
    const int parsed = cli_parse(&cli_lab, argc, argv, &o, pos, &npos);
    if (parsed != CLI_RUN)
        return parsed;
    if (npos == 0)
        return cli_usage_error("lab", "expected 'list' or a lab's name (see 'mha lab list')");
    if (strcmp(pos[0], "list") == 0) {
        list();
        return EXIT_OK;
    }
    const lab_def *l = lab_find(pos[0]);
    if (!l)
        return cli_usage_error("lab", "%s: no such lab; expected one of 'mha lab list' (a full name or its "
                               "number, e.g. 001)", pos[0]);
    const char *impl_name = o.impl ? o.impl : "naive";
    const mha_impl *impl = mha_impl_find(impl_name);
    char why[256];
    if (!impl)
        return cli_usage_error("lab", "--impl %s: no such implementation in this build (see 'mha list')", impl_name);
    if (!(impl->caps & MHA_CAP_PROBS))
        return cli_usage_error("lab", "--impl %s: cannot write attention probabilities, which the labs show; "
                               "expected one with the probs capability (see 'mha list')", impl_name);
    if (!mha_impl_runnable(impl, why, sizeof why))
        return cli_usage_error("lab", "--impl %s: cannot run here: %s", impl_name, why);
    char out[PATH_MAX], exe[PATH_MAX];
    const int status = out_folder(o.out, l, out, sizeof out);
    if (status)
        return status;
    const ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[len > 0 ? len : 0] = '\0';
    lab_env env = {stdout, out, o.vectors ? o.vectors : build_paths_vectors(), build_paths_broken(),
                   len > 0 ? exe : "mha", impl, 0, 0};
    printf("mha lab %s: %s\nimplementation %s; files in %s\n", l->name, l->text, impl->name, out);
    const int rc = l->run(&env);
    printf("\n%d passed, %d failed%s\n", env.passed, env.failed, rc ? "; the lab stopped early (see above)" : "");
    return rc || env.failed ? EXIT_FAILED : EXIT_OK;
}
