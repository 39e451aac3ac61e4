/* Computing, encoding and loading golden vectors. */
#include "vectors.h"

#include "hashing.h"
#include "tools/atomic_file.h"
#include "tools/err_text.h"
#include "tools/npy.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *path_join(char *buf, size_t size, const char *dir, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
    return buf;
}

void case_data_free(case_data *d)
{
    case_free_inputs(&d->in);
    free(d->ref_out);
    free(d->ref_probs);
    memset(d, 0, sizeof *d);
}

int case_data_narrow(const case_data *d, uint16_t *narrow[3])
{
    const float *src[3] = {d->in.q, d->in.k, d->in.v};
    const size_t n[3] = {case_q_count(&d->c.shape), case_kv_count(&d->c.shape), case_kv_count(&d->c.shape)};
    narrow[0] = narrow[1] = narrow[2] = NULL;
    if (d->c.dtype == MHA_F32)
        return 0;
    for (int i = 0; i < 3; i++) {
        narrow[i] = malloc(n[i] * sizeof *narrow[i]);
        if (!narrow[i])
            return -1;
        case_narrow(d->c.dtype, src[i], narrow[i], n[i]);
    }
    return 0;
}

mha_args case_data_args(const case_data *d, uint16_t *const narrow[3])
{
    mha_args a = case_args(&d->c, &d->in);
    if (d->c.dtype != MHA_F32) {
        a.q = narrow[0];
        a.k = narrow[1];
        a.v = narrow[2];
    }
    return a;
}

int case_measure_fp32(case_data *d, char *err, size_t err_size)
{
    const mha_shape *s = &d->c.shape;
    const size_t nkv = case_kv_count(s);
    d->max_abs_v = 0;
    for (size_t e = 0; e < nkv; e++)
        if (!isnan(d->in.v[e]) && fabs((double)d->in.v[e]) > d->max_abs_v)
            d->max_abs_v = fabs((double)d->in.v[e]);

    char why[256];
    uint16_t *narrow[3];
    int rc = -1;
    if (case_data_narrow(d, narrow)) {
        snprintf(err, err_size, "%s: out of memory", d->c.id);
        goto done;
    }
    mha_args a = case_data_args(d, narrow);
    if (measure_err_fp32(&a, d->ref_out, d->ref_probs, &d->err_out, &d->err_probs, why, sizeof why)) {
        snprintf(err, err_size, "%s: %s", d->c.id, why);
        goto done;
    }
    rc = 0;
done:
    for (int i = 0; i < 3; i++)
        free(narrow[i]);
    return rc;
}

int case_compute(const conf_case *c, case_data *d, char *err, size_t err_size)
{
    memset(d, 0, sizeof *d);
    d->c = *c;
    const mha_shape *s = &c->shape;
    if (case_make_inputs(c, &d->in)) {
        snprintf(err, err_size, "%s: recipe '%s' unknown or out of memory", c->id, c->recipe);
        return -1;
    }
    d->ref_out = malloc(case_out_count(s) * sizeof(double));
    d->ref_probs = c->large ? NULL : malloc(case_probs_count(s) * sizeof(double));
    if (!d->ref_out || (!c->large && !d->ref_probs)) {
        snprintf(err, err_size, "%s: out of memory for the reference", c->id);
        case_data_free(d);
        return -1;
    }
    uint16_t *narrow[3];
    if (case_data_narrow(d, narrow)) {
        snprintf(err, err_size, "%s: out of memory", c->id);
        for (int i = 0; i < 3; i++)
            free(narrow[i]);
        case_data_free(d);
        return -1;
    }
    mha_args a = case_data_args(d, narrow); /* a bf16 or fp16 case: the reference reads the 16-bit patterns */
    a.threads = 1; /* `mha check` forks after this: no OpenMP thread pool may exist yet */
    a.out = d->ref_out; /* validation wants an out view; the reference writes only its double buffers */
    const mha_status st = mha_reference(&a, d->ref_out, d->ref_probs);
    for (int i = 0; i < 3; i++)
        free(narrow[i]);
    if (st != MHA_OK) {
        snprintf(err, err_size, "%s: reference: %s", c->id, mha_last_error());
        case_data_free(d);
        return -1;
    }
    if (case_measure_fp32(d, err, err_size)) {
        case_data_free(d);
        return -1;
    }
    return 0;
}

