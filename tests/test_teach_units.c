/* The heatmap experiment's pieces: tokens, embeddings, weight seeds, head distance, viridis. */
#include "check.h"
#include "heatmap_layout.h"
#include "heatmap_model.h"
#include "viridis.h"

#include <math.h>
#include <string.h>

static void tokens_and_embedding(void)
{
    hm_tokens t;
    CHECK(hm_tokenize("  <bos> I work ,\tyou work , he\n", &t) == 0, "tokenize");
    CHECK(t.count == 8, "8 tokens, got %d", t.count);
    CHECK(t.count == 8 && strcmp(t.tok[0], "<bos>") == 0 && strcmp(t.tok[3], ",") == 0 && strcmp(t.tok[7], "he") == 0,
          "token texts");
    float x[8 * 16];
    hm_embed(&t, 16, x);
    /* "work" at 2 and 5, "," at 3 and 6: equal rows; "I" and "you" differ. */
    CHECK(memcmp(x + 2 * 16, x + 5 * 16, 16 * sizeof(float)) == 0, "equal tokens, equal rows");
    CHECK(memcmp(x + 3 * 16, x + 6 * 16, 16 * sizeof(float)) == 0, "',' rows equal");
    CHECK(memcmp(x + 1 * 16, x + 4 * 16, 16 * sizeof(float)) != 0, "different tokens differ");
    int in_range = 1;
    for (int i = 0; i < 8 * 16; i++)
        in_range &= x[i] >= -1.0f && x[i] < 1.0f;
    CHECK(in_range, "embedding values in [-1, 1)");
    hm_tokens_free(&t);
    CHECK(hm_tokenize(" \t ", &t) == 0 && t.count == 0, "blank text has no tokens");
    hm_tokens_free(&t);
}

static void weights(void)
{
    /* Four distinct derived seeds; the first is SplitMix64's first output for seed 0,
     * 0xE220A8397B1DCDAF (Steele et al. reference stream). */
    CHECK(hm_weight_seed(0, 0) == UINT64_C(0xE220A8397B1DCDAF), "seed_0 = %llx",
          (unsigned long long)hm_weight_seed(0, 0));
    for (int a = 0; a < 4; a++)
        for (int b = a + 1; b < 4; b++)
            CHECK(hm_weight_seed(0, a) != hm_weight_seed(0, b), "seeds %d and %d equal", a, b);
    hm_weights w;
    CHECK(hm_weights_make(&w, 0, 64) == 0, "weights");
    float bound = 1.0f / 8.0f; /* 1/sqrt(64) */
    int ok = 1;
    for (int m = 0; m < 4; m++)
        for (int i = 0; i < 64 * 64; i++)
            ok &= fabsf(w.w[m][i]) <= bound;
    CHECK(ok, "weights within 1/sqrt(D)");
    CHECK(memcmp(w.w[0], w.w[1], 64 * 64 * sizeof(float)) != 0, "W_Q != W_K");
    hm_weights_free(&w);
}

static void head_difference(void)
{
    /* Two heads, T = 2. Head 0 = [[1, 0], [0.5, 0.5]], head 1 = [[0, 1], [0.5, 0.5]]:
     * |diff| = 1, 1, 0, 0: mean over 4 cells 0.5; causal cells (0,0), (1,0), (1,1): 1/3. */
    const float p[8] = {1, 0, 0.5f, 0.5f, 0, 1, 0.5f, 0.5f};
    int a, b;
    double d = hm_min_head_difference(p, 2, 2, 0, &a, &b);
    CHECK(fabs(d - 0.5) < 1e-12 && a == 0 && b == 1, "mean |diff| 0.5, got %g", d);
    d = hm_min_head_difference(p, 2, 2, 1, &a, &b);
    CHECK(fabs(d - 1.0 / 3.0) < 1e-12, "causal mean |diff| 1/3, got %g", d);
}

static void viridis(void)
{
    /* Endpoints and middle of matplotlib's table: #440154, #21918c (entry 128), #fde725. */
    CHECK(viridis_hex(0.0) == 0x440154, "viridis(0) %06x", viridis_hex(0.0));
    CHECK(viridis_hex(1.0) == 0xfde725, "viridis(1) %06x", viridis_hex(1.0));
    CHECK(viridis_hex(128.0 / 255.0) == 0x21918c, "viridis(128/255) %06x", viridis_hex(128.0 / 255.0));
    /* L* rises monotonically (perceptually ordered). */
    int mono = 1;
    for (int i = 1; i <= 100; i++)
        mono &= viridis_lightness(i / 100.0) > viridis_lightness((i - 1) / 100.0);
    CHECK(mono, "viridis lightness increases");
    /* L* of #440154 is about 15, of #fde725 about 91: threshold = vmax * 2.3 / 76 = 0.030 vmax. */
    double t = hm_distinct_threshold(1.0);
    CHECK(t > 0.028 && t < 0.033, "threshold fraction %g", t);
}

static void colour_bar_ticks(void)
{
    /* The smallest of 1, 2, 2.5, 5 x 10^k at least vmax / 4, worked by hand:
     * 0.173 / 4 = 0.043 -> 0.05; 1 / 4 = 0.25 -> 0.25; 0.5 / 4 = 0.125 -> 0.2; 0.3 / 4 = 0.075 -> 0.1;
     * 0.04 / 4 = 0.01 -> 0.01; 7 / 4 = 1.75 -> 2. */
    static const double vmax[] = {0.173, 1.0, 0.5, 0.3, 0.04, 7.0}, step[] = {0.05, 0.25, 0.2, 0.1, 0.01, 2.0};
    for (int i = 0; i < 6; i++)
        CHECK(fabs(hm_tick_step(vmax[i]) - step[i]) < 1e-12 * step[i], "tick step for %g: %g, expected %g", vmax[i],
              hm_tick_step(vmax[i]), step[i]);
}

/* No text of the picture runs past its right edge (a small causal picture has the longest subtitle). */
static void texts_inside(void)
{
    const char *tokens[] = {"<bos>", "a", "b", "c"};
    const float probs[2 * 16] = {1, 0, 0, 0, 0.5f, 0.5f, 0, 0, 0.3f, 0.3f, 0.4f, 0, 0.25f, 0.25f, 0.25f, 0.25f,
                                 1, 0, 0, 0, 0.5f, 0.5f, 0, 0, 0.3f, 0.3f, 0.4f, 0, 0.25f, 0.25f, 0.25f, 0.25f};
    hm_picture pic = {tokens, 4, 2, probs, 1, "Attention per head: d_model 16, heads 2, seed 0, impl naive, causal on"};
    scene s;
    CHECK(hm_layout(&pic, &s) == 0, "layout");
    for (size_t i = 0; i < s.count; i++) {
        const scene_item *it = &s.items[i];
        if (it->kind != SCENE_TEXT || it->rotate != 0)
            continue;
        const double w = scene_text_width(it->text, it->size);
        const double right = it->anchor == SCENE_START ? it->x + w : it->anchor == SCENE_MIDDLE ? it->x + w / 2 : it->x;
        CHECK(right <= s.width, "'%s' ends at %.1f, past the width %.1f", it->text, right, s.width);
    }
    scene_free(&s);
}

int main(void)
{
    texts_inside();
    colour_bar_ticks();
    tokens_and_embedding();
    weights();
    head_difference();
    viridis();
    return check_summary();
}
