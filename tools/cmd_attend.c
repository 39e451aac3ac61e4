/* mha attend: run one implementation on a user's .npy arrays. */
#include "attend_dtype.h"
#include "atomic_file.h"
#include "cli.h"
#include "err_text.h"
#include "mha.h"
#include "npy.h"
#include "path_ident.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct attend_options {
    const char *q, *k, *v, *out, *impl, *mask, *probs;
    int causal;
    float scale;
    int64_t threads;
    mha_dtype dtype, out_dtype;
} attend_options;

#define FILE_OPTION(name, help) {#name, 0, CLI_STRING, offsetof(attend_options, name), "FILE", help, 0, 0, NULL}
static const cli_option options[] = {
    FILE_OPTION(q, "queries (B, Sq, H, Dh) or (Sq, H, Dh)"),
    FILE_OPTION(k, "keys (B, Skv, Hkv, Dh) or (Skv, Hkv, Dh); Hkv divides H"),
    FILE_OPTION(v, "values, same shape as keys"),
    FILE_OPTION(out, "output, written in --out-dtype with the shape of Q"),
    {"impl", 0, CLI_STRING, offsetof(attend_options, impl), "NAME",
     "implementation (default: the best one for this CPU and these dtypes; see 'mha list')", 0, 0, NULL},
    FILE_OPTION(mask, "additive mask (Sq, Skv) or (B|1, H|1, Sq, Skv); -inf hides a key"),
    {"causal", 0, CLI_FLAG, offsetof(attend_options, causal), NULL,
     "causal mask, aligned bottom-right (query i sees keys j <= i + Skv - Sq)", 0, 0, NULL},
    {"scale", 0, CLI_FLOAT, offsetof(attend_options, scale), "X",
     "score scale (default, or 0: 1/sqrt(Dh)); otherwise a normal float32,\n"
     "|X| between 1.18e-38 and 3.4e38", 0, 0, NULL},
    {"threads", 0, CLI_INT, offsetof(attend_options, threads), "N", "threads (default 0: all cores)", 0, 4096,
     NULL},
    FILE_OPTION(probs, "also write the probabilities, float32 (B, H, Sq, Skv) or (H, Sq, Skv)"),
    {"dtype", 0, CLI_CUSTOM, offsetof(attend_options, dtype), "T",
     "element type of Q, K, V: fp32 (default), bf16 or fp16", 0, 0, attend_parse_dtype},
    {"out-dtype", 0, CLI_CUSTOM, offsetof(attend_options, out_dtype), "T",
     "element type of the output: fp32 (default) or the --dtype", 0, 0, attend_parse_dtype},
};

const cli_command cli_attend = {
    "attend",
    "mha attend --q Q.npy --k K.npy --v V.npy --out O.npy [options]",
    "Runs one implementation on your arrays.",
    options,
    sizeof options / sizeof options[0],
    "Inputs are little-endian float32 or float64 .npy files (float64 is rounded to\n"
    "float32); C order is read as is, Fortran order is converted to C order.\n"
    "--dtype fp16 reads float16 ('<f2') Q, K, V as they are, --dtype bf16 reads uint16\n"
    "('<u2') as bf16 bit patterns; other float inputs are rounded to the dtype\n"
    "(nearest even) with a line saying so. The mask and --probs stay float32; the\n"
    "output is written as '<f4', '<u2' (bf16 bits) or '<f2' (docs/low-precision.md).\n"
    "--out and --probs land together or not at all; an output that is the same file\n"
    "as an input or as the other output is refused (README: the mha program).\n",
    0,
};

typedef struct input {
    const char *opt, *path;
    npy_array arr;
    void *data; /* the elements in the dtype asked for (the mask: fp32) */
} input;