/* The manifest's name of a file dtype: f32, f64, f16, bf16 (stored as '<u2' bit patterns). */
static const char *file_dtype_name(npy_dtype dt)
{
    switch (dt) {
    case NPY_F32: return "f32";
    case NPY_F64: return "f64";
    case NPY_F16: return "f16";
    case NPY_U16: return "bf16";
    }
    return "?";
}

/* The .npy dtype of Q, K and V of a case of dtype. */
static npy_dtype input_file_dtype(mha_dtype dtype)
{
    return dtype == MHA_BF16 ? NPY_U16 : dtype == MHA_F16 ? NPY_F16 : NPY_F32;
}

/* One file: encode, hash, record, maybe write. */
static int emit(manifest_case *mc, const char *role, npy_dtype dt, int ndim, const int64_t *shape, const void *data,
                const char *dir, char *err, size_t err_size)
{
    manifest_file *f = &mc->files[mc->nfiles++];
    memset(f, 0, sizeof *f);
    snprintf(f->role, sizeof f->role, "%s", role);
    char id[sizeof mc->c.id];
    memcpy(id, mc->c.id, sizeof id);
    snprintf(f->name, sizeof f->name, "%s.%s.npy", id, role);
    snprintf(f->dtype, sizeof f->dtype, "%s", file_dtype_name(dt));
    f->ndim = ndim;
    memcpy(f->shape, shape, (size_t)ndim * sizeof *shape);
    void *bytes;
    size_t size;
    if (npy_encode(dt, ndim, shape, data, &bytes, &size)) {
        snprintf(err, err_size, "%s: cannot encode", f->name);
        return -1;
    }
    hash_bytes(bytes, size, f->xxh3);
    int rc = 0;
    if (dir) {
        char path[4096];
        rc = atomic_write(path_join(path, sizeof path, dir, f->name), bytes, size, err, err_size);
    }
    free(bytes);
    return rc;
}

/* An input of dtype: fp32 as it is, bf16 and fp16 as their 16-bit patterns (through scratch, n elements). */
static int emit_input(manifest_case *mc, const char *role, mha_dtype dtype, const int64_t *shape, const float *x,
                      size_t n, uint16_t *scratch, const char *dir, char *err, size_t err_size)
{
    if (dtype == MHA_F32)
        return emit(mc, role, NPY_F32, 4, shape, x, dir, err, err_size);
    case_narrow(dtype, x, scratch, n);
    return emit(mc, role, input_file_dtype(dtype), 4, shape, scratch, dir, err, err_size);
}

