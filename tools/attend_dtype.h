/*
 * mha attend's element types: the --dtype/--out-dtype option values and
 * the conversion of an input .npy array to the dtype asked for.
 */
#ifndef MHA_ATTEND_DTYPE_H
#define MHA_ATTEND_DTYPE_H

#include "mha.h"
#include "npy.h"

/* CLI_CUSTOM parser of fp32, bf16 or fp16 into an mha_dtype. */
int attend_parse_dtype(const char *cmd, const char *opt, const char *text, void *dst);

/*
 * The elements of arr as dtype, in a fresh malloc'd buffer (*data). As they
 * are: fp32 from '<f4', fp16 from '<f2', bf16 from '<u2' (bit patterns).
 * Converted, with a line on stderr naming opt and path: float64 is first
 * rounded to float32 (silently for fp32, as always), float32 and float16
 * values are rounded to bf16 or fp16 (nearest even), float16 widens to
 * fp32 exactly. '<u2' for any dtype but bf16 is refused. 0, or -1 after
 * printing why.
 */
int attend_convert_input(const char *opt, const char *path, const npy_array *arr, mha_dtype dtype, void **data);

/* The highest-priority implementation that runs here and declares in -> out (naive declares every one). */
const mha_impl *attend_best_impl(mha_dtype in, mha_dtype out);

/* The .npy dtype an output of dtype is written as: '<f4', '<u2' (bf16 bit patterns), '<f2'. */
npy_dtype attend_npy_dtype(mha_dtype dtype);

#endif
