/*
 * Reading and writing NumPy .npy files (format versions 1.0, 2.0, 3.0).
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 * Reads little-endian float32 ('<f4'), float64 ('<f8'), float16 ('<f2')
 * and uint16 ('<u2', how mhalab stores bfloat16 bit patterns) in C or
 * Fortran order (Fortran order is converted to C order on reading); writes
 * version 1.0, C order, header padded so the data starts at a multiple of
 * 64 bytes, byte-identical for identical arrays.
 */
#ifndef MHA_NPY_H
#define MHA_NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_DIMS 8
/* npy_read: the longest header read (numpy writes a few hundred bytes) */
#define NPY_MAX_HEADER 65536
/* npy_read: the most data bytes read from a device or pipe (a regular file's size is checked instead) */
#define NPY_MAX_STREAM ((uint64_t)16 << 30)

/* F32, F64 and F16 are their element sizes (code from before F16 and U16 relies on it); U16 is not. */
typedef enum npy_dtype { NPY_F32 = 4, NPY_F64 = 8, NPY_F16 = 2, NPY_U16 = 3 } npy_dtype;

/* Bytes of one element: 4, 8, 2, 2. */
size_t npy_dtype_size(npy_dtype dtype);

/* The header's descr ("<f4") and a name for messages ("float32"). */
const char *npy_dtype_descr(npy_dtype dtype);
const char *npy_dtype_name(npy_dtype dtype);

typedef struct npy_array {
    npy_dtype dtype;
    int ndim;
    int64_t shape[NPY_MAX_DIMS];
    size_t count;  /* product of shape */
    void *data;    /* count elements of dtype, C order, malloc'd */
} npy_array;

/* Parse a whole .npy image. Returns 0, or -1 with a message in err. */
int npy_parse(const void *bytes, size_t size, npy_array *out, char *err, size_t err_size);

/*
 * Read a file: the magic and header first, then exactly the data bytes the
 * header's shape needs (a regular file's size is checked before anything is
 * allocated; at most NPY_MAX_STREAM bytes from a device or pipe). Returns 0,
 * or -1 with "PATH: what is wrong" in err.
 */
int npy_read(const char *path, npy_array *out, char *err, size_t err_size);

/*
 * The array's elements as float32 (a fresh malloc'd copy), NULL if out of
 * memory. float16 converts exactly; uint16 gives the integers' values.
 */
float *npy_to_f32(const npy_array *a);

/* The array's elements as float64 (a fresh malloc'd copy), NULL if out of memory. */
double *npy_to_f64(const npy_array *a);

void npy_free(npy_array *a);

/*
 * Serialise to a malloc'd buffer (*bytes, *size). Returns 0 or -1 (out of
 * memory, bad shape). data holds count elements of dtype in C order.
 */
int npy_encode(npy_dtype dtype, int ndim, const int64_t *shape, const void *data, void **bytes, size_t *size);

/*
 * Write a file through atomic_write (atomic_file.h: a unique temporary and
 * a rename; devices and fifos in place). Returns 0, or -1 with
 * "PATH: reason" in err.
 */
int npy_write(const char *path, npy_dtype dtype, int ndim, const int64_t *shape, const void *data, char *err,
              size_t err_size);

/* "(2, 3, 4)" */
const char *npy_shape_str(int ndim, const int64_t *shape, char *buf, size_t size);

#endif