int vectors_encode_case(const case_data *d, manifest_case *mc, const char *dir, char *err, size_t err_size)
{
    memset(mc, 0, sizeof *mc);
    mc->c = d->c;
    mc->max_abs_v = d->max_abs_v;
    mc->err_out = d->err_out;
    mc->err_probs = d->err_probs;
    const mha_shape *s = &d->c.shape;
    const int L = d->c.layout;
    const int64_t B = s->batch, H = s->heads, Hkv = s->kv_heads, Sq = s->q_len, Skv = s->kv_len, Dh = s->head_dim;
    /* inputs in layout order: bshd (B, S, H, Dh), bhsd (B, H, S, Dh) */
    const int64_t q_shape[4] = {B, L ? H : Sq, L ? Sq : H, Dh}, kv_shape[4] = {B, L ? Hkv : Skv, L ? Skv : Hkv, Dh};
    const size_t nq = case_q_count(s), nkv = case_kv_count(s);
    float *q = malloc(nq * sizeof *q), *k = malloc(nkv * sizeof *k), *v = malloc(nkv * sizeof *v);
    uint16_t *narrow = malloc((nq > nkv ? nq : nkv) * sizeof *narrow);
    int rc = -1;
    if (!q || !k || !v || !narrow) {
        snprintf(err, err_size, "%s: out of memory", d->c.id);
        goto done;
    }
    case_to_layout(d->in.q, q, B, Sq, H, Dh, L);
    case_to_layout(d->in.k, k, B, Skv, Hkv, Dh, L);
    case_to_layout(d->in.v, v, B, Skv, Hkv, Dh, L);
    const int64_t mask_shape[4] = {d->in.mask_b, d->in.mask_h, Sq, Skv};
    const int64_t out_shape[4] = {B, Sq, H, Dh}, probs_shape[4] = {B, H, Sq, Skv};
    if (emit_input(mc, "q", d->c.dtype, q_shape, q, nq, narrow, dir, err, err_size) ||
        emit_input(mc, "k", d->c.dtype, kv_shape, k, nkv, narrow, dir, err, err_size) ||
        emit_input(mc, "v", d->c.dtype, kv_shape, v, nkv, narrow, dir, err, err_size) ||
        (d->in.mask && emit(mc, "mask", NPY_F32, 4, mask_shape, d->in.mask, dir, err, err_size)) ||
        emit(mc, "out", NPY_F64, 4, out_shape, d->ref_out, dir, err, err_size) ||
        emit(mc, "probs", NPY_F64, 4, probs_shape, d->ref_probs, dir, err, err_size))
        goto done;
    rc = 0;
done:
    free(q);
    free(k);
    free(v);
    free(narrow);
    return rc;
}

int vectors_load_manifest(const char *dir, manifest *m, char *err, size_t err_size)
{
    char path[4096], hpath[4096];
    void *text = NULL, *htext = NULL;
    size_t len, hlen;
    path_join(path, sizeof path, dir, "MANIFEST");
    path_join(hpath, sizeof hpath, dir, "MANIFEST.xxh3");
    char rerr[ERR_TEXT_SIZE];
    if (read_file(path, &text, &len, rerr, sizeof rerr)) {
        snprintf(err, err_size, "%s; generate with 'mha vectors generate'", rerr);
        return -1;
    }
    int rc = -1;
    if (read_file(hpath, &htext, &hlen, err, err_size))
        goto done;
    char hex[33];
    hash_bytes(text, len, hex);
    /* MANIFEST.xxh3 is "<32 hex>  MANIFEST\n" */
    if (hlen < 32 || memcmp(htext, hex, 32) != 0) {
        err_path(err, err_size, path, "corrupted or edited: its XXH3-128 is %s, %s says %.32s", hex, hpath,
                 hlen >= 32 ? (const char *)htext : "(too short)");
        goto done;
    }
    char perr[256];
    if (manifest_parse(text, len, m, perr, sizeof perr)) {
        err_path(err, err_size, path, "%s", perr);
        goto done;
    }
    rc = 0;
done:
    free(text);
    free(htext);
    return rc;
}

static int load_file(const char *dir, const manifest_case *mc, const char *role, npy_array *arr, char *err,
                     size_t err_size)
{
    const manifest_file *f = manifest_file_role(mc, role);
    if (!f) {
        snprintf(err, err_size, "case %s: the manifest lists no %s file", mc->c.id, role);
        return -1;
    }
    char path[4096], hex[33], perr[256];
    void *bytes;
    size_t size;
    path_join(path, sizeof path, dir, f->name);
    if (read_file(path, &bytes, &size, err, err_size))
        return -1;
    hash_bytes(bytes, size, hex);
    if (strcmp(hex, f->xxh3) != 0) {
        err_path(err, err_size, path, "corrupted or stale: XXH3-128 %s, the manifest says %s", hex, f->xxh3);
        free(bytes);
        return -1;
    }
    int rc = npy_parse(bytes, size, arr, perr, sizeof perr);
    free(bytes);
    if (rc) {
        err_path(err, err_size, path, "%s", perr);
        return -1;
    }
    int ok = arr->ndim == f->ndim && strcmp(file_dtype_name(arr->dtype), f->dtype) == 0;
    for (int i = 0; ok && i < f->ndim; i++)
        ok = arr->shape[i] == f->shape[i];
    if (!ok) {
        err_path(err, err_size, path, "dtype or shape differs from the manifest");
        npy_free(arr);
        return -1;
    }
    return 0;
}

