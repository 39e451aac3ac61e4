/*
 * mha explain's arithmetic (tools/shapes_math.c) against values worked out
 * by hand for the seeds' shapes. Conventions: a matmul (m x k)(k x n) costs
 * 2*m*n*k FLOPs, softmax 5 ops per score, bytes = 4 per fp32 element.
 */
#include "check.h"
#include "shapes_math.h"

#include <string.h>

static const shapes_step *find(const shapes_step *st, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(st[i].name, name) == 0)
            return &st[i];
    return NULL;
}

#define STEP(name) find(st, n, name)

/* Seed 000 (lab 04): (B, S, D) = (2, 8, 32), H = 4, so Dh = 32 / 4 = 8. */
static void seed_2_8_32(void)
{
    shapes_cfg c = {2, 8, 32, 4, 4};
    char msg[256];
    CHECK(shapes_check(&c, msg, sizeof msg) == SHAPES_OK, "(2,8,32) H=4 rejected: %s", msg);
    shapes_step st[SHAPES_MAX_STEPS];
    int n = shapes_walkthrough(&c, st);
    CHECK(n == 12, "12 steps, got %d", n);
    const shapes_step *s;
    /* X: 2*8*32 = 512 floats = 2048 bytes, no FLOPs. */
    s = STEP("X");
    CHECK(s && s->bytes == 2048 && s->flops == 0, "X bytes 2048");
    /* Q = X W_Q: (16 x 32)(32 x 32): 2*16*32*32 = 32768 FLOPs; output 2048 bytes. */
    s = STEP("Q = X W_Q");
    CHECK(s && s->flops == 32768 && s->bytes == 2048, "Q flops %llu", s ? (unsigned long long)s->flops : 0ull);
    /* split heads: (2, 4, 8, 8) = 512 floats, a view: 0 FLOPs. */
    s = STEP("split Q");
    CHECK(s && s->ndim == 4 && s->dims[0] == 2 && s->dims[1] == 4 && s->dims[2] == 8 && s->dims[3] == 8 &&
              s->flops == 0 && s->bytes == 2048,
          "split Q is (2, 4, 8, 8), 0 FLOPs, 2048 bytes");
    /* scores (2, 4, 8, 8): per (b, h) an (8 x 8)(8 x 8) product = 2*8*8*8 = 1024; times B*H = 8: 8192. */
    s = STEP("scores = Q K^T");
    CHECK(s && s->flops == 8192 && s->dims[3] == 8 && s->bytes == 2048, "scores flops 8192");
    /* softmax: 5 ops * 512 scores = 2560. */
    s = STEP("P = softmax(scores / sqrt(Dh))");
    CHECK(s && s->flops == 2560, "softmax 2560");
    /* context = P V: (8 x 8)(8 x 8) per (b, h): 1024 * 8 = 8192. */
    s = STEP("context = P V");
    CHECK(s && s->flops == 8192 && s->dims[1] == 4 && s->dims[3] == 8, "context 8192");
    s = STEP("merge heads");
    CHECK(s && s->ndim == 3 && s->dims[2] == 32 && s->flops == 0, "merge (2, 8, 32)");
    s = STEP("Y = merged W_O");
    CHECK(s && s->flops == 32768, "W_O 32768");
    /* Total: 4 projections 4*32768 = 131072, + 8192 + 2560 + 8192 = 150016. */
    unsigned long long total = 0;
    for (int i = 0; i < n; i++)
        total += st[i].flops;
    CHECK(total == 150016, "total %llu, expected 150016", total);

    /* Parameters: 4 * 32^2 = 4096, not H copies (4 * 4096 = 16384). */
    shapes_params p = shapes_parameters(&c);
    CHECK(p.total == 4096 && p.w_q == 1024 && p.w_k == 1024, "params 4096, got %llu", (unsigned long long)p.total);
    CHECK(p.h_full_copies == 16384, "H copies 16384");

    /* Split vs full: seed count 4*(32*32) = 4096 vs 4*(8*8) = 256 (ratio 16 = H^2);
     * attention FLOPs 4*B*H*S*S*d: 4*2*4*8*8*32 = 65536 vs d = 8: 16384 (ratio H = 4). */
    shapes_split_cost sc = shapes_split_vs_full(&c);
    CHECK(sc.seed_full == 4096 && sc.seed_split == 256, "seed table 4096 vs 256");
    CHECK(sc.attn_flops_full == 65536 && sc.attn_flops_split == 16384, "attention 65536 vs 16384");
    CHECK(sc.params_full == 16384 && sc.params_split == 4096, "params 16384 vs 4096");
    /* KV per token: 2*H*d*4 = 2*4*32*4 = 1024 vs 2*4*8*4 = 256. */
    CHECK(sc.kv_bytes_full == 1024 && sc.kv_bytes_split == 256, "kv 1024 vs 256");

    /* KV cache per token: MHA 2*4 slices, 2*4*8*4 = 256 B; GQA (K = 2) 128 B; MQA 64 B.
     * Per sequence (S = 8): 2048, 1024, 512; batch (B = 2): 4096, 2048, 1024. */
    shapes_kv kv[3];
    shapes_kv_cache(&c, kv);
    CHECK(kv[0].kv_heads == 4 && kv[0].slices_per_token == 8 && kv[0].bytes_per_token == 256 &&
              kv[0].bytes_per_sequence == 2048 && kv[0].bytes_batch == 4096,
          "MHA kv");
    CHECK(kv[1].kv_heads == 2 && kv[1].slices_per_token == 4 && kv[1].bytes_per_token == 128, "GQA kv");
    CHECK(kv[2].kv_heads == 1 && kv[2].slices_per_token == 2 && kv[2].bytes_per_token == 64 &&
              kv[2].bytes_batch == 1024,
          "MQA kv");
}