static int load(input *in, mha_dtype dtype)
{
    char err[ERR_TEXT_SIZE];
    if (npy_read(in->path, &in->arr, err, sizeof err)) {
        fprintf(stderr, "mha attend: %s %s\n", in->opt, err);
        return -1;
    }
    return attend_convert_input(in->opt, in->path, &in->arr, dtype, &in->data);
}

/* Splits a (B, S, H, Dh) or (S, H, Dh) shape; B = 1 for 3-D. */
static int split_shape(const input *in, int64_t *b, int64_t *s, int64_t *h, int64_t *d)
{
    const npy_array *a = &in->arr;
    char shp[96];
    if (a->ndim != 3 && a->ndim != 4) {
        fprintf(stderr, "mha attend: %s %s: shape %s has %d dimensions, expected (B, S, H, Dh) or (S, H, Dh)\n",
                in->opt, in->path, npy_shape_str(a->ndim, a->shape, shp, sizeof shp), a->ndim);
        return -1;
    }
    int o = a->ndim - 3;
    *b = o ? a->shape[0] : 1;
    *s = a->shape[o];
    *h = a->shape[o + 1];
    *d = a->shape[o + 2];
    if (*b == 0 || *s == 0 || *h == 0 || *d == 0) {
        fprintf(stderr, "mha attend: %s %s: shape %s has an empty dimension, expected all > 0\n", in->opt, in->path,
                npy_shape_str(a->ndim, a->shape, shp, sizeof shp));
        return -1;
    }
    return 0;
}

static int shape_error(const input *in, const char *what, long long got, long long want, const char *from)
{
    fprintf(stderr, "mha attend: %s %s: %s is %lld, expected %lld (%s)\n", in->opt, in->path, what, got, want, from);
    return EXIT_FAILED;
}

/* Encodes one output (elements of dtype) and writes it into an open atomic file; 0, or -1 with err. */
static int put_npy(atomic_file *a, npy_dtype dtype, int ndim, const int64_t *shape, const void *data, char *err,
                   size_t err_size)
{
    void *bytes;
    size_t size;
    if (npy_encode(dtype, ndim, shape, data, &bytes, &size)) {
        err_path(err, err_size, a->path, "cannot encode (out of memory)");
        return -1;
    }
    errno = 0;
    int rc = fwrite(bytes, 1, size, a->f) == size ? 0 : -1;
    if (rc)
        err_path(err, err_size, a->path, "write failed: %s", strerror(errno ? errno : EIO));
    free(bytes);
    return rc;
}

/* --out and --probs (when given) land together or not at all. 0, or -1 after printing why. */
static int write_outputs(const char *out_path, npy_dtype out_dtype, int out_nd, const int64_t *out_shape,
                         const void *out, const char *probs_path, int probs_nd, const int64_t *probs_shape,
                         const float *probs)
{
    const char *opts[2] = {"--out", "--probs"}, *paths[2] = {out_path, probs_path};
    const int nds[2] = {out_nd, probs_nd};
    const int64_t *shapes[2] = {out_shape, probs_shape};
    const void *data[2] = {out, probs};
    const npy_dtype dtypes[2] = {out_dtype, NPY_F32};
    char err[ERR_TEXT_SIZE];
    atomic_file files[2];
    atomic_file *list[2] = {&files[0], &files[1]};
    int n = probs_path ? 2 : 1, opened = 0, i;
    for (i = 0; i < n; i++) {
        if (atomic_open(list[i], paths[i], err, sizeof err))
            break;
        opened++;
        if (put_npy(list[i], dtypes[i], nds[i], shapes[i], data[i], err, sizeof err))
            break;
    }
    if (i == n) {
        if (atomic_commit_all(list, n, err, sizeof err) == 0)
            return 0;
        fprintf(stderr, "mha attend: %s; no output written\n", err);
        return -1;
    }
    for (int j = 0; j < opened; j++)
        atomic_abort(list[j]);
    fprintf(stderr, "mha attend: %s %s; no output written\n", opts[i], err);
    return -1;
}

