/* The files of a heatmap run; see heatmap_files.h. */
#include "heatmap_files.h"

#include "atomic_file.h"
#include "npy.h"
#include "path_ident.h"
#include "scene.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int write_picture(const hm_picture *p, FILE *f, int png, char *err, size_t err_size)
{
    scene s;
    int rc = -1;
    if (hm_layout(p, &s))
        snprintf(err, err_size, "out of memory while laying out the picture");
#ifdef MHA_HAVE_CAIRO
    else
        rc = png ? scene_write_png(&s, f, HM_PNG_SCALE, err, err_size) : scene_write_svg(&s, f);
#else
    else if (png)
        snprintf(err, err_size, "this mha was built without cairo: SVG only");
    else
        rc = scene_write_svg(&s, f);
#endif
    scene_free(&s);
    return rc;
}

static int write_npy(const hm_experiment *ex, FILE *f)
{
    const int64_t shape[3] = {ex->heads, ex->T, ex->T};
    void *bytes;
    size_t size;
    if (npy_encode(NPY_F32, 3, shape, ex->probs, &bytes, &size))
        return -1;
    const int rc = fwrite(bytes, 1, size, f) == size ? 0 : -1;
    free(bytes);
    return rc;
}

/* One CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int write_csv(const hm_experiment *ex, FILE *f)
{
    fputs("head,query,key,query_token,key_token,probability\n", f);
    const int64_t T = ex->T;
    for (int64_t h = 0; h < ex->heads; h++)
        for (int64_t i = 0; i < T; i++)
            for (int64_t j = 0; j < T; j++) {
                fprintf(f, "%lld,%lld,%lld,", (long long)h, (long long)i, (long long)j);
                csv_field(f, ex->tok.tok[i]);
                fputc(',', f);
                csv_field(f, ex->tok.tok[j]);
                fprintf(f, ",%.9g\n", (double)ex->probs[(h * T + i) * T + j]); /* 9 digits round-trip a float */
            }
    return ferror(f) ? -1 : 0;
}

int hm_write_files(const hm_files *o, char *err, size_t err_size)
{
    enum { PICTURE, NPY, CSV, MANIFEST, COUNT };
    const char *path[COUNT] = {o->image, o->npy, o->csv, o->manifest_path};
    for (int a = 0; a < COUNT; a++)
        for (int b = a + 1; b < COUNT; b++)
            if (path[a] && path[b] && path_same_file(path[a], path[b])) {
                snprintf(err, err_size, "%s: named for two outputs; give each output its own file", path[b]);
                return -1;
            }
    atomic_file files[COUNT];
    atomic_file *open[COUNT];
    int n = 0, rc = 0;
    for (int k = 0; k < COUNT && rc == 0; k++) {
        if (!path[k])
            continue;
        if (atomic_open(&files[n], path[k], err, err_size)) {
            rc = -1;
            break;
        }
        open[n] = &files[n];
        FILE *f = files[n++].f;
        char why[512] = "write failed";
        int bad = k == PICTURE ? write_picture(o->picture, f, ends_with(path[k], ".png"), why, sizeof why)
                  : k == NPY   ? write_npy(o->ex, f)
                  : k == CSV   ? write_csv(o->ex, f)
                               : hm_manifest_dump(o->manifest, f);
        if (bad || ferror(f)) {
            snprintf(err, err_size, "%s: %s", path[k], why);
            rc = -1;
        }
    }
    if (rc == 0)
        return atomic_commit_all(open, n, err, err_size);
    for (int k = 0; k < n; k++)
        atomic_abort(open[k]);
    return -1;
}
