/*
 * Lab 001: the MultiHeadAttention class (seed 001). Block B, the H = 1
 * equivalence; Block C, the 4-head heatmap of "<bos> I work , you work ,
 * he" with its manifest (Block E); the pitfalls "reshape order matters"
 * and "transpose for matmul" as broken implementations that the
 * conformance check rejects; and the 4 D^2 vs 3 D^2 parameter question.
 */
#include "lab.h"
#include "lab_001.h"
#include "lab_conformance.h"

#include "conformance/harness.h"
#include "heatmap_manifest.h"
#include "heatmap_model.h"
#include "heatmap_files.h"
#include "shapes_math.h"

#include <stdlib.h>
#include <string.h>

#define TEXT "<bos> I work , you work , he"

int lab001_check_equivalence(lab_env *e, const char *what, const float *y_layer, const float *y_ref, size_t n)
{
    return lab_check_close_f32(e, what, y_layer, y_ref, n, LAB001_SINGLE_HEAD_TOL);
}

int lab001_check_distinct(lab_env *e, int64_t heads, double min_diff, int a, int b, double threshold)
{
    if (heads < 2) {
        fprintf(e->out, "heads visibly distinct: not judged (one head, no pair to compare)\n");
        return -1;
    }
    return lab_check(e, min_diff >= threshold,
                     "heads visibly distinct: closest pair, heads %d and %d, differ by %.4f on average, "
                     "threshold %.4f (one lightness JND on the colour scale)", a, b, min_diff, threshold);
}

/* Block B on the text with weights from seed: the layer (H = 1) against single_head_attention + W_O. */
static int single_head(lab_env *e, int64_t d_model, uint64_t seed, double *max_diff)
{
    hm_tokens tok;
    hm_weights w;
    if (hm_tokenize(TEXT, &tok))
        return -1;
    const int64_t T = tok.count;
    const size_t n = (size_t)(T * d_model);
    float *buf = malloc(3 * n * sizeof *buf);
    if (!buf || hm_weights_make(&w, seed, d_model)) {
        free(buf);
        hm_tokens_free(&tok);
        return -1;
    }
    float *x = buf, *y_layer = buf + n, *y_ref = buf + 2 * n;
    hm_embed(&tok, d_model, x);
    mha_status st = hm_single_head_outputs(e->impl, &w, T, x, y_layer, y_ref);
    if (st == MHA_OK) {
        char what[160];
        snprintf(what, sizeof what, "H = 1 equivalence, d_model %lld, seed %llu: layer vs single_head_attention "
                 "+ W_O", (long long)d_model, (unsigned long long)seed);
        lab001_check_equivalence(e, what, y_layer, y_ref, n);
        *max_diff = lab_max_abs_diff_f32(y_layer, y_ref, n);
    } else {
        fprintf(stderr, "mha lab 001: %s: %s\n", mha_status_str(st), mha_last_error());
    }
    hm_weights_free(&w);
    free(buf);
    hm_tokens_free(&tok);
    return st == MHA_OK ? 0 : -1;
}

static int heatmap(lab_env *e, double single_head_diff)
{
    const int64_t D = 64, H = 4;
    hm_experiment ex;
    mha_status st = hm_experiment_run(&ex, e->impl, TEXT, D, H, 0, 0, 0.0f);
    if (st != MHA_OK) {
        fprintf(stderr, "mha lab 001: %s: %s\n", mha_status_str(st), mha_last_error());
        return -1;
    }
    char image[4096], manifest[4096], title[160], err[4200];
    snprintf(image, sizeof image, "%s/heatmap.svg", e->out_dir);
    snprintf(manifest, sizeof manifest, "%s/manifest.json", e->out_dir);
    snprintf(title, sizeof title, "Attention per head: d_model 64, heads 4, seed 0, impl %s, causal off",
             e->impl->name);
    hm_picture pic = {(const char *const *)ex.tok.tok, ex.T, H, ex.probs, 0, title};
    hm_manifest m;
    memset(&m, 0, sizeof m);
    m.command = "mha lab 001";
    m.impl = e->impl->name;
    m.image = image;
    m.single_head_max_diff = single_head_diff;
    m.single_head_tolerance = LAB001_SINGLE_HEAD_TOL;
    hm_manifest_fill(&m, &ex, 0, TEXT);
    int rc = 0;
    hm_files files = {&pic, image, &ex, NULL, NULL, &m, manifest};
    if (hm_write_files(&files, err, sizeof err)) {
        fprintf(stderr, "mha lab 001: %s\n", err);
        rc = -1;
    } else {
        fprintf(e->out, "wrote %s (one panel per head; hover a cell for its value)\nwrote %s\n", image, manifest);
        lab001_check_distinct(e, H, m.min_head_diff, m.pair_a, m.pair_b, m.threshold);
        fprintf(e->out, "With random weights the patterns are random (the expected null result); \"work\" at\n"
                        "positions 2 and 5 has equal rows and columns: no position information, equal tokens.\n");
    }
    hm_experiment_free(&ex);
    return rc;
}

