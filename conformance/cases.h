/*
 * The conformance cases: shape, layout, mask kind, scale, seed and recipe
 * of every case, and the recipe that turns a seed into input tensors.
 * The same table drives `mha vectors generate` (stored cases) and
 * `mha check` (stored cases plus the large ones computed on the fly).
 */
#ifndef MHA_CONF_CASES_H
#define MHA_CONF_CASES_H

#include "mha.h"

#include <stddef.h>
#include <stdint.h>

enum { CASE_LAYOUT_BSHD, CASE_LAYOUT_BHSD };

/* Additive mask kinds; see vectors/README.md for the exact recipes. */
typedef enum case_mask {
    MASK_NONE,       /* no additive mask */
    MASK_BROADCAST,  /* [1][1][Sq][Skv] uniform in [-2, 2) */
    MASK_PER_HEAD,   /* [B][H][Sq][Skv] uniform in [-2, 2) */
    MASK_NEG_INF,    /* broadcast, about one entry in four is -inf */
    MASK_FULL_ROWS,  /* broadcast, every row i with i % 5 == 1 is all -inf */
    MASK_FULL_TILE,  /* broadcast, keys 32..63 and rows 16..31 are all -inf */
    MASK_INF_COLUMN, /* broadcast zeros, key Skv/2 is -inf for every row */
    MASK_KIND_COUNT
} case_mask;

typedef struct conf_case {
    char id[48];
    char group[16];
    mha_shape shape;
    int layout;        /* CASE_LAYOUT_* of the stored files */
    case_mask mask;
    int causal;
    float scale;       /* 0 means 1/sqrt(Dh) */
    uint64_t seed;
    char recipe[16];   /* uniform, ints, large, zero_q, zero_v, nan_q, nan_k, nan_v */
    int large;         /* checked against the reference on the fly, never stored */
    mha_dtype dtype;     /* of Q, K, V: the recipe's values rounded to it */
    mha_dtype out_dtype; /* of the output the case asks for: fp32 or dtype */
} conf_case;

/*
 * Inputs of one case in logical order: Q [B][Sq][H][Dh], K and V
 * [B][Skv][Hkv][Dh]. Always fp32 arrays: a bf16 or fp16 case holds values
 * its dtype represents exactly (case_narrow() gives its 16-bit patterns).
 */
typedef struct case_inputs {
    float *q, *k, *v;
    float *mask;          /* [mask_b][mask_h][Sq][Skv] or NULL */
    int64_t mask_b, mask_h;
} case_inputs;

/* The table: *count cases, static storage. */
const conf_case *cases_all(size_t *count);

/* Case by id, NULL if none. */
const conf_case *cases_find(const char *id);

/* Does id match one of the comma-separated fnmatch globs (--case)? NULL or "" matches everything. */
int pattern_match(const char *patterns, const char *id);

const char *case_mask_name(case_mask m);
int case_mask_parse(const char *name, case_mask *m);
const char *case_layout_name(int layout);

/* Element counts. */
size_t case_q_count(const mha_shape *s);
size_t case_kv_count(const mha_shape *s);
size_t case_out_count(const mha_shape *s);
size_t case_probs_count(const mha_shape *s);

/* Rounds n floats to dtype in place (nearest even); fp32: unchanged. */
void case_round(mha_dtype dtype, float *x, size_t n);

/* n floats (exact in dtype, bf16 or fp16) to their 16-bit patterns, and back. */
void case_narrow(mha_dtype dtype, const float *src, uint16_t *dst, size_t n);
void case_widen(mha_dtype dtype, const uint16_t *src, float *dst, size_t n);

/* "bf16 -> fp32" (static storage, one per combination). */
const char *case_dtypes_name(const conf_case *c);

/* recipes.c: runs the recipe; returns 0 or -1 (out of memory or unknown recipe). */
int case_make_inputs(const conf_case *c, case_inputs *in);
void case_free_inputs(case_inputs *in);

/*
 * mha_args over logical inputs (bshd strides) with the mask strides set;
 * out/probs left NULL; scale, causal, dtype and out_dtype from the case
 * (the pointers are in's fp32 arrays: a bf16 or fp16 case replaces them,
 * see case_data_args()).
 */
mha_args case_args(const conf_case *c, const case_inputs *in);

/*
 * Copy a logical [B][S][H][Dh] tensor to layout order (BSHD: the same;
 * BHSD: [B][H][S][Dh]) and back.
 */
void case_to_layout(const float *src, float *dst, int64_t B, int64_t S, int64_t H, int64_t Dh, int layout);
void case_from_layout(const float *src, float *dst, int64_t B, int64_t S, int64_t H, int64_t Dh, int layout);

#endif
