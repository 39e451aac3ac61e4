/* mha report: benchmark JSON files in, a report folder out (tables, CSV, plots, manifest). */
#define _XOPEN_SOURCE 700
#include "cli.h"
#include "report.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void help(void)
{
    printf("usage: mha report RESULTS.json [MORE.json ...] -o DIR [--check CHECK.json] [--force]\n\n"
           "Turns Google Benchmark JSON from mha-bench (and peer scripts) into DIR/README.md (Markdown\n"
           "tables: GFLOP/s, percent of peak, speedup over naive, decode GB/s, workspace, accuracy, teaching\n"
           "tables), DIR/results.csv, SVG plots and DIR/manifest.json. Files from several machines merge\n"
           "side by side (one column per implementation and machine, keyed by the context's host_name).\n\n"
           "  -o, --output DIR   report folder; written through a temporary folder, then renamed\n"
           "  --check FILE       conformance summary for the accuracy table (format: README, Benchmarks and reports)\n"
           "  --force            replace DIR if it exists (refused otherwise)\n");
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int write_file(const char *dir, const char *name, const rep_data *d, int (*fn)(const rep_data *, FILE *))
{
    char path[8448];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int rc = fn(d, f);
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

MHA_CMD_FN(cmd_report)
{
    const char *out = NULL, *check = NULL;
    int force = 0;
    const char **inputs = calloc((size_t)argc, sizeof *inputs);
    int n_inputs = 0;
    if (!inputs)
        return EXIT_FAILED;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            help();
            free(inputs);
            return EXIT_OK;
        } else if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
            if (++i >= argc) {
                free(inputs);
                return cli_usage_error("report", "%s needs a folder name", argv[i - 1]);
            }
            out = argv[i];
        } else if (strcmp(argv[i], "--check") == 0) {
            if (++i >= argc) {
                free(inputs);
                return cli_usage_error("report", "--check needs a file name");
            }
            check = argv[i];
        } else if (strcmp(argv[i], "--force") == 0) {
            force = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            free(inputs);
            return cli_usage_error("report", "unknown option '%s'", argv[i]);
        } else {
            inputs[n_inputs++] = argv[i];
        }
    }
    if (!n_inputs || !out) {
        free(inputs);
        return cli_usage_error("report", "%s", !n_inputs ? "no results file given: expected RESULTS.json ... -o DIR"
                                                         : "no output folder: expected -o DIR");
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", out);
    for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
        dir[n - 1] = '\0';
    struct stat st;
    int exists = stat(dir, &st) == 0;
    if (exists && !force) {
        fprintf(stderr, "mha report: -o %s: already exists; refusing to overwrite it (pass --force to replace it)\n",
                dir);
        free(inputs);
        return EXIT_FAILED;
    }
    if (exists && !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "mha report: -o %s: exists and is not a folder\n", dir);
        free(inputs);
        return EXIT_FAILED;
    }

    rep_data d;
    memset(&d, 0, sizeof d);
    d.files = inputs;
    d.n_files = n_inputs;
    char err[1024];
    for (int i = 0; i < n_inputs; i++)
        if (rep_load(&d, inputs[i], err, sizeof err) != 0) {
            fprintf(stderr, "mha report: %s\n", err);
            rep_free(&d);
            free(inputs);
            return EXIT_FAILED;
        }
    if (check && rep_load_check(&d, check, err, sizeof err) != 0) {
        fprintf(stderr, "mha report: --check %s\n", err);
        rep_free(&d);
        free(inputs);
        return EXIT_FAILED;
    }
    rep_finish(&d);

    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", dir);
    if (!mkdtemp(tmp)) {
        fprintf(stderr, "mha report: cannot create a temporary folder next to %s: %s\n", dir, strerror(errno));
        rep_free(&d);
        free(inputs);
        return EXIT_FAILED;
    }
    char names[32][64];
    int n_names = 0, rc = 0;
    rc |= write_file(tmp, "README.md", &d, rep_write_markdown);
    snprintf(names[n_names++], 64, "README.md");
    rc |= write_file(tmp, "results.csv", &d, rep_write_csv);
    snprintf(names[n_names++], 64, "results.csv");
    if (rc == 0)
        rc = rep_write_plots(&d, tmp, names, &n_names, 30);
    snprintf(names[n_names++], 64, "manifest.json");
    if (rc == 0) {
        char path[8448];
        snprintf(path, sizeof path, "%s/manifest.json", tmp);
        FILE *f = fopen(path, "w");
        rc = f ? rep_write_manifest(&d, f, names, n_names, force) : -1;
        if (f && fclose(f) != 0)
            rc = -1;
    }
    char old[4200] = "";
    if (rc == 0 && exists) {
        snprintf(old, sizeof old, "%s.old-XXXXXX", dir);
        rc = mkdtemp(old) && rename(dir, old) == 0 ? 0 : -1;
    }
    if (rc == 0)
        rc = rename(tmp, dir);
    if (rc != 0) {
        fprintf(stderr, "mha report: writing %s failed: %s\n", dir, strerror(errno));
        remove_tree(tmp);
        rep_free(&d);
        free(inputs);
        return EXIT_FAILED;
    }
    if (old[0])
        remove_tree(old);
    printf("mha report: %d implementation column(s), %d machine(s), %d runs -> %s/README.md\n", d.n_series,
           d.n_machines, d.n_runs, dir);
    rep_free(&d);
    free(inputs);
    return EXIT_OK;
}
