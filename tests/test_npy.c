/* .npy round trips, Fortran order, and one clear error per kind of malformed file. */
#include "check.h"
#include "npy.h"

#include <stdlib.h>
#include <string.h>

static int parse_fails_with(const void *bytes, size_t size, const char *needle)
{
    npy_array a;
    char err[256] = "";
    int rc = npy_parse(bytes, size, &a, err, sizeof err);
    if (rc == 0)
        npy_free(&a);
    int ok = rc != 0 && strstr(err, needle) != NULL;
    if (!ok)
        fprintf(stderr, "  expected failure containing '%s', got rc %d '%s'\n", needle, rc, err);
    return ok;
}

/* A hand-made .npy image with the given header text and data bytes. */
static size_t make_npy(unsigned char *buf, const char *header, const void *data, size_t data_len)
{
    size_t hl = strlen(header);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(hl & 0xff);
    buf[9] = (unsigned char)(hl >> 8);
    memcpy(buf + 10, header, hl);
    memcpy(buf + 10 + hl, data, data_len);
    return 10 + hl + data_len;
}

int main(void)
{
    unsigned char buf[512];
    size_t n;
    /* Round trip float32 and float64; data offset is a multiple of 64. */
    float f[6] = {1, -2, 3.5f, 0, -0.0f, 1e-30f};
    int64_t shape[2] = {2, 3};
    void *bytes;
    size_t size;
    CHECK(npy_encode(NPY_F32, 2, shape, f, &bytes, &size) == 0, "encode f32");
    CHECK((size - sizeof f) % 64 == 0, "data offset %zu is 64-aligned", size - sizeof f);
    CHECK(memcmp((char *)bytes + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 59) == 0,
          "header text as numpy writes it");
    npy_array a;
    char err[256];
    CHECK(npy_parse(bytes, size, &a, err, sizeof err) == 0, "parse own output: %s", err);
    CHECK(a.dtype == NPY_F32 && a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 3 && a.count == 6, "shape back");
    CHECK(memcmp(a.data, f, sizeof f) == 0, "bits back");
    npy_free(&a);
    free(bytes);

    double d[3] = {1.0 / 3, -1e300, 2};
    int64_t s1[1] = {3};
    CHECK(npy_encode(NPY_F64, 1, s1, d, &bytes, &size) == 0, "encode f64");
    CHECK(strstr((char *)bytes + 10, "'shape': (3,)") != NULL, "1-D shape written as (3,)");
    CHECK(npy_parse(bytes, size, &a, err, sizeof err) == 0 && a.dtype == NPY_F64 && a.count == 3 &&
              memcmp(a.data, d, sizeof d) == 0, "f64 round trip");
    float *as_f32 = npy_to_f32(&a);
    CHECK(as_f32[0] == (float)(1.0 / 3) && as_f32[2] == 2.0f, "f64 -> f32 conversion rounds");
    free(as_f32);
    npy_free(&a);
    free(bytes);

    /* float16 ('<f2') and uint16 ('<u2', bf16 bit patterns): 2 bytes an element, both ways. */
    const uint16_t halves[3] = {0x3c00, 0xc000, 0x7bff}; /* fp16 1, -2, 65504 */
    const npy_dtype sixteen[2] = {NPY_F16, NPY_U16};
    const char *const descr[2] = {"'<f2'", "'<u2'"};
    for (int t = 0; t < 2; t++) {
        CHECK(npy_encode(sixteen[t], 1, s1, halves, &bytes, &size) == 0, "encode %s", descr[t]);
        CHECK(strstr((char *)bytes + 10, descr[t]) && (size - sizeof halves) % 64 == 0, "%s header", descr[t]);
        CHECK(npy_parse(bytes, size, &a, err, sizeof err) == 0 && a.dtype == sixteen[t] && a.count == 3 &&
                  memcmp(a.data, halves, sizeof halves) == 0, "%s round trip: %s", descr[t], err);
        as_f32 = npy_to_f32(&a);
        CHECK(t == 0 ? as_f32[0] == 1.0f && as_f32[1] == -2.0f && as_f32[2] == 65504.0f
                     : as_f32[0] == 15360.0f && as_f32[2] == 31743.0f,
              "%s to float32: fp16 values exactly, uint16 as integers", descr[t]);
        free(as_f32);
        npy_free(&a);
        free(bytes);
    }
    CHECK(npy_dtype_size(NPY_F32) == 4 && npy_dtype_size(NPY_F64) == 8 && npy_dtype_size(NPY_F16) == 2 &&
              npy_dtype_size(NPY_U16) == 2, "element sizes");
    n = make_npy(buf, "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }\n", halves, 4);
    CHECK(npy_parse(buf, n - 1, &a, err, sizeof err) == -1 && strstr(err, "float16") && strstr(err, "needs 4"),
          "a short '<f2' file names float16 and the bytes it needs: %s", err);

    /* Fortran order (2, 3): memory holds columns [1 4] [2 5] [3 6]; C order is 1..6. */
    float col_major[6] = {1, 4, 2, 5, 3, 6};
    n = make_npy(buf, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n", col_major,
                        sizeof col_major);
    CHECK(npy_parse(buf, n, &a, err, sizeof err) == 0, "fortran parse: %s", err);
    int c_order = 1;
    for (int i = 0; i < 6; i++)
        c_order &= ((float *)a.data)[i] == (float)(i + 1);
    CHECK(c_order, "fortran order converted to C order");
    npy_free(&a);

    /* Malformed files. */
    float two[2] = {1, 2};
    CHECK(parse_fails_with("NUMPY", 5, "not a .npy file"), "too short");
    CHECK(parse_fails_with("\x93NUMPX\x01\x00\x10\x00", 10, "not a .npy file"), "bad magic");
    n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", two, sizeof two);
    buf[6] = 9;
    CHECK(parse_fails_with(buf, n, "format version 9"), "unknown version");
    n = make_npy(buf, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n", two, sizeof two);
    CHECK(parse_fails_with(buf, n, "dtype '>f4'"), "big endian refused");
    n = make_npy(buf, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n", two, sizeof two);
    CHECK(parse_fails_with(buf, n, "dtype '<i4'"), "int refused");
    n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", two, sizeof two);
    CHECK(parse_fails_with(buf, n, "needs 12 data bytes, file has 8"), "short data");
    n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", two, sizeof two);
    CHECK(parse_fails_with(buf, n - 1, "needs 8 data bytes, file has 7"), "truncated data");
    buf[8] = 0xff;
    buf[9] = 0xff;
    CHECK(parse_fails_with(buf, n, "runs past the end"), "header length past the end");
    n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, }\n", two, sizeof two);
    CHECK(parse_fails_with(buf, n, "no 'shape'"), "missing shape");
    n = make_npy(buf, "{'descr': '<f4', 'fortran_order': maybe, 'shape': (2,), }\n", two, sizeof two);
    CHECK(parse_fails_with(buf, n, "fortran_order"), "bad fortran_order");
    n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }\n", two, sizeof two);
    CHECK(parse_fails_with(buf, n, "non-integer"), "bad shape entry");
    n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }\n",
                 two, sizeof two);
    CHECK(parse_fails_with(buf, n, "overflows"), "shape overflow");

    /* Files: a missing file is named; write then read back. */
    CHECK(npy_read("/nonexistent/x.npy", &a, err, sizeof err) != 0 && strstr(err, "/nonexistent/x.npy: cannot open"),
          "missing file named: %s", err);
    const char *path = "test_npy_roundtrip.npy";
    CHECK(npy_write(path, NPY_F32, 2, shape, f, err, sizeof err) == 0, "write: %s", err);
    CHECK(npy_read(path, &a, err, sizeof err) == 0 && memcmp(a.data, f, sizeof f) == 0, "read back: %s", err);
    npy_free(&a);

    /* Version 2.0 (4-byte header length) read from a file; a negative dimension is called negative. */
    unsigned char v2[256];
    const char *h2 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
    size_t h2l = strlen(h2);
    memcpy(v2, "\x93NUMPY\x02\x00", 8);
    v2[8] = (unsigned char)h2l, v2[9] = v2[10] = v2[11] = 0;
    memcpy(v2 + 12, h2, h2l);
    memcpy(v2 + 12 + h2l, two, sizeof two);
    FILE *fv2 = fopen(path, "wb");
    CHECK(fv2 && fwrite(v2, 1, 12 + h2l + sizeof two, fv2) == 12 + h2l + sizeof two && fclose(fv2) == 0, "write v2");
    CHECK(npy_read(path, &a, err, sizeof err) == 0 && a.count == 2 && memcmp(a.data, two, sizeof two) == 0,
          "version 2.0 file read: %s", err);
    npy_free(&a);
    n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n", two, sizeof two);
    CHECK(parse_fails_with(buf, n, "negative entry"), "negative dimension");
    remove(path);
    return check_summary();
}
