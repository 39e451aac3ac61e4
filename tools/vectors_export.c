/* mha vectors export: see vectors_export.h. */
#include "vectors_export.h"

#include "atomic_file.h"
#include "conformance/tolerance.h"
#include "internal.h"
#include "npy.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Encodes one array and writes it through the atomic writer. 0 or -1 with err. */
static int write_npy(const char *dir, const char *name, npy_dtype dtype, const int64_t shape[4], const void *data,
                     char *err, size_t err_size)
{
    char path[4200];
    void *bytes;
    size_t size;
    path_join(path, sizeof path, dir, name);
    if (npy_encode(dtype, 4, shape, data, &bytes, &size)) {
        snprintf(err, err_size, "%s: cannot encode (out of memory)", path);
        return -1;
    }
    atomic_file a;
    int rc = atomic_open(&a, path, err, err_size);
    if (!rc && fwrite(bytes, 1, size, a.f) != size) {
        snprintf(err, err_size, "%.1000s: write failed: %s", a.tmp, strerror(errno));
        atomic_abort(&a);
        rc = -1;
    } else if (!rc) {
        rc = atomic_commit(&a, err, err_size);
    }
    free(bytes);
    return rc;
}

static json_t *shape_object(const mha_shape *s)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "B", (json_int_t)s->batch, "H", (json_int_t)s->heads, "Hkv",
                     (json_int_t)s->kv_heads, "Sq", (json_int_t)s->q_len, "Skv", (json_int_t)s->kv_len, "Dh",
                     (json_int_t)s->head_dim);
}

int export_case(const char *dir, const case_data *d, const char *kind, int inputs_written, double factor,
                double floor, json_t *cases, char *err, size_t err_size)
{
    const conf_case *c = &d->c;
    const mha_shape *s = &c->shape;
    const int64_t B = s->batch, H = s->heads, Hkv = s->kv_heads, Sq = s->q_len, Skv = s->kv_len, Dh = s->head_dim;
    const int64_t qs[4] = {B, Sq, H, Dh}, kvs[4] = {B, Skv, Hkv, Dh}, ps[4] = {B, H, Sq, Skv},
                  ms[4] = {d->in.mask_b, d->in.mask_h, Sq, Skv};
    char q[80], k[80], v[80], mask[80], out[80], probs[80];
    snprintf(q, sizeof q, "%s.q.npy", c->id);
    snprintf(k, sizeof k, "%s.k.npy", c->id);
    snprintf(v, sizeof v, "%s.v.npy", c->id);
    snprintf(mask, sizeof mask, "%s.mask.npy", c->id);
    snprintf(out, sizeof out, "%s.out.npy", c->id);
    snprintf(probs, sizeof probs, "%s.probs.npy", c->id);
    if (!inputs_written &&
        (write_npy(dir, q, NPY_F32, qs, d->in.q, err, err_size) || write_npy(dir, k, NPY_F32, kvs, d->in.k, err, err_size) ||
         write_npy(dir, v, NPY_F32, kvs, d->in.v, err, err_size) ||
         (d->in.mask && write_npy(dir, mask, NPY_F32, ms, d->in.mask, err, err_size))))
        return -1;
    if (write_npy(dir, out, NPY_F64, qs, d->ref_out, err, err_size) ||
        (d->ref_probs && write_npy(dir, probs, NPY_F64, ps, d->ref_probs, err, err_size)))
        return -1;
    /* the absolute tolerances exactly as `mha check` judges (runner.c: judge()) */
    const double tol_out = tolerance_of(factor, floor, d->err_out, d->max_abs_v),
                 tol_probs = tolerance_of(factor, floor, d->err_probs, 1.0);
    json_t *rec = json_pack("{s:s, s:s, s:s, s:o, s:f, s:b, s:s, s:s, s:s, s:o, s:s, s:o, s:{s:f, s:o}, s:{s:f, s:f}, s:f}",
                            "id", c->id, "group", c->group, "kind", kind, "shape", shape_object(s), "scale",
                            (double)mha_resolve_scale(c->scale, Dh), "causal", c->causal != 0, "q", q, "k", k, "v", v,
                            "mask", d->in.mask ? json_string(mask) : json_null(), "out", out, "probs",
                            d->ref_probs ? json_string(probs) : json_null(), "tolerance", "out", tol_out, "probs",
                            d->ref_probs ? json_real(tol_probs) : json_null(), "err_fp32", "out", d->err_out, "probs",
                            d->err_probs, "max_abs_v", d->max_abs_v);
    if (!rec || json_array_append_new(cases, rec)) {
        snprintf(err, err_size, "%s: out of memory", c->id);
        return -1;
    }
    return 0;
}

