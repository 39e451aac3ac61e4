/*
 * The shape walkthrough of one attention layer (`mha explain`, the labs):
 * every step's shape, FLOPs and fp32 bytes, the parameters, H split heads
 * vs H full-size heads, each head's slice of D, the KV cache of MHA, GQA
 * and MQA, and the per-token decode steps. The arithmetic is shapes_math.h.
 */
#ifndef MHA_TEACH_EXPLAIN_PRINT_H
#define MHA_TEACH_EXPLAIN_PRINT_H

#include "shapes_math.h"

#include <jansson.h>
#include <stdio.h>

/* 1234567 -> "1,234,567" in buf. */
const char *explain_grouped(uint64_t v, char *buf, size_t size);

/* The walkthrough as text tables (c passed shapes_check). */
void explain_print_text(FILE *f, const shapes_cfg *c);

/* Which features of Q, K and V each head reads. */
void explain_print_head_slices(FILE *f, const shapes_cfg *c);

/* The per-token decode steps with their KV cache, and the sum against one causal call. */
void explain_print_decode(FILE *f, const shapes_cfg *c);

/* The same numbers as a JSON object (new reference), or NULL when out of memory. */
json_t *explain_json(const shapes_cfg *c);

#endif
