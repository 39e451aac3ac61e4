/*
 * A case with its data: inputs from the recipe or from the .npy files,
 * the float64 reference, and the tolerance inputs. Encoding a case gives
 * its .npy images and their hashes; loading checks every hash.
 */
#ifndef MHA_CONF_VECTORS_H
#define MHA_CONF_VECTORS_H

#include "manifest.h"

typedef struct case_data {
    conf_case c;
    case_inputs in;      /* logical order */
    double *ref_out;     /* [B][Sq][H][Dh] */
    double *ref_probs;   /* [B][H][Sq][Skv] */
    double max_abs_v, err_out, err_probs;
} case_data;

/* Inputs by recipe, float64 reference, naive's error. 0 or -1 with err. */
int case_compute(const conf_case *c, case_data *d, char *err, size_t err_size);

/* Fill the tolerance inputs (max|V|, naive fp32 error) of d, which has inputs and reference. */
int case_measure_fp32(case_data *d, char *err, size_t err_size);

void case_data_free(case_data *d);

/*
 * The 16-bit patterns of a bf16 or fp16 case's Q, K and V (logical order;
 * its fp32 arrays hold values the dtype represents exactly), malloc'd;
 * three NULLs for an fp32 case. 0, or -1 when out of memory (then
 * whatever was allocated is in narrow, for free()).
 */
int case_data_narrow(const case_data *d, uint16_t *narrow[3]);

/* case_args() with the case's dtype and out_dtype, reading narrow's patterns when the case is bf16 or fp16. */
mha_args case_data_args(const case_data *d, uint16_t *const narrow[3]);

/*
 * The case's files as .npy images: fills mc (record, names, shapes, hashes);
 * writes them into dir unless dir is NULL. 0 or -1 with err.
 */
int vectors_encode_case(const case_data *d, manifest_case *mc, const char *dir, char *err, size_t err_size);

/*
 * Reads dir/MANIFEST and checks it against dir/MANIFEST.xxh3.
 * 0 or -1 with err naming the file and the problem.
 */
int vectors_load_manifest(const char *dir, manifest *m, char *err, size_t err_size);

/* Loads one case's files, checking each hash and shape. 0 or -1 with err naming the file. */
int vectors_load_case(const char *dir, const manifest *m, const manifest_case *mc, case_data *d, char *err,
                      size_t err_size);

/* Path join into buf. */
const char *path_join(char *buf, size_t size, const char *dir, const char *name);

#endif