/* One pitfall as a port through the conformance check; prints and checks its verdicts. */
static void trap(lab_env *e, const char *kind, const char *what, int passes_one_head)
{
    lab_conformance r;
    lab_conformance_run(e, kind, "heads_h1,heads_h4", &r);
    fprintf(e->out, "  rerun: %s\n", r.command);
    lab_check(e, r.status == CHECK_FAILED && lab_conformance_case(&r, "heads_h4") == 0,
              "mha check rejects %s (broken_%s) on heads_h4 (4 heads)", what, kind);
    if (passes_one_head)
        lab_check(e, lab_conformance_case(&r, "heads_h1") == 1,
                  "it passes heads_h1: with one head (T, Dh, 1) and (T, 1, Dh) are the same array, so the "
                  "H = 1 test of Block B cannot see this trap");
    else
        lab_check(e, lab_conformance_case(&r, "heads_h1") == 0,
                  "it fails heads_h1 too: even one head then attends over heads, not over the 33 tokens");
    lab_conformance_free(&r);
}

static void traps(lab_env *e)
{
    lab_section(e, "Pitfalls as broken implementations, through the conformance check (conformance/broken)");
    fprintf(e->out, "Reshape order: x.reshape(T, Dh, H) makes head h's element d feature d*H + h, not h*Dh + d.\n");
    trap(e, "reshape_dh_h", "reshape (T, Dh, H)", 1);
    fprintf(e->out, "Transpose for matmul: multiplying the (T, H, Dh) views before .transpose(1, 0, 2) batches\n"
                    "over tokens: (T, H, Dh) @ (T, Dh, H) is (T, H, H), each token's heads attending to each other.\n");
    trap(e, "matmul_before_transpose", "matmul before transpose", 0);
    lab_conformance good;
    lab_conformance_run(e, NULL, "heads_h1,heads_h4", &good);
    lab_check(e, good.status == CHECK_PASSED, "%s, (T, H, Dh) then transposed, passes heads_h1 and heads_h4",
              e->impl->name);
    lab_conformance_free(&good);
}

static void parameters(lab_env *e)
{
    const int64_t D = 64;
    lab_section(e, "Parameters: 4 d_model^2 vs 3 d_model^2 (d_model = %lld, no bias)", (long long)D);
    /* The matrices the class allocates, counted one by one, against the formula. */
    const int64_t matrix[4][2] = {{D, D}, {D, D}, {D, D}, {D, D}}; /* W_Q, W_K, W_V, W_O */
    int64_t counted = 0, single = 0;
    for (int m = 0; m < 4; m++) {
        counted += matrix[m][0] * matrix[m][1];
        single += m < 3 ? matrix[m][0] * matrix[m][1] : 0;
    }
    fprintf(e->out, "  single-head function of lab 00 (W_Q, W_K, W_V): 3 x %lld x %lld = %lld\n"
                    "  MultiHeadAttention (W_Q, W_K, W_V, W_O):         4 x %lld x %lld = %lld\n"
                    "  the difference, %lld = d_model^2, is W_O, which mixes the concatenated heads.\n",
            (long long)D, (long long)D, (long long)single, (long long)D, (long long)D, (long long)counted,
            (long long)(counted - single));
    for (int64_t H = 1; H <= 8; H *= 2) {
        shapes_cfg c = {1, 8, D, H, H};
        char what[96];
        snprintf(what, sizeof what, "H = %lld: parameters (shapes_math) equal the counted 4 D^2", (long long)H);
        lab_check_equal(e, what, (int64_t)shapes_parameters(&c).total, counted);
    }
    fprintf(e->out, "  Heads split D; they add no parameters (H copies would be H x 4 D^2).\n");
}

int lab_001_run(lab_env *e)
{
    lab_section(e, "Block B: single-head equivalence (MultiHeadAttention(d_model=4, n_heads=1, seed=42))");
    double diff4, diff64;
    if (single_head(e, 4, 42, &diff4) || single_head(e, 64, 0, &diff64))
        return -1;
    lab001_check_distinct(e, 1, 0.0, 0, 0, 0.0);
    lab_section(e, "Block C: attention per head, d_model 64, 4 heads, seed 0, \"" TEXT "\"");
    if (heatmap(e, diff64))
        return -1;
    traps(e);
    parameters(e);
    return 0;
}
