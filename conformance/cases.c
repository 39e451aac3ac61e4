/*
 * The case table (recipes.c turns a case into inputs). Every case exists
 * to catch a real bug; the comment above each block says which.
 */
#include "cases.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CASES 192

static conf_case table[MAX_CASES];
static size_t table_count;

/* seed = FNV-1a 64 of the id: stable when cases are added or reordered. */
static uint64_t seed_of(const char *id)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 0x100000001b3u;
    return h;
}

static conf_case *add(const char *group, const char *id, int64_t B, int64_t H, int64_t Hkv, int64_t Sq,
                      int64_t Skv, int64_t Dh)
{
    if (table_count == MAX_CASES) {
        fprintf(stderr, "conformance: more than %d cases, raise MAX_CASES\n", MAX_CASES);
        abort();
    }
    conf_case *c = &table[table_count++];
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", id);
    snprintf(c->group, sizeof c->group, "%s", group);
    snprintf(c->recipe, sizeof c->recipe, "uniform");
    c->shape = (mha_shape){B, H, Hkv, Sq, Skv, Dh};
    c->seed = seed_of(id);
    return c;
}

static void build(void)
{
    char id[48];
    conf_case *c;

    /* tiny: small integers (recipe ints), checkable by hand */
    c = add("tiny", "tiny_1x1_d1", 1, 1, 1, 1, 1, 1);
    snprintf(c->recipe, sizeof c->recipe, "ints");
    c = add("tiny", "tiny_2x3_d4", 1, 1, 1, 2, 3, 4);
    snprintf(c->recipe, sizeof c->recipe, "ints");
    c = add("tiny", "tiny_3x3_d2_causal", 1, 1, 1, 3, 3, 2);
    snprintf(c->recipe, sizeof c->recipe, "ints");
    c->causal = 1;
    c = add("tiny", "tiny_2x2_h2_d3_bhsd", 1, 2, 2, 2, 2, 3);
    snprintf(c->recipe, sizeof c->recipe, "ints");
    c->layout = CASE_LAYOUT_BHSD;

    /* head_dim: vector widths and their tails (1, 3, 7, 33) and common sizes */
    static const int64_t dims[] = {1, 3, 7, 16, 33, 64, 80, 96, 128, 256};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        snprintf(id, sizeof id, "headdim_d%lld", (long long)dims[i]);
        c = add("headdim", id, 1, 2, 2, 19, 19, dims[i]);
        c->layout = i % 2 ? CASE_LAYOUT_BHSD : CASE_LAYOUT_BSHD;
    }

    /* seqlen: one below, at and above every likely tile and vector width */
    static const int64_t lens[] = {1, 2, 3, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        snprintf(id, sizeof id, "seqlen_s%lld", (long long)lens[i]);
        add("seqlen", id, 1, 1, 1, lens[i], lens[i], 16);
        snprintf(id, sizeof id, "seqlen_s%lld_causal", (long long)lens[i]);
        c = add("seqlen", id, 1, 1, 1, lens[i], lens[i], 16);
        c->causal = 1;
        c->layout = CASE_LAYOUT_BHSD;
    }
    /* Sq != Skv around tile edges, both directions */
    add("seqlen", "seqlen_q33_kv65", 1, 2, 2, 33, 65, 16);
    add("seqlen", "seqlen_q65_kv33", 1, 2, 2, 65, 33, 16);
    add("seqlen", "seqlen_q17_kv300", 1, 1, 1, 17, 300, 32);

    /* batch: the batch stride, per-batch masks */
    add("batch", "batch_b2_h2", 2, 2, 2, 17, 17, 16);
    c = add("batch", "batch_b3_h2_bhsd", 3, 2, 2, 9, 33, 8);
    c->layout = CASE_LAYOUT_BHSD;
    c = add("batch", "batch_b2_h3_mask_per_head", 2, 3, 3, 17, 20, 8);
    c->mask = MASK_PER_HEAD;

    /* heads: the head stride and head loops */
    static const int64_t heads[] = {1, 2, 4, 8, 12};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        snprintf(id, sizeof id, "heads_h%lld", (long long)heads[i]);
        c = add("heads", id, 1, heads[i], heads[i], 33, 33, 32);
        c->layout = i % 2 ? CASE_LAYOUT_BHSD : CASE_LAYOUT_BSHD;
    }

    /* gqa / mqa: query head h reads kv head h / (H / Hkv) */
    add("gqa", "gqa_h4_kv2", 1, 4, 2, 17, 17, 16);
    add("gqa", "gqa_h8_kv2", 1, 8, 2, 9, 33, 16);
    c = add("gqa", "gqa_h12_kv4_bhsd", 1, 12, 4, 9, 17, 8);
    c->layout = CASE_LAYOUT_BHSD;
    add("gqa", "gqa_h12_kv3", 2, 12, 3, 5, 17, 8);
    add("gqa", "mqa_h8_kv1", 1, 8, 1, 17, 33, 16);
    c = add("gqa", "mqa_h12_kv1_causal", 1, 12, 1, 9, 40, 8);
    c->causal = 1;
    c = add("gqa", "gqa_h8_kv2_mask_per_head", 1, 8, 2, 9, 17, 8);
    c->mask = MASK_PER_HEAD;

    /* decode: one query against a KV cache, split-KV paths */
    static const int64_t kvs[] = {1, 17, 64, 129, 1000};
    for (size_t i = 0; i < sizeof kvs / sizeof kvs[0]; i++) {
        snprintf(id, sizeof id, "decode_kv%lld", (long long)kvs[i]);
        c = add("decode", id, 1, 4, 2, 1, kvs[i], 64);
        c->causal = i % 2; /* causal with Sq = 1 sees every key */
    }
    /* causal with Sq < Skv (bottom-right alignment) and Sq > Skv (fully masked rows) */
    c = add("decode", "causal_q17_kv129", 1, 2, 2, 17, 129, 16);
    c->causal = 1;
    c = add("decode", "causal_q64_kv257", 1, 1, 1, 64, 257, 16);
    c->causal = 1;
    c = add("decode", "causal_q40_kv17_empty_rows", 1, 2, 2, 40, 17, 16);
    c->causal = 1;

    /* mask: every kind, alone and with causal */
    c = add("mask", "mask_broadcast", 1, 2, 2, 33, 33, 16);
    c->mask = MASK_BROADCAST;
    c = add("mask", "mask_per_head_bhsd", 2, 2, 2, 17, 65, 16);
    c->mask = MASK_PER_HEAD;
    c->layout = CASE_LAYOUT_BHSD;
    c = add("mask", "mask_neg_inf", 1, 2, 2, 33, 65, 16);
    c->mask = MASK_NEG_INF;
    c = add("mask", "mask_full_rows", 1, 2, 2, 33, 33, 16);
    c->mask = MASK_FULL_ROWS;
    c = add("mask", "mask_full_tile", 1, 2, 2, 70, 129, 16);
    c->mask = MASK_FULL_TILE;
    c = add("mask", "mask_full_tile_causal", 1, 1, 1, 96, 96, 16);
    c->mask = MASK_FULL_TILE;
    c->causal = 1;
    c = add("mask", "mask_broadcast_causal", 1, 2, 2, 33, 65, 16);
    c->mask = MASK_BROADCAST;
    c->causal = 1;
    c = add("mask", "mask_neg_inf_causal_bhsd", 1, 2, 1, 65, 65, 8);
    c->mask = MASK_NEG_INF;
    c->causal = 1;
    c->layout = CASE_LAYOUT_BHSD;

    /* logits: |score| up to ~1e4, softmax must subtract the row max */
    c = add("logits", "large_logits", 1, 2, 2, 33, 65, 64);
    snprintf(c->recipe, sizeof c->recipe, "large");
    c = add("logits", "large_logits_causal", 1, 1, 1, 65, 65, 16);
    snprintf(c->recipe, sizeof c->recipe, "large");
    c->causal = 1;
    c = add("logits", "large_logits_mask", 1, 2, 2, 17, 129, 32);
    snprintf(c->recipe, sizeof c->recipe, "large");
    c->mask = MASK_NEG_INF;

    /* softmax shape: peaked (large scale) and perfectly uniform (Q = 0) */
    c = add("softmax", "softmax_peaked", 1, 2, 2, 33, 65, 16);
    c->scale = 50.0f;
    c = add("softmax", "softmax_uniform", 1, 2, 2, 17, 129, 16);
    snprintf(c->recipe, sizeof c->recipe, "zero_q");
    c = add("softmax", "softmax_uniform_s64", 1, 1, 1, 64, 64, 32);
    snprintf(c->recipe, sizeof c->recipe, "zero_q");

    /* special values: zero V, NaN in Q, K, V; a NaN behind a -inf mask is never read */
    c = add("special", "zero_v", 1, 2, 2, 17, 33, 16);
    snprintf(c->recipe, sizeof c->recipe, "zero_v");
    c = add("special", "nan_q", 1, 2, 2, 9, 17, 16);
    snprintf(c->recipe, sizeof c->recipe, "nan_q");
    c = add("special", "nan_k", 1, 2, 2, 9, 17, 16);
    snprintf(c->recipe, sizeof c->recipe, "nan_k");
    c = add("special", "nan_k_causal", 1, 2, 2, 17, 17, 16);
    snprintf(c->recipe, sizeof c->recipe, "nan_k");
    c->causal = 1;
    c = add("special", "nan_v", 1, 2, 1, 9, 17, 16);
    snprintf(c->recipe, sizeof c->recipe, "nan_v");
    c = add("special", "nan_v_masked", 1, 2, 1, 9, 17, 16);
    snprintf(c->recipe, sizeof c->recipe, "nan_v");
    c->mask = MASK_INF_COLUMN;

    /* scale: explicit values, including 1 and a negative one */
    static const float scales[] = {0.125f, 1.0f, 0.3f, -0.5f};
    static const char *const scale_ids[] = {"scale_0p125", "scale_1", "scale_0p3", "scale_neg0p5"};
    for (size_t i = 0; i < 4; i++) {
        c = add("scale", scale_ids[i], 1, 2, 2, 17, 33, 16);
        c->scale = scales[i];
    }

    /*
     * bf16 and fp16: inputs rounded to the dtype; out fp32 or the dtype.
     * GQA, causal, per-head mask, Dh 64 and 128, tails of every tile width,
     * NaN, and a decode row over 1000 keys, where a sum kept in the 16-bit
     * dtype (instead of fp32) loses most of its terms' low bits.
     */
    static const mha_dtype low[] = {MHA_BF16, MHA_F16};
    for (size_t i = 0; i < 2; i++) {
        const mha_dtype dt = low[i];
        const char *p = mha_dtype_name(dt);
        snprintf(id, sizeof id, "%s_gqa_h8_kv2_d64", p);
        c = add(p, id, 1, 8, 2, 17, 33, 64);
        c->dtype = dt;
        snprintf(id, sizeof id, "%s_causal_s65_d128", p);
        c = add(p, id, 1, 2, 2, 65, 65, 128);
        c->dtype = c->out_dtype = dt;
        c->causal = 1;
        c->layout = CASE_LAYOUT_BHSD;
        snprintf(id, sizeof id, "%s_mask_q17_kv40_d64", p);
        c = add(p, id, 2, 2, 1, 17, 40, 64);
        c->dtype = dt;
        c->mask = MASK_PER_HEAD;
        snprintf(id, sizeof id, "%s_tail_q33_kv47_d64", p);
        c = add(p, id, 1, 2, 2, 33, 47, 64);
        c->dtype = c->out_dtype = dt;
        snprintf(id, sizeof id, "%s_nan_v_d128", p);
        c = add(p, id, 1, 2, 1, 9, 17, 128);
        c->dtype = c->out_dtype = dt;
        snprintf(c->recipe, sizeof c->recipe, "nan_v");
        snprintf(id, sizeof id, "%s_decode_kv1000_d128", p);
        c = add(p, id, 1, 4, 2, 1, 1000, 128);
        c->dtype = dt;
    }

    /* large: too big to store, checked against the reference on the fly */
    c = add("large", "large_s1024_d64", 1, 2, 2, 1024, 1024, 64);
    c->large = 1;
    c = add("large", "large_s4096_d16_causal", 1, 1, 1, 4096, 4096, 16);
    c->large = 1;
    c->causal = 1;
    c = add("large", "large_decode_kv4096_gqa", 1, 8, 2, 1, 4096, 128);
    c->large = 1;
    c = add("large", "large_s513_d128_mask", 1, 2, 1, 513, 513, 128);
    c->large = 1;
    c->mask = MASK_NEG_INF;
}

