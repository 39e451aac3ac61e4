/* .npy reading and writing; see npy.h for what is accepted. */
#include "npy.h"

#include "atomic_file.h"
#include "err_text.h"
#include "../impl/core/dtype_convert.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes the message into err and returns -1: every parse error of this file. */
static int npy_fail(char *err, size_t err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int npy_fail(char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    return -1;
}

static const char magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

const char *npy_shape_str(int ndim, const int64_t *shape, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (used < size)
        snprintf(buf + used, size - used, ndim == 1 ? ",)" : ")");
    return buf;
}

/* Finds 'key': in the header dict and returns a pointer just past the colon. */
static const char *find_key(const char *h, const char *end, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = h; p + n + 2 < end; p++)
        if ((*p == '\'' || *p == '"') && memcmp(p + 1, key, n) == 0 && p[n + 1] == *p) {
            p += n + 2;
            while (p < end && (*p == ' ' || *p == ':'))
                p++;
            return p;
        }
    return NULL;
}

static int parse_header(const char *h, size_t len, npy_array *out, int *fortran, char *err, size_t err_size)
{
    const char *end = h + len;
    const char *d = find_key(h, end, "descr");
    if (!d || d + 5 > end)
        return npy_fail(err, err_size, "header has no 'descr' (dtype)");
    char q = *d;
    if (q != '\'' && q != '"')
        return npy_fail(err, err_size, "header 'descr' is not a string (structured dtypes are not supported)");
    const char *d_end = memchr(d + 1, q, (size_t)(end - d - 1));
    if (!d_end)
        return npy_fail(err, err_size, "header 'descr' string is not closed");
    size_t dlen = (size_t)(d_end - d - 1);
    static const npy_dtype all[] = {NPY_F32, NPY_F64, NPY_F16, NPY_U16};
    int known = 0;
    for (size_t t = 0; t < sizeof all / sizeof all[0] && !known; t++)
        if (dlen == 3 && memcmp(d + 1, npy_dtype_descr(all[t]), 3) == 0) {
            out->dtype = all[t];
            known = 1;
        }
    if (!known)
        return npy_fail(err, err_size, "dtype '%.*s': expected little-endian float32 '<f4', float64 '<f8', float16 '<f2' or uint16 '<u2' "
             "(bfloat16 bit patterns)", (int)(dlen < 32 ? dlen : 32), d + 1);

    const char *f = find_key(h, end, "fortran_order");
    if (!f)
        return npy_fail(err, err_size, "header has no 'fortran_order'");
    if (end - f >= 4 && memcmp(f, "True", 4) == 0)
        *fortran = 1;
    else if (end - f >= 5 && memcmp(f, "False", 5) == 0)
        *fortran = 0;
    else
        return npy_fail(err, err_size, "header 'fortran_order' is neither True nor False");

    const char *s = find_key(h, end, "shape");
    if (!s || s >= end || *s != '(')
        return npy_fail(err, err_size, "header has no 'shape' tuple");
    s++;
    out->ndim = 0;
    out->count = 1;
    for (;;) {
        while (s < end && (*s == ' ' || *s == ','))
            s++;
        if (s >= end)
            return npy_fail(err, err_size, "header 'shape' tuple is not closed");
        if (*s == ')')
            break;
        if (*s == '-')
            return npy_fail(err, err_size, "header 'shape' has a negative entry");
        if (*s < '0' || *s > '9')
            return npy_fail(err, err_size, "header 'shape' has a non-integer entry");
        uint64_t v = 0;
        while (s < end && *s >= '0' && *s <= '9') {
            if (v > (UINT64_C(1) << 62) / 10)
                return npy_fail(err, err_size, "header 'shape' entry is too large");
            v = v * 10 + (uint64_t)(*s++ - '0');
        }
        if (out->ndim == NPY_MAX_DIMS)
            return npy_fail(err, err_size, "array has more than %d dimensions", NPY_MAX_DIMS);
        out->shape[out->ndim++] = (int64_t)v;
        if (v && out->count > SIZE_MAX / v)
            return npy_fail(err, err_size, "shape's element count overflows size_t");
        out->count *= (size_t)v;
    }
    return 0;
}

/* Fortran order: element (i0, ..., in-1) is at sum i_k * prod_{m<k} n_m. */
static void fortran_to_c(const npy_array *a, const char *src, char *dst)
{
    size_t es = npy_dtype_size(a->dtype), idx[NPY_MAX_DIMS] = {0};
    for (size_t c = 0; c < a->count; c++) {
        size_t off = 0, mul = 1;
        for (int k = 0; k < a->ndim; k++) {
            off += idx[k] * mul;
            mul *= (size_t)a->shape[k];
        }
        memcpy(dst + c * es, src + off * es, es);
        for (int k = a->ndim - 1; k >= 0; k--) { /* C order: last index fastest */
            if (++idx[k] < (size_t)a->shape[k])
                break;
            idx[k] = 0;
        }
    }
}

