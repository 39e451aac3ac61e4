/* The files of one --exec request: see exec_port_files.h. */
#include "exec_port_files.h"

#include "internal.h"
#include "tools/npy.h"
#include "vectors.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int exec_files_make_dir(char *dir, size_t size, char *why, size_t why_size)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, size, "%s/mha-exec-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        snprintf(why, why_size, "cannot create a private folder %s: %s", dir, strerror(errno));
        dir[0] = '\0';
        return -1;
    }
    return 0;
}

void exec_files_remove_dir(const char *dir)
{
    if (!dir[0])
        return;
    DIR *d = opendir(dir);
    char path[4200];
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlink(path_join(path, sizeof path, dir, e->d_name));
    if (d)
        closedir(d);
    rmdir(dir);
}

void exec_files_name(exec_files *f, const char *dir, const char *id)
{
    f->dir = dir;
    snprintf(f->q, sizeof f->q, "%s.q.npy", id);
    snprintf(f->k, sizeof f->k, "%s.k.npy", id);
    snprintf(f->v, sizeof f->v, "%s.v.npy", id);
    snprintf(f->mask, sizeof f->mask, "%s.mask.npy", id);
    snprintf(f->out, sizeof f->out, "%s.out.npy", id);
    snprintf(f->probs, sizeof f->probs, "%s.probs.npy", id);
}

/* The [B][S][Hh][Dh] view at base, dense; NULL if out of memory. */
static float *gather(const float *base, mha_strides st, int64_t B, int64_t S, int64_t Hh, int64_t Dh)
{
    float *dense = malloc((size_t)(B * S * Hh * Dh) * sizeof *dense);
    for (int64_t b = 0; dense && b < B; b++)
        for (int64_t s = 0; s < S; s++)
            for (int64_t h = 0; h < Hh; h++)
                memcpy(dense + ((b * S + s) * Hh + h) * Dh, mha_row(base, st, b, s, h), (size_t)Dh * sizeof *dense);
    return dense;
}

static int write_one(const exec_files *f, const char *name, const float *data, const int64_t shape[4], char *why,
                     size_t why_size)
{
    char path[4200];
    if (!data) {
        snprintf(why, why_size, "out of memory writing %s", name);
        return -1;
    }
    return npy_write(path_join(path, sizeof path, f->dir, name), NPY_F32, 4, shape, data, why, why_size);
}

int exec_files_write_inputs(const exec_files *f, const mha_args *a, char *why, size_t why_size)
{
    const mha_shape *s = &a->shape;
    const int64_t B = s->batch, H = s->heads, Hkv = s->kv_heads, Sq = s->q_len, Skv = s->kv_len, Dh = s->head_dim;
    const int64_t qshape[4] = {B, Sq, H, Dh}, kvshape[4] = {B, Skv, Hkv, Dh};
    float *q = gather(a->q, a->q_strides, B, Sq, H, Dh);
    int rc = write_one(f, f->q, q, qshape, why, why_size);
    free(q);
    for (int t = 0; t < 2 && !rc; t++) {
        float *kv = gather(t ? a->v : a->k, t ? a->v_strides : a->k_strides, B, Skv, Hkv, Dh);
        rc = write_one(f, t ? f->v : f->k, kv, kvshape, why, why_size);
        free(kv);
    }
    if (rc || !a->mask)
        return rc;
    /* a stride of 0 broadcasts: that axis is stored once */
    const int64_t mb = a->mask_strides.batch ? B : 1, mh = a->mask_strides.head ? H : 1;
    const int64_t mshape[4] = {mb, mh, Sq, Skv};
    float *m = malloc((size_t)(mb * mh * Sq * Skv) * sizeof *m);
    for (int64_t b = 0; m && b < mb; b++)
        for (int64_t h = 0; h < mh; h++)
            for (int64_t i = 0; i < Sq; i++)
                memcpy(m + ((b * mh + h) * Sq + i) * Skv, mha_mask_row(a, b, h, i), (size_t)Skv * sizeof *m);
    rc = write_one(f, f->mask, m, mshape, why, why_size);
    free(m);
    return rc;
}

/* Reads name, which must be float32 of exactly shape. 0 or -1 with why. */
static int read_one(const exec_files *f, const char *name, const char *role, const int64_t shape[4], npy_array *arr,
                    char *why, size_t why_size)
{
    char path[4200], err[600], got[96], want[96];
    if (npy_read(path_join(path, sizeof path, f->dir, name), arr, err, sizeof err)) {
        snprintf(why, why_size, "its %s file: %s", role, err);
        return -1;
    }
    if (arr->dtype != NPY_F32 || arr->ndim != 4 || memcmp(arr->shape, shape, 4 * sizeof *shape) != 0) {
        snprintf(why, why_size, "its %s file %s holds %s %s; expected float32 ('<f4') %s", role, name,
                 npy_dtype_name(arr->dtype), npy_shape_str(arr->ndim, arr->shape, got, sizeof got),
                 npy_shape_str(4, shape, want, sizeof want));
        npy_free(arr);
        return -1;
    }
    return 0;
}

int exec_files_read_outputs(const exec_files *f, const mha_args *a, char *why, size_t why_size)
{
    const mha_shape *s = &a->shape;
    const int64_t B = s->batch, H = s->heads, Sq = s->q_len, Skv = s->kv_len, Dh = s->head_dim;
    const int64_t oshape[4] = {B, Sq, H, Dh}, pshape[4] = {B, H, Sq, Skv};
    npy_array out = {0}, probs = {0};
    if (read_one(f, f->out, "out", oshape, &out, why, why_size))
        return -1;
    if (a->probs && read_one(f, f->probs, "probs", pshape, &probs, why, why_size)) {
        npy_free(&out);
        return -1;
    }
    const float *o = out.data;
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < Sq; i++)
            for (int64_t h = 0; h < H; h++)
                memcpy(mha_row_mut(a->out, a->out_strides, b, i, h), o + ((b * Sq + i) * H + h) * Dh,
                       (size_t)Dh * sizeof *o);
    if (a->probs)
        memcpy(a->probs, probs.data, probs.count * sizeof(float));
    npy_free(&out);
    npy_free(&probs);
    return 0;
}

void exec_files_remove(const exec_files *f)
{
    const char *names[] = {f->q, f->k, f->v, f->mask, f->out, f->probs};
    char path[4200];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unlink(path_join(path, sizeof path, f->dir, names[i]));
}
