/* mha vectors generate|verify|export: the golden vectors of the conformance suite. */
#include "atomic_file.h"
#include "cli.h"
#include "conformance/hashing.h"
#include "conformance/vectors.h"
#include "err_text.h"
#include "mha.h"
#include "vectors_export.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct vectors_options {
    const char *dir, *vectors;
    int force;
} vectors_options;

static const cli_option options[] = {
    {"dir", 0, CLI_STRING, offsetof(vectors_options, dir), "DIR", "vectors directory (default " MHA_VECTORS_DIR ")",
     0, 0, NULL},
    {"force", 0, CLI_FLAG, offsetof(vectors_options, force), NULL,
     "generate: overwrite existing vectors; export: write into a non-empty OUT", 0, 0, NULL},
    {"vectors", 0, CLI_STRING, offsetof(vectors_options, vectors), "DIR",
     "export: the stored vectors (default " MHA_VECTORS_DIR ",\nor " MHA_VECTORS_INSTALL_DIR
     " when that does not exist)", 0, 0, NULL},
};

const cli_command cli_vectors = {
    "vectors",
    "mha vectors generate [--dir DIR] [--force]\n"
    "       mha vectors verify [--dir DIR]\n"
    "       mha vectors export OUT [--vectors DIR] [--force]",
    "generate  recreates every stored case from its seed and recipe: the .npy files,\n"
    "          MANIFEST and MANIFEST.xxh3. Refuses to overwrite an existing MANIFEST\n"
    "          without --force. The output is byte-identical on every run.\n"
    "verify    checks MANIFEST against MANIFEST.xxh3, every file against its XXH3-128 in\n"
    "          the manifest (missing, corrupted), and every record and hash against what\n"
    "          the generator makes now (stale). Names every bad file; exit 1 if any.\n"
    "export    writes every case a port is checked on (the stored ones from DIR, the large\n"
    "          ones and the property checks' inputs computed now) into the folder OUT with\n"
    "          float64 references, absolute tolerances and OUT/index.json, for a port's\n"
    "          own test runner (format: docs/porting-protocol.md). OUT must be new or\n"
    "          empty unless --force. About 5 s of CPU, most of it the large references.",
    options,
    sizeof options / sizeof options[0],
    NULL,
    2, /* the action, and export's OUT */
};

static int mkdirs(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0777) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

static int write_manifest(const char *dir, const manifest *m)
{
    size_t len;
    char *text = manifest_format(m, &len), path[4096], hex[33], line[128];
    if (!text) {
        fprintf(stderr, "mha vectors: out of memory\n");
        return -1;
    }
    hash_bytes(text, len, hex);
    int n = snprintf(line, sizeof line, "%s  MANIFEST\n", hex);
    char err[ERR_TEXT_SIZE];
    int rc = atomic_write(path_join(path, sizeof path, dir, "MANIFEST"), text, len, err, sizeof err);
    if (!rc)
        rc = atomic_write(path_join(path, sizeof path, dir, "MANIFEST.xxh3"), line, (size_t)n, err, sizeof err);
    if (rc)
        fprintf(stderr, "mha vectors: %s\n", err);
    free(text);
    return rc;
}

static int generate(const char *dir, int force)
{
    char path[4096], err[512];
    struct stat st;
    if (!force && stat(path_join(path, sizeof path, dir, "MANIFEST"), &st) == 0) {
        fprintf(stderr, "mha vectors generate: %s exists; pass --force to overwrite the vectors in %s\n", path, dir);
        return EXIT_FAILED;
    }
    if (mkdirs(dir)) {
        fprintf(stderr, "mha vectors generate: cannot create %s: %s\n", dir, strerror(errno));
        return EXIT_FAILED;
    }
    size_t n;
    const conf_case *all = cases_all(&n);
    manifest m = {MANIFEST_VERSION, TOL_FACTOR, TOL_FLOOR, 0, calloc(n, sizeof(manifest_case))};
    if (!m.cases)
        return EXIT_FAILED;
    int rc = EXIT_FAILED;
    for (size_t i = 0; i < n; i++) {
        if (all[i].large)
            continue;
        case_data d;
        if (case_compute(&all[i], &d, err, sizeof err)) {
            fprintf(stderr, "mha vectors generate: %s\n", err);
            goto done;
        }
        int bad = vectors_encode_case(&d, &m.cases[m.count], dir, err, sizeof err);
        case_data_free(&d);
        if (bad) {
            fprintf(stderr, "mha vectors generate: %s\n", err);
            goto done;
        }
        m.count++;
    }
    if (write_manifest(dir, &m))
        goto done;
    printf("mha vectors generate: %zu cases written to %s\n", m.count, dir);
    rc = EXIT_OK;
done:
    manifest_free(&m);
    return rc;
}