/* Seed 002 and 003: (B, S, D) = (2, 4, 16), H = 4, Dh = 4. */
static void seed_2_4_16(void)
{
    shapes_cfg c = {2, 4, 16, 4, 4};
    char msg[256];
    CHECK(shapes_check(&c, msg, sizeof msg) == SHAPES_OK, "(2,4,16) H=4 rejected: %s", msg);
    shapes_step st[SHAPES_MAX_STEPS];
    int n = shapes_walkthrough(&c, st);
    const shapes_step *s;
    /* X: 2*4*16 = 128 floats = 512 bytes. Q: 2*(8)*16*16 = 4096 FLOPs. */
    s = STEP("X");
    CHECK(s && s->bytes == 512, "X 512 bytes");
    s = STEP("Q = X W_Q");
    CHECK(s && s->flops == 4096, "Q 4096");
    /* q_heads (2, 4, 4, 4); scores (2, 4, 4, 4): 2*4*4*4 = 128 per (b, h), times 8 = 1024. */
    s = STEP("split Q");
    CHECK(s && s->dims[1] == 4 && s->dims[2] == 4 && s->dims[3] == 4, "q_heads (2, 4, 4, 4)");
    s = STEP("scores = Q K^T");
    CHECK(s && s->flops == 1024 && s->bytes == 2 * 4 * 4 * 4 * 4, "scores 1024 FLOPs, 512 bytes");
    /* Seed 003's table: 4 full-size heads 4*(16*16) = 1024, 4 split heads 4*(4*4) = 64. */
    shapes_split_cost sc = shapes_split_vs_full(&c);
    CHECK(sc.seed_full == 1024 && sc.seed_split == 64, "seed 003 table: %llu vs %llu",
          (unsigned long long)sc.seed_full, (unsigned long long)sc.seed_split);
    /* Real attention FLOPs: 4*2*4*4*4*16 = 8192 vs 4*2*4*4*4*4 = 2048: ratio 4 = H. */
    CHECK(sc.attn_flops_full == 8192 && sc.attn_flops_split == 2048, "attention 8192 vs 2048");
    /* Parameters 4*16^2 = 1024. */
    CHECK(shapes_parameters(&c).total == 1024, "params 1024");
}

/* GQA: D = 32, H = 4, K = 2, Dh = 8: W_K, W_V are 32 x 16 = 512; total 2*1024 + 2*512 = 3072. */
static void gqa(void)
{
    shapes_cfg c = {2, 8, 32, 4, 2};
    char msg[256];
    CHECK(shapes_check(&c, msg, sizeof msg) == SHAPES_OK, "GQA rejected");
    shapes_params p = shapes_parameters(&c);
    CHECK(p.w_k == 512 && p.total == 3072, "GQA params 3072, got %llu", (unsigned long long)p.total);
    shapes_step st[SHAPES_MAX_STEPS];
    int n = shapes_walkthrough(&c, st);
    /* K = X W_K: (16 x 32)(32 x 16) = 2*16*16*32 = 16384 FLOPs, (2, 8, 16) = 1024 bytes. */
    const shapes_step *s = STEP("K = X W_K");
    CHECK(s && s->flops == 16384 && s->bytes == 1024 && s->dims[2] == 16, "GQA K projection");
    s = STEP("split K");
    CHECK(s && s->dims[1] == 2, "split K has 2 kv heads");
    CHECK(strcmp(shapes_kind(4, 2), "GQA") == 0 && strcmp(shapes_kind(4, 1), "MQA") == 0 &&
              strcmp(shapes_kind(4, 4), "MHA") == 0,
          "kinds");
}

static void errors(void)
{
    char msg[512];
    shapes_cfg c = {2, 8, 30, 4, 4};
    CHECK(shapes_check(&c, msg, sizeof msg) == SHAPES_ERR_HEADS, "d_model 30 with 4 heads accepted");
    CHECK(strstr(msg, "1, 2, 3, 5, 6, 10, 15, 30") != NULL, "valid head counts listed: %s", msg);
    c = (shapes_cfg){2, 8, 32, 4, 3};
    CHECK(shapes_check(&c, msg, sizeof msg) == SHAPES_ERR_KV_HEADS, "4 heads with 3 kv heads accepted");
    CHECK(strstr(msg, "1, 2, 4") != NULL, "valid kv-head counts listed: %s", msg);
    c = (shapes_cfg){0, 8, 32, 4, 4};
    CHECK(shapes_check(&c, msg, sizeof msg) == SHAPES_ERR_NONPOSITIVE && strstr(msg, "--batch 0"), "batch 0: %s",
          msg);
    c = (shapes_cfg){2, -1, 32, 4, 4};
    CHECK(shapes_check(&c, msg, sizeof msg) == SHAPES_ERR_NONPOSITIVE && strstr(msg, "--seq -1"), "seq -1");
    c = (shapes_cfg){1 << 20, 1 << 24, 1 << 16, 4, 4};
    CHECK(shapes_check(&c, msg, sizeof msg) == SHAPES_ERR_TOO_LARGE, "overflow accepted");
    /* H = 2 and H = 3 have no GQA. */
    shapes_kv kv[3];
    c = (shapes_cfg){1, 1, 6, 3, 3};
    shapes_kv_cache(&c, kv);
    CHECK(kv[1].kv_heads == 0, "H = 3 has no GQA");
}

int main(void)
{
    seed_2_8_32();
    seed_2_4_16();
    gqa();
    errors();
    return check_summary();
}