const conf_case *cases_all(size_t *count)
{
    if (!table_count)
        build();
    *count = table_count;
    return table;
}

const conf_case *cases_find(const char *id)
{
    size_t n;
    const conf_case *all = cases_all(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(all[i].id, id) == 0)
            return &all[i];
    return NULL;
}

static const char *const mask_names[MASK_KIND_COUNT] = {"none", "broadcast", "per_head", "neg_inf",
                                                        "full_rows", "full_tile", "inf_column"};

const char *case_mask_name(case_mask m)
{
    return m < MASK_KIND_COUNT ? mask_names[m] : "?";
}

int case_mask_parse(const char *name, case_mask *m)
{
    for (int i = 0; i < MASK_KIND_COUNT; i++)
        if (strcmp(name, mask_names[i]) == 0) {
            *m = (case_mask)i;
            return 0;
        }
    return -1;
}

const char *case_dtypes_name(const conf_case *c)
{
    static const char *const names[MHA_DTYPE_COUNT][MHA_DTYPE_COUNT] = {
        {"fp32 -> fp32", "fp32 -> bf16", "fp32 -> fp16"},
        {"bf16 -> fp32", "bf16 -> bf16", "bf16 -> fp16"},
        {"fp16 -> fp32", "fp16 -> bf16", "fp16 -> fp16"},
    };
    if ((unsigned)c->dtype >= MHA_DTYPE_COUNT || (unsigned)c->out_dtype >= MHA_DTYPE_COUNT)
        return "?";
    return names[c->dtype][c->out_dtype];
}

const char *case_layout_name(int layout)
{
    return layout == CASE_LAYOUT_BHSD ? "bhsd" : "bshd";
}

int pattern_match(const char *patterns, const char *id)
{
    if (!patterns || !*patterns)
        return 1;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", patterns);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (fnmatch(t, id, 0) == 0)
            return 1;
    return 0;
}