/* 0 if dir may be written (missing: created; empty; or force), else -1 after saying why. */
static int prepare_dir(const char *dir, int force)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT && mkdir(dir, 0777) == 0)
            return 0;
        fprintf(stderr, "mha vectors export: %s: cannot %s: %s\n", dir, errno == ENOENT ? "create" : "open",
                strerror(errno));
        return -1;
    }
    const char *first = NULL;
    for (struct dirent *e; !first && (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            first = e->d_name;
    if (first && !force) {
        fprintf(stderr, "mha vectors export: %s is not empty (it holds %s); choose a new or empty folder, "
                        "or pass --force to write into it (files of the same name are replaced)\n",
                dir, first);
        closedir(d);
        return -1;
    }
    closedir(d);
    return 0;
}

/* The rule every record's tolerance is used with (runner.c: judge(), tolerance.c: compare_values()). */
static const char *const rule =
    "An output element passes when |got - want| <= tolerance (want is the float64 reference); where want is NaN, "
    "got must be NaN; where got is NaN or infinite, want must be the same. tolerance = factor x err_fp32 + floor x "
    "magnitude x FLT_EPSILON, magnitude max_abs_v for out and 1 for probs, err_fp32 the plain fp32 algorithm's "
    "max error on the case (precomputed in 'tolerance').";

static int write_index(const char *dir, const char *vectors_dir, double factor, double floor, json_t *cases)
{
    char path[4200], err[1024];
    json_t *index = json_pack("{s:s, s:i, s:s, s:s, s:{s:f, s:f, s:s}, s:s, s:O}", "format", "mhalab-vectors-export",
                              "version", EXPORT_FORMAT_VERSION, "mhalab", MHA_VERSION_STRING, "vectors", vectors_dir,
                              "tolerance", "factor", factor, "floor", floor, "rule", rule, "layout",
                              "q (B, Sq, H, Dh), k and v (B, Skv, Hkv, Dh), mask (mask_b, mask_h, Sq, Skv) float32; "
                              "out (B, Sq, H, Dh) and probs (B, H, Sq, Skv) float64 references; all C order",
                              "cases", cases);
    atomic_file a;
    int rc = !index || atomic_open(&a, path_join(path, sizeof path, dir, "index.json"), err, sizeof err);
    if (!rc && json_dumpf(index, a.f, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) != 0) {
        snprintf(err, sizeof err, "%.1000s: write failed", a.tmp);
        atomic_abort(&a);
        rc = -1;
    } else if (!rc) {
        rc = fputc('\n', a.f) == EOF || atomic_commit(&a, err, sizeof err);
    }
    if (rc)
        fprintf(stderr, "mha vectors export: %s\n", index ? err : "out of memory");
    json_decref(index);
    return rc ? -1 : 0;
}

int vectors_export(const char *vectors_dir, const char *out_dir, int force)
{
    char err[1024] = "";
    manifest m;
    if (vectors_load_manifest(vectors_dir, &m, err, sizeof err)) {
        fprintf(stderr, "mha vectors export: %s\n", err);
        return -1;
    }
    json_t *cases = json_array();
    int rc = prepare_dir(out_dir, force) || !cases ? -1 : 0;
    size_t stored = 0, large = 0, low_precision = 0;
    for (size_t i = 0; !rc && i < m.count; i++) {
        if (m.cases[i].c.dtype != MHA_F32) { /* the export format (and the --exec protocol) is fp32 */
            low_precision++;
            continue;
        }
        case_data d;
        rc = vectors_load_case(vectors_dir, &m, &m.cases[i], &d, err, sizeof err);
        if (!rc) {
            rc = export_case(out_dir, &d, "stored", 0, m.factor, m.floor, cases, err, sizeof err);
            case_data_free(&d);
            stored++;
        }
    }
    size_t n;
    const conf_case *all = cases_all(&n);
    for (size_t i = 0; !rc && i < n; i++) {
        if (!all[i].large)
            continue;
        case_data d;
        printf("computing the float64 reference of %s\n", all[i].id);
        fflush(stdout);
        rc = case_compute(&all[i], &d, err, sizeof err);
        if (!rc) {
            rc = export_case(out_dir, &d, "large", 0, m.factor, m.floor, cases, err, sizeof err);
            case_data_free(&d);
            large++;
        }
    }
    const size_t before = cases ? json_array_size(cases) : 0;
    if (!rc)
        rc = export_props(out_dir, m.factor, m.floor, cases, err, sizeof err);
    if (rc && err[0])
        fprintf(stderr, "mha vectors export: %s\n", err);
    if (!rc)
        rc = write_index(out_dir, vectors_dir, m.factor, m.floor, cases);
    if (!rc)
        printf("mha vectors export: %zu cases (%zu stored, %zu large, %zu from the property checks) and index.json "
               "written to %s; %zu bf16/fp16 cases left out (the format is fp32)\n",
               json_array_size(cases), stored, large, json_array_size(cases) - before, out_dir, low_precision);
    json_decref(cases);
    manifest_free(&m);
    return rc;
}