int vectors_load_case(const char *dir, const manifest *m, const manifest_case *mc, case_data *d, char *err,
                      size_t err_size)
{
    (void)m;
    memset(d, 0, sizeof *d);
    d->c = mc->c;
    d->max_abs_v = mc->max_abs_v;
    d->err_out = mc->err_out;
    d->err_probs = mc->err_probs;
    const mha_shape *s = &mc->c.shape;
    const int L = mc->c.layout;
    const int64_t B = s->batch, H = s->heads, Hkv = s->kv_heads, Sq = s->q_len, Skv = s->kv_len, Dh = s->head_dim;
    const int64_t want[6][4] = {{B, L ? H : Sq, L ? Sq : H, Dh}, {B, L ? Hkv : Skv, L ? Skv : Hkv, Dh},
                                {B, L ? Hkv : Skv, L ? Skv : Hkv, Dh}, {0, 0, Sq, Skv}, {B, Sq, H, Dh},
                                {B, H, Sq, Skv}};
    static const char *const roles[6] = {"q", "k", "v", "mask", "out", "probs"};
    npy_array arr[6];
    memset(arr, 0, sizeof arr);
    int rc = -1;
    for (int r = 0; r < 6; r++) {
        if (r == 3 && mc->c.mask == MASK_NONE)
            continue;
        if (load_file(dir, mc, roles[r], &arr[r], err, err_size))
            goto done;
        int ok = 1;
        for (int i = 0; i < 4; i++)
            ok &= r == 3 && i < 2 ? 1 : arr[r].shape[i] == want[r][i];
        if (r == 3)
            ok &= (arr[3].shape[0] == 1 || arr[3].shape[0] == B) && (arr[3].shape[1] == 1 || arr[3].shape[1] == H);
        const npy_dtype want_dt = r < 3 ? input_file_dtype(mc->c.dtype) : r == 3 ? NPY_F32 : NPY_F64;
        if (!ok || arr[r].ndim != 4 || arr[r].dtype != want_dt) {
            snprintf(err, err_size, "case %s: file %s has a dtype or shape that does not fit the case's shape",
                     mc->c.id, manifest_file_role(mc, roles[r])->name);
            goto done;
        }
    }
    d->in.q = malloc(case_q_count(s) * sizeof(float));
    d->in.k = malloc(case_kv_count(s) * sizeof(float));
    d->in.v = malloc(case_kv_count(s) * sizeof(float));
    if (!d->in.q || !d->in.k || !d->in.v) {
        snprintf(err, err_size, "case %s: out of memory", mc->c.id);
        goto done;
    }
    float *in[3] = {d->in.q, d->in.k, d->in.v};
    const int64_t S[3] = {Sq, Skv, Skv}, heads[3] = {H, Hkv, Hkv};
    for (int r = 0; r < 3; r++) {
        float *f32 = npy_to_f32(&arr[r]); /* f32 as it is; f16 exactly; bf16 patterns widened below */
        if (!f32) {
            snprintf(err, err_size, "case %s: out of memory", mc->c.id);
            goto done;
        }
        if (mc->c.dtype == MHA_BF16)
            case_widen(MHA_BF16, arr[r].data, f32, arr[r].count);
        case_from_layout(f32, in[r], B, S[r], heads[r], Dh, L);
        free(f32);
    }
    if (arr[3].data) {
        d->in.mask = arr[3].data;
        d->in.mask_b = arr[3].shape[0];
        d->in.mask_h = arr[3].shape[1];
        arr[3].data = NULL;
    }
    d->ref_out = arr[4].data;
    d->ref_probs = arr[5].data;
    arr[4].data = arr[5].data = NULL;
    rc = 0;
done:
    for (int r = 0; r < 6; r++)
        npy_free(&arr[r]);
    if (rc)
        case_data_free(d);
    return rc;
}