static int verify(const char *dir)
{
    char err[1024], path[4096], hex[33], herr[ERR_TEXT_SIZE];
    manifest m;
    if (vectors_load_manifest(dir, &m, err, sizeof err)) {
        fprintf(stderr, "mha vectors verify: %s\n", err);
        return EXIT_FAILED;
    }
    int problems = 0;
    size_t files = 0, bytes = 0;
    for (size_t i = 0; i < m.count; i++) {
        const manifest_case *mc = &m.cases[i];
        for (int f = 0; f < mc->nfiles; f++) {
            const manifest_file *mf = &mc->files[f];
            path_join(path, sizeof path, dir, mf->name);
            struct stat st;
            files++;
            if (stat(path, &st) != 0) {
                printf("MISSING    %s (case %s, %s)\n", path, mc->c.id, mf->role);
                problems++;
                continue;
            }
            if (hash_file(path, hex, herr, sizeof herr) != 0) {
                printf("UNREADABLE %s (case %s, %s)\n", herr, mc->c.id, mf->role);
                problems++;
                continue;
            }
            bytes += (size_t)st.st_size;
            if (strcmp(hex, mf->xxh3) != 0) {
                printf("CORRUPTED  %s (case %s, %s): XXH3-128 %s, manifest says %s\n", path, mc->c.id, mf->role,
                       hex, mf->xxh3);
                problems++;
            }
        }
    }
    /* stale: the generator now makes something else */
    size_t n;
    const conf_case *all = cases_all(&n);
    for (size_t i = 0; i < n; i++) {
        if (all[i].large)
            continue;
        const manifest_case *mc = NULL;
        for (size_t j = 0; j < m.count && !mc; j++)
            if (strcmp(m.cases[j].c.id, all[i].id) == 0)
                mc = &m.cases[j];
        if (!mc) {
            printf("STALE      case %s is not in %s/MANIFEST (regenerate)\n", all[i].id, dir);
            problems++;
            continue;
        }
        case_data d;
        manifest_case now;
        if (case_compute(&all[i], &d, err, sizeof err) || vectors_encode_case(&d, &now, NULL, err, sizeof err)) {
            printf("ERROR      %s\n", err);
            problems++;
            continue;
        }
        case_data_free(&d);
        size_t a_len, b_len;
        manifest one_old = {MANIFEST_VERSION, 0, 0, 1, (manifest_case *)mc}, one_new = {MANIFEST_VERSION, 0, 0, 1, &now};
        char *a = manifest_format(&one_old, &a_len), *b = manifest_format(&one_new, &b_len);
        if (a && b && (a_len != b_len || memcmp(a, b, a_len) != 0)) {
            for (int f = 0; f < now.nfiles; f++) {
                const manifest_file *old = manifest_file_role(mc, now.files[f].role);
                if (!old || strcmp(old->xxh3, now.files[f].xxh3) != 0)
                    printf("STALE      %s/%s (case %s): the generator now makes XXH3-128 %s\n", dir,
                           now.files[f].name, all[i].id, now.files[f].xxh3);
            }
            printf("STALE      case %s: its manifest record differs from what the generator makes now\n", all[i].id);
            problems++;
        }
        free(a);
        free(b);
    }
    for (size_t j = 0; j < m.count; j++)
        if (!cases_find(m.cases[j].c.id) || cases_find(m.cases[j].c.id)->large) {
            printf("STALE      case %s is in the manifest but no longer generated\n", m.cases[j].c.id);
            problems++;
        }
    manifest_free(&m);
    if (problems) {
        printf("mha vectors verify: %d problem(s) in %s\n", problems, dir);
        return EXIT_FAILED;
    }
    printf("mha vectors verify: %s: MANIFEST and %zu files (%.1f MB) intact and current\n", dir, files,
           (double)bytes / 1e6);
    return EXIT_OK;
}

MHA_CMD_FN(cmd_vectors)
{
    vectors_options o = {MHA_VECTORS_DIR, NULL, 0};
    const char *positional[2];
    int npos;
    const int parsed = cli_parse(&cli_vectors, argc, argv, &o, positional, &npos);
    if (parsed != CLI_RUN)
        return parsed;
    const char *dir = o.dir, *vectors = o.vectors, *action = npos > 0 ? positional[0] : NULL;
    const char *out = npos > 1 ? positional[1] : NULL;
    const int force = o.force;
    if (action && strcmp(action, "generate") != 0 && strcmp(action, "verify") != 0 && strcmp(action, "export") != 0)
        return cli_usage_error("vectors", "unknown argument '%s'", action);
    if (out && strcmp(action, "export") != 0)
        return cli_usage_error("vectors", "unknown argument '%s'", out);
    if (!action)
        return cli_usage_error("vectors", "expected 'generate', 'verify' or 'export'");
    if (strcmp(action, "export") == 0) {
        if (!out)
            return cli_usage_error("vectors", "export needs the folder to write, e.g. 'mha vectors export out/'");
        struct stat st;
        char path[4096];
        if (!vectors) /* like mha check: the source tree's vectors, else the installed ones */
            vectors = stat(path_join(path, sizeof path, MHA_VECTORS_DIR, "MANIFEST"), &st) == 0
                          ? MHA_VECTORS_DIR
                          : MHA_VECTORS_INSTALL_DIR;
        return vectors_export(vectors, out, force) ? EXIT_FAILED : EXIT_OK;
    }
    if (vectors)
        return cli_usage_error("vectors", "--vectors only applies to export (generate and verify take --dir)");
    if (strcmp(action, "generate") == 0)
        return generate(dir, force);
    if (force)
        return cli_usage_error("vectors", "--force only applies to generate");
    return verify(dir);
}
