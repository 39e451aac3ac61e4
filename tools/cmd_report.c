/* mha report: benchmark JSON files in, a report folder out (tables, CSV, plots, manifest). */
#define _XOPEN_SOURCE 700
#include "cli.h"
#include "err_text.h"
#include "path_ident.h"
#include "report.h"
#include "signal_cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct report_options {
    const char *output, *check;
    int force;
} report_options;

static const cli_option report_options_table[] = {
    {"output", 'o', CLI_STRING, offsetof(report_options, output), "DIR",
     "report folder; written through a temporary folder, then renamed", 0, 0, NULL},
    {"check", 0, CLI_STRING, offsetof(report_options, check), "FILE",
     "conformance summary (mha check --json) for the accuracy table", 0, 0, NULL},
    {"force", 0, CLI_FLAG, offsetof(report_options, force), NULL,
     "replace the report in DIR if it exists (refused otherwise): only the files\n"
     "its manifest.json lists are replaced or removed, never an input", 0, 0, NULL},
};

/* Input files: as many as the command line holds (cmd_report raises the bound to argc). */
const cli_command cli_report = {
    "report",
    "mha report RESULTS.json [MORE.json ...] -o DIR [--check CHECK.json] [--force]",
    "Turns Google Benchmark JSON from mha-bench (and peer scripts) into DIR/README.md (Markdown\n"
    "tables opened by a paragraph from the measured numbers: GFLOP/s, percent of peak, speedup over\n"
    "naive, causal in time, decode GB/s, workspace, accuracy, accuracy against speed per dtype,\n"
    "the GEMM path's time in QK^T, softmax and P V, teaching tables), DIR/report.html (the same\n"
    "with every plot inline, readable offline), DIR/results.csv, SVG plots (the per-dtype one also\n"
    "as PNG) and DIR/manifest.json.\n"
    "Files from several machines merge side by side (one column per implementation and machine,\n"
    "keyed by the context's host_name).",
    report_options_table,
    sizeof report_options_table / sizeof report_options_table[0],
    "See docs/report.md for each section and plot.\n",
    1,
};

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

static int folder_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    int empty = d != NULL;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = 0;
    if (d)
        closedir(d);
    return empty;
}

/* The files an earlier `mha report` wrote into dir, from its manifest.json: a JSON array of names, or NULL. */
static json_t *own_files(const char *dir, char *err, size_t err_size)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    json_error_t e;
    json_t *m = json_load_file(path, 0, &e), *files = json_object_get(m, "files");
    if (!m && folder_is_empty(dir))
        return json_array();
    const char *tool = json_string_value(json_object_get(m, "tool"));
    if (!m || !tool || strcmp(tool, "mha report") != 0 || !json_is_array(files)) {
        snprintf(err, err_size, "-o %s: not a folder written by mha report (%s); --force replaces only those: "
                 "choose another folder", dir, m ? "its manifest.json is not mha report's" : "no readable manifest.json");
        json_decref(m);
        return NULL;
    }
    size_t i;
    json_t *name;
    json_array_foreach(files, i, name) {
        const char *n = json_string_value(name);
        if (!n || !*n || strchr(n, '/') || strcmp(n, ".") == 0 || strcmp(n, "..") == 0) {
            snprintf(err, err_size, "-o %s: manifest.json lists \"%s\", which is not a file name; not replacing "
                     "the folder", dir, n ? n : "(not a string)");
            json_decref(m);
            return NULL;
        }
    }
    json_incref(files);
    json_decref(m);
    return files;
}

static int listed(json_t *files, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(files, i, v)
        if (strcmp(json_string_value(v), name) == 0)
            return 1;
    return 0;
}

/* An input that --force would remove or overwrite: refused before any work. */
static int input_in_the_way(const char *dir, json_t *files, const char *const *inputs, int n_inputs, char *err,
                            size_t err_size)
{
    size_t i;
    json_t *v;
    json_array_foreach(files, i, v) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, json_string_value(v));
        for (int k = 0; k < n_inputs; k++)
            if (inputs[k] && path_same_file(inputs[k], path)) {
                snprintf(err, err_size, "input %s is %s, which --force would remove; move it out of the folder "
                         "or choose another folder", inputs[k], path);
                return 1;
            }
    }
    return 0;
}

/*
 * Moves the files of tmp (inside dir) into dir one by one, after checking
 * that none would replace a file the old manifest does not list; then
 * removes the old files the new report no longer has, and tmp.
 */
static int land_in_existing(const char *dir, const char *tmp, json_t *old, char names[][64], int n_names,
                            char *err, size_t err_size)
{
    char from[8448], to[4200];
    struct stat st;
    for (int i = 0; i < n_names; i++) {
        snprintf(to, sizeof to, "%s/%s", dir, names[i]);
        if (lstat(to, &st) == 0 && !listed(old, names[i])) {
            snprintf(err, err_size, "%s exists and %s/manifest.json does not list it: refusing to replace a file "
                     "mha report did not write", to, dir);
            return -1;
        }
    }
    signal_cleanup_hold();
    int rc = 0;
    for (int i = 0; i < n_names && rc == 0; i++) {
        snprintf(from, sizeof from, "%s/%s", tmp, names[i]);
        snprintf(to, sizeof to, "%s/%s", dir, names[i]);
        if (rename(from, to) != 0) {
            err_path(err, err_size, to, "cannot move the new file %s here: %s", names[i], strerror(errno));
            rc = -1;
        }
    }
    size_t i;
    json_t *v;
    json_array_foreach(old, i, v) {
        int still = 0;
        for (int k = 0; k < n_names; k++)
            still |= strcmp(names[k], json_string_value(v)) == 0;
        snprintf(to, sizeof to, "%s/%s", dir, json_string_value(v));
        if (rc == 0 && !still && lstat(to, &st) == 0 && S_ISREG(st.st_mode))
            unlink(to);
    }
    signal_cleanup_release();
    return rc;
}