/* The magic and version: where the header starts and how long it is. 0, or -1 with err. */
static int parse_preamble(const unsigned char *b, size_t size, size_t *start, size_t *hlen, char *err,
                          size_t err_size)
{
    if (size < 10 || memcmp(b, magic, 6) != 0)
        return npy_fail(err, err_size, "not a .npy file (no \\x93NUMPY magic)");
    unsigned major = b[6];
    if (major == 1) {
        *hlen = (size_t)b[8] | (size_t)b[9] << 8;
        *start = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12)
            return npy_fail(err, err_size, "truncated .npy header");
        *hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        *start = 12;
    } else {
        return npy_fail(err, err_size, ".npy format version %u.%u: expected 1.x, 2.x or 3.x", major, b[7]);
    }
    return 0;
}

int npy_parse(const void *bytes, size_t size, npy_array *out, char *err, size_t err_size)
{
    const unsigned char *b = bytes;
    memset(out, 0, sizeof *out);
    size_t hlen, start;
    if (parse_preamble(b, size, &start, &hlen, err, err_size))
        return -1;
    if (hlen > size - start)
        return npy_fail(err, err_size, "header length %zu runs past the end of the file (%zu bytes)", hlen, size);
    int fortran = 0;
    if (parse_header((const char *)b + start, hlen, out, &fortran, err, err_size))
        return -1;
    size_t data_off = start + hlen, es = npy_dtype_size(out->dtype);
    if (out->count > SIZE_MAX / es)
        return npy_fail(err, err_size, "data size overflows size_t");
    size_t need = out->count * es;
    if (size - data_off != need)
        return npy_fail(err, err_size, "shape %s of %s needs %zu data bytes, file has %zu",
             npy_shape_str(out->ndim, out->shape, (char[96]){0}, 96), npy_dtype_name(out->dtype),
             need, size - data_off);
    out->data = malloc(need ? need : 1);
    if (!out->data)
        return npy_fail(err, err_size, "out of memory for %zu bytes", need);
    if (fortran && out->ndim > 1)
        fortran_to_c(out, (const char *)b + data_off, out->data);
    else
        memcpy(out->data, b + data_off, need);
    return 0;
}