static int run(input *in, const attend_options *o)
{
    const char *impl_name = o->impl, *out_path = o->out, *probs_path = o->probs;
    input *q = &in[0], *k = &in[1], *v = &in[2], *mask = in[3].path ? &in[3] : NULL;
    int64_t B, Sq, H, Dh, Bk, Skv, Hkv, Dk, Bv, Sv, Hv, Dv;
    if (split_shape(q, &B, &Sq, &H, &Dh) || split_shape(k, &Bk, &Skv, &Hkv, &Dk) ||
        split_shape(v, &Bv, &Sv, &Hv, &Dv))
        return EXIT_FAILED;
    if (k->arr.ndim != q->arr.ndim || v->arr.ndim != q->arr.ndim) {
        const input *bad = k->arr.ndim != q->arr.ndim ? k : v;
        return shape_error(bad, "the number of dimensions", bad->arr.ndim, q->arr.ndim, "that of --q");
    }
    if (Bk != B) return shape_error(k, "batch", Bk, B, "batch of --q");
    if (Dk != Dh) return shape_error(k, "head_dim", Dk, Dh, "head_dim of --q");
    if (H % Hkv != 0) {
        fprintf(stderr, "mha attend: --k %s: %lld kv heads do not divide the %lld query heads of --q "
                "(expected a divisor of %lld)\n", k->path, (long long)Hkv, (long long)H, (long long)H);
        return EXIT_FAILED;
    }
    if (Bv != B) return shape_error(v, "batch", Bv, B, "batch of --q");
    if (Sv != Skv) return shape_error(v, "sequence length", Sv, Skv, "that of --k");
    if (Hv != Hkv) return shape_error(v, "kv heads", Hv, Hkv, "those of --k");
    if (Dv != Dh) return shape_error(v, "head_dim", Dv, Dh, "head_dim of --q");

    mha_args a = mha_args_bshd((mha_shape){B, H, Hkv, Sq, Skv, Dh}, q->data, k->data, v->data, NULL);
    a.causal = o->causal;
    a.scale = o->scale;
    a.threads = (int)o->threads;
    a.dtype = o->dtype;
    a.out_dtype = o->out_dtype;
    if (mask) {
        const npy_array *m = &mask->arr;
        char shp[96];
        int ok = m->ndim == 2 || m->ndim == 4;
        const int64_t *ms = m->shape + (m->ndim - 2);
        ok = ok && ms[0] == Sq && ms[1] == Skv;
        if (ok && m->ndim == 4)
            ok = (m->shape[0] == 1 || m->shape[0] == B) && (m->shape[1] == 1 || m->shape[1] == H);
        if (!ok) {
            fprintf(stderr, "mha attend: --mask %s: shape %s, expected (%lld, %lld) or (B|1, H|1, %lld, %lld) "
                    "with B = %lld, H = %lld\n", mask->path, npy_shape_str(m->ndim, m->shape, shp, sizeof shp),
                    (long long)Sq, (long long)Skv, (long long)Sq, (long long)Skv, (long long)B, (long long)H);
            return EXIT_FAILED;
        }
        a.mask = mask->data;
        a.mask_strides.row = Skv;
        if (m->ndim == 4) {
            a.mask_strides.head = m->shape[1] == 1 ? 0 : Sq * Skv;
            a.mask_strides.batch = m->shape[0] == 1 ? 0 : m->shape[1] * Sq * Skv;
        }
    }

    const mha_impl *impl = impl_name ? mha_impl_find(impl_name) : attend_best_impl(o->dtype, o->out_dtype);
    if (!impl) {
        fprintf(stderr, "mha attend: --impl %s: no such implementation in this build (see 'mha list')\n", impl_name);
        return EXIT_USAGE;
    }
    size_t out_count = (size_t)(B * Sq * H * Dh), probs_count = (size_t)(B * H * Sq * Skv);
    void *out = malloc(out_count * mha_dtype_size(o->out_dtype) + 1); /* + 1: an out_dtype that is no dtype */
    float *probs = probs_path ? malloc(probs_count * sizeof *probs) : NULL;
    int rc = EXIT_FAILED;
    if (!out || (probs_path && !probs)) {
        fprintf(stderr, "mha attend: out of memory for the outputs\n");
        goto done;
    }
    a.out = out;
    a.probs = probs;
    mha_status st = mha_attention(impl, &a);
    if (st != MHA_OK) {
        fprintf(stderr, "mha attend: %s: %s\n", mha_status_str(st), mha_last_error());
        goto done;
    }
    int64_t pshape[4] = {B, H, Sq, Skv};
    int pnd = q->arr.ndim;
    if (write_outputs(out_path, attend_npy_dtype(o->out_dtype), q->arr.ndim, q->arr.shape, out, probs_path, pnd,
                      pshape + (4 - pnd), probs))
        goto done;
    fprintf(stderr, "mha attend: %s: B=%lld H=%lld Hkv=%lld Sq=%lld Skv=%lld Dh=%lld, %s -> %s: %s\n", impl->name,
            (long long)B, (long long)H, (long long)Hkv, (long long)Sq, (long long)Skv, (long long)Dh,
            mha_dtype_name(o->dtype), mha_dtype_name(o->out_dtype), out_path);
    rc = EXIT_OK;
done:
    free(out);
    free(probs);
    return rc;
}