MHA_CMD_FN(cmd_report)
{
    report_options o = {0};
    const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
    int n_inputs = 0;
    if (!inputs)
        return EXIT_FAILED;
    cli_command c = cli_report;
    c.max_positional = argc;
    const int parsed = cli_parse(&c, argc, argv, &o, inputs, &n_inputs);
    if (parsed != CLI_RUN) {
        free(inputs);
        return parsed;
    }
    const char *out = o.output, *check = o.check;
    const int force = o.force;
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
    char err[ERR_TEXT_SIZE];
    json_t *old = NULL;
    if (exists) {
        inputs[n_inputs] = check; /* the --check file is an input too */
        old = own_files(dir, err, sizeof err);
        if (!old || input_in_the_way(dir, old, inputs, n_inputs + 1, err, sizeof err)) {
            fprintf(stderr, "mha report: %s\n", err);
            json_decref(old);
            free(inputs);
            return EXIT_FAILED;
        }
        inputs[n_inputs] = NULL;
    }

    rep_data d;
    memset(&d, 0, sizeof d);
    d.files = inputs;
    d.n_files = n_inputs;
    for (int i = 0; i < n_inputs; i++)
        if (rep_load(&d, inputs[i], err, sizeof err) != 0) {
            fprintf(stderr, "mha report: %s\n", err);
            rep_free(&d);
            json_decref(old);
            free(inputs);
            return EXIT_FAILED;
        }
    if (check && rep_load_check(&d, check, err, sizeof err) != 0) {
        fprintf(stderr, "mha report: --check %s\n", err);
        rep_free(&d);
        json_decref(old);
        free(inputs);
        return EXIT_FAILED;
    }
    if (rep_finish(&d) != 0) {
        fprintf(stderr, "mha report: out of memory\n");
        rep_free(&d);
        json_decref(old);
        free(inputs);
        return EXIT_FAILED;
    }

    /* a new folder is written beside its place and renamed; an existing one gets its files from inside it */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, exists ? "%s/.mha-report-XXXXXX" : "%s.tmp-XXXXXX", dir);
    signal_cleanup_hold(); /* no signal between creating the folder and registering it */
    int made = mkdtemp(tmp) != NULL, slot = made ? signal_cleanup_add(tmp, 1) : -1;
    signal_cleanup_release();
    if (!made) {
        fprintf(stderr, "mha report: cannot create a temporary folder %s: %s\n", tmp, strerror(errno));
        rep_free(&d);
        json_decref(old);
        free(inputs);
        return EXIT_FAILED;
    }
    char names[48][64]; /* README.md, results.csv, the plots (at most 40), report.html, manifest.json */
    int n_names = 0, rc = 0;
    rc |= write_file(tmp, "README.md", &d, rep_write_markdown);
    snprintf(names[n_names++], 64, "README.md");
    rc |= write_file(tmp, "results.csv", &d, rep_write_csv);
    snprintf(names[n_names++], 64, "results.csv");
    if (rc == 0)
        rc = rep_write_plots(&d, tmp, names, &n_names, 40);
    if (rc == 0)
        rc = rep_write_breakdown_plot(&d, tmp, names, &n_names, 42);
    if (rc == 0) {
        char path[8448];
        snprintf(path, sizeof path, "%s/report.html", tmp);
        FILE *f = fopen(path, "w");
        rc = f ? rep_write_html(tmp, "README.md", f) : -1;
        if (f && fclose(f) != 0)
            rc = -1;
        snprintf(names[n_names++], 64, "report.html");
    }
    snprintf(names[n_names++], 64, "manifest.json");
    if (rc == 0) {
        char path[8448];
        snprintf(path, sizeof path, "%s/manifest.json", tmp);
        FILE *f = fopen(path, "w");
        rc = f ? rep_write_manifest(&d, f, names, n_names, force) : -1;
        if (f && fclose(f) != 0)
            rc = -1;
    }
    if (rc != 0)
        snprintf(err, sizeof err, "writing %s failed: %s", tmp, strerror(errno));
    else if (exists)
        rc = land_in_existing(dir, tmp, old, names, n_names, err, sizeof err);
    else if (rename(tmp, dir) != 0) {
        snprintf(err, sizeof err, "cannot rename %s to %s: %s", tmp, dir, strerror(errno));
        rc = -1;
    }
    if (rc != 0 || exists)
        remove_tree(tmp);
    signal_cleanup_forget(slot);
    json_decref(old);
    if (rc != 0) {
        fprintf(stderr, "mha report: %s\n", err);
        rep_free(&d);
        free(inputs);
        return EXIT_FAILED;
    }
    printf("mha report: %d implementation column(s), %d machine(s), %d runs -> %s/README.md\n", d.n_series,
           d.n_machines, d.n_runs, dir);
    rep_free(&d);
    free(inputs);
    return EXIT_OK;
}