/* Reads up to n bytes; returns how many were read (fewer only at the end of the file), or -1 with errno. */
static ssize_t read_up_to(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/*
 * Reads the image into a malloc'd buffer, never more than the header
 * promises: the magic first, then the header (at most NPY_MAX_HEADER
 * bytes), then exactly the data bytes its shape needs, checked against the
 * size of a regular file before anything large is allocated.
 */
static int read_image(int fd, const struct stat *st, unsigned char **image, size_t *image_size, char *err,
                      size_t err_size)
{
    unsigned char pre[12];
    ssize_t got = read_up_to(fd, pre, 10), more = 0;
    if (got == 10 && (pre[6] == 2 || pre[6] == 3)) /* versions 2 and 3: a 4-byte header length */
        more = read_up_to(fd, pre + 10, 2);
    if (got < 0 || more < 0)
        return npy_fail(err, err_size, "read error: %s", strerror(errno));
    size_t start, hlen;
    if (parse_preamble(pre, (size_t)(got + more), &start, &hlen, err, err_size))
        return -1;
    if (hlen > NPY_MAX_HEADER)
        return npy_fail(err, err_size, "header length %zu is over %d bytes: not an array this program reads", hlen, NPY_MAX_HEADER);
    unsigned char *buf = malloc(start + hlen);
    if (!buf)
        return npy_fail(err, err_size, "out of memory");
    memcpy(buf, pre, start);
    npy_array shape_only;
    int fortran;
    if (read_up_to(fd, buf + start, hlen) != (ssize_t)hlen) {
        free(buf);
        return npy_fail(err, err_size, "header length %zu runs past the end of the file", hlen);
    }
    if (parse_header((const char *)buf + start, hlen, &shape_only, &fortran, err, err_size)) {
        free(buf);
        return -1;
    }
    size_t es = npy_dtype_size(shape_only.dtype), head = start + hlen;
    uint64_t need = shape_only.count > (SIZE_MAX - head) / es ? UINT64_MAX : (uint64_t)shape_only.count * es;
    char shp[96];
    npy_shape_str(shape_only.ndim, shape_only.shape, shp, sizeof shp);
    const char *type = npy_dtype_name(shape_only.dtype);
    if (S_ISREG(st->st_mode) && (uint64_t)st->st_size - head != need) {
        free(buf);
        return npy_fail(err, err_size, "shape %s of %s needs %llu data bytes, file has %lld", shp, type, (unsigned long long)need,
             (long long)st->st_size - (long long)head);
    }
    if (need > NPY_MAX_STREAM) {
        free(buf);
        return npy_fail(err, err_size, "shape %s of %s needs %llu data bytes, more than the %llu read from a device or pipe", shp, type,
             (unsigned long long)need, (unsigned long long)NPY_MAX_STREAM);
    }
    /* grows as data arrives, so that a header that lies about a pipe costs no memory up front */
    size_t total = head + (size_t)need, have = head;
    while (have < total) {
        size_t step = S_ISREG(st->st_mode) ? total - have : (have < total - have ? have : total - have);
        unsigned char *bigger = realloc(buf, have + step + 1);
        if (!bigger) {
            free(buf);
            return npy_fail(err, err_size, "out of memory for %zu bytes", have + step);
        }
        buf = bigger;
        got = read_up_to(fd, buf + have, step);
        if (got < 0 || (size_t)got < step) {
            int e = errno;
            free(buf);
            if (got < 0)
                return npy_fail(err, err_size, "read error: %s", strerror(e));
            return npy_fail(err, err_size, "shape %s of %s needs %llu data bytes, file has %zu", shp, type, (unsigned long long)need,
                 have + (size_t)got - head);
        }
        have += step;
    }
    unsigned char extra;
    if (read_up_to(fd, &extra, 1) != 0) {
        free(buf);
        return npy_fail(err, err_size, "shape %s of %s needs %llu data bytes, file has more", shp, type, (unsigned long long)need);
    }
    *image = buf;
    *image_size = total;
    return 0;
}

int npy_read(const char *path, npy_array *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        err_path(err, err_size, path, "cannot open: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        err_path(err, err_size, path, "is a directory, expected a .npy file");
        return -1;
    }
    char inner[512];
    unsigned char *image = NULL;
    size_t size = 0;
    int rc = read_image(fd, &st, &image, &size, inner, sizeof inner);
    close(fd);
    if (rc == 0) {
        rc = npy_parse(image, size, out, inner, sizeof inner);
        free(image);
    }
    if (rc)
        err_path(err, err_size, path, "%s", inner);
    return rc;
}

size_t npy_dtype_size(npy_dtype dtype)
{
    return dtype == NPY_U16 ? 2 : (size_t)dtype;
}

const char *npy_dtype_descr(npy_dtype dtype)
{
    switch (dtype) {
    case NPY_F32: return "<f4";
    case NPY_F64: return "<f8";
    case NPY_F16: return "<f2";
    case NPY_U16: return "<u2";
    }
    return "?";
}

const char *npy_dtype_name(npy_dtype dtype)
{
    switch (dtype) {
    case NPY_F32: return "float32";
    case NPY_F64: return "float64";
    case NPY_F16: return "float16";
    case NPY_U16: return "uint16";
    }
    return "?";
}

/* Element i as a double (exact for every dtype read). */
static double element(const npy_array *a, size_t i)
{
    switch (a->dtype) {
    case NPY_F32: return ((const float *)a->data)[i];
    case NPY_F64: return ((const double *)a->data)[i];
    case NPY_F16: return mha_f16_to_f32_inline(((const uint16_t *)a->data)[i]);
    case NPY_U16: return ((const uint16_t *)a->data)[i];
    }
    return NAN;
}

float *npy_to_f32(const npy_array *a)
{
    float *dst = malloc(a->count ? a->count * sizeof *dst : 1);
    if (!dst)
        return NULL;
    for (size_t i = 0; i < a->count; i++)
        dst[i] = (float)element(a, i);
    return dst;
}

double *npy_to_f64(const npy_array *a)
{
    double *dst = malloc(a->count ? a->count * sizeof *dst : 1);
    if (!dst)
        return NULL;
    for (size_t i = 0; i < a->count; i++)
        dst[i] = element(a, i);
    return dst;
}

void npy_free(npy_array *a)
{
    free(a->data);
    memset(a, 0, sizeof *a);
}

int npy_encode(npy_dtype dtype, int ndim, const int64_t *shape, const void *data, void **bytes, size_t *size)
{
    if (ndim < 0 || ndim > NPY_MAX_DIMS)
        return -1;
    char dict[512], shp[256];
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || (shape[i] && count > SIZE_MAX / (size_t)shape[i]))
            return -1;
        count *= (size_t)shape[i];
    }
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                     npy_dtype_descr(dtype), npy_shape_str(ndim, shape, shp, sizeof shp));
    if (n < 0 || (size_t)n >= sizeof dict - 64)
        return -1;
    size_t hlen = (size_t)n + 1; /* + '\n' */
    size_t total_header = (10 + hlen + 63) / 64 * 64;
    hlen = total_header - 10;
    size_t data_bytes = count * npy_dtype_size(dtype);
    unsigned char *buf = malloc(total_header + data_bytes);
    if (!buf)
        return -1;
    memcpy(buf, magic, 6);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (unsigned char)(hlen & 0xff);
    buf[9] = (unsigned char)(hlen >> 8);
    memcpy(buf + 10, dict, (size_t)n);
    memset(buf + 10 + n, ' ', hlen - (size_t)n - 1);
    buf[total_header - 1] = '\n';
    if (data_bytes)
        memcpy(buf + total_header, data, data_bytes);
    *bytes = buf;
    *size = total_header + data_bytes;
    return 0;
}

int npy_write(const char *path, npy_dtype dtype, int ndim, const int64_t *shape, const void *data, char *err,
              size_t err_size)
{
    void *bytes;
    size_t size;
    if (npy_encode(dtype, ndim, shape, data, &bytes, &size)) {
        err_path(err, err_size, path, "cannot encode (bad shape or out of memory)");
        return -1;
    }
    int rc = atomic_write(path, bytes, size, err, err_size);
    free(bytes);
    return rc;
}