/* An output that is an input or the other output would destroy data: refused before any work. */
static int same_file_refused(const input *in, const char *out, const char *probs)
{
    const char *outs[2][2] = {{"--out", out}, {"--probs", probs}};
    for (int o = 0; o < 2; o++) {
        if (!outs[o][1])
            continue;
        for (int t = 0; t < 4; t++)
            if (in[t].path && path_same_file(outs[o][1], in[t].path)) {
                cli_usage_error("attend", "%s %s is the same file as %s %s: refusing to overwrite an input",
                                outs[o][0], outs[o][1], in[t].opt, in[t].path);
                return 1;
            }
    }
    if (probs && path_same_file(out, probs)) {
        cli_usage_error("attend", "--out %s and --probs %s are the same file: give each output its own", out, probs);
        return 1;
    }
    return 0;
}

MHA_CMD_FN(cmd_attend)
{
    input in[4] = {{"--q", NULL, {0}, NULL}, {"--k", NULL, {0}, NULL}, {"--v", NULL, {0}, NULL},
                   {"--mask", NULL, {0}, NULL}};
    attend_options o = {0}; /* dtype, out_dtype: MHA_F32 */
    int npos;
    const int parsed = cli_parse(&cli_attend, argc, argv, &o, NULL, &npos);
    if (parsed != CLI_RUN)
        return parsed;
    const char *out = o.out, *probs = o.probs;
    in[0].path = o.q;
    in[1].path = o.k;
    in[2].path = o.v;
    in[3].path = o.mask;
    for (int t = 0; t < 3; t++)
        if (!in[t].path)
            return cli_usage_error("attend", "%s is required", in[t].opt);
    if (!out)
        return cli_usage_error("attend", "--out is required");

    if (!mha_dtype_combo(o.dtype, o.out_dtype))
        return cli_usage_error("attend", "--out-dtype %s with --dtype %s: expected fp32 or %s (the inputs' dtype)",
                               mha_dtype_name(o.out_dtype), mha_dtype_name(o.dtype), mha_dtype_name(o.dtype));
    if (same_file_refused(in, out, probs))
        return EXIT_USAGE;
    int rc = EXIT_FAILED;
    for (int t = 0; t < 4; t++)
        if (in[t].path && load(&in[t], t < 3 ? o.dtype : MHA_F32))
            goto done;
    rc = run(in, &o);
done:
    for (int t = 0; t < 4; t++) {
        npy_free(&in[t].arr);
        free(in[t].data);
    }
    return rc;
}
