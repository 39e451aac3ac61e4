/* Heatmap manifest; see heatmap_manifest.h. */
#include "heatmap_manifest.h"
#include "heatmap_layout.h"
#include "heatmap_model.h"
#include "mha.h"

#ifdef MHA_HAVE_CAIRO
#include <cairo.h>
#endif

/* The cairo the program was linked with, or why there is none. */
#ifdef MHA_HAVE_CAIRO
#define CAIRO_VERSION_TEXT cairo_version_string()
#else
#define CAIRO_VERSION_TEXT "none (built without cairo: SVG only)"
#endif
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <xxhash.h>

/* UTC date; SOURCE_DATE_EPOCH (reproducible-builds.org) overrides the clock. */
static void today(char buf[16])
{
    const char *env = getenv("SOURCE_DATE_EPOCH");
    time_t t = env && *env ? (time_t)strtoll(env, NULL, 10) : time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 16, "%Y-%m-%d", &tm);
}

static const char *compiler(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return "unknown";
#endif
}

void hm_manifest_fill(hm_manifest *m, const hm_experiment *ex, uint64_t seed, const char *text)
{
    m->seed = seed;
    m->d_model = ex->d_model;
    m->heads = ex->heads;
    m->T = ex->T;
    m->text = text;
    m->tokens = (const char *const *)ex->tok.tok;
    m->min_head_diff = hm_min_head_difference(ex->probs, ex->heads, ex->T, m->causal, &m->pair_a, &m->pair_b);
    m->vmax = hm_color_max(ex->probs, ex->heads * ex->T * ex->T);
    m->threshold = hm_distinct_threshold(m->vmax);
}

int hm_manifest_distinct(const hm_manifest *m)
{
    return m->heads < 2 ? -1 : m->min_head_diff >= m->threshold;
}

int hm_manifest_dump(const hm_manifest *m, FILE *f)
{
    char date[16], xxh[32];
    today(date);
    unsigned xv = XXH_versionNumber();
    snprintf(xxh, sizeof xxh, "%u.%u.%u", xv / 10000, xv / 100 % 100, xv % 100);
    json_t *tokens = json_array();
    for (int64_t i = 0; i < m->T; i++)
        json_array_append_new(tokens, json_string(m->tokens[i]));
    json_t *root = json_pack(
        "{ss ss ss sI ss"
        " s{ss sI ss ss ss ss}"
        " s{sI sI sI ss so ss sb ss ss}"
        " s{sf sf sb so so s[ii] sf sf ss}"
        " s{ss}}",
        "experiment", "15-multi-head", "tool", "mha heatmap", "date", date, "seed", (json_int_t)m->seed,
        "command", m->command,
        "versions", "mhalab", MHA_VERSION_STRING, "mha_abi", (json_int_t)MHA_ABI_VERSION, "compiler", compiler(),
        "cairo", CAIRO_VERSION_TEXT, "xxhash", xxh, "jansson", JANSSON_VERSION,
        "config", "d_model", (json_int_t)m->d_model, "n_heads", (json_int_t)m->heads, "T", (json_int_t)m->T,
        "input_snippet", m->text, "tokens", tokens, "impl", m->impl, "causal", m->causal,
        "embedding", "whitespace tokens; row t = d_model draws of mha_rng_uniform() in [-1, 1) from "
                     "mha_rng_seed(XXH3_64bits(token))",
        "weights", "W_Q, W_K, W_V, W_O (d_model x d_model, no bias): matrix m = 0..3 uses "
                   "mha_init_weights(seed_m, d_model), seed_m = m-th mha_rng_next() after mha_rng_seed(seed); "
                   "uniform [-1, 1) times 1/sqrt(d_model)",
        "results_summary", "single_head_equivalence_max_diff", m->single_head_max_diff,
        "single_head_equivalence_tolerance", m->single_head_tolerance, "single_head_equivalence_passed",
        m->single_head_max_diff <= m->single_head_tolerance, "heads_visibly_distinct",
        hm_manifest_distinct(m) < 0 ? json_null() : json_boolean(hm_manifest_distinct(m)), "heads_min_mean_abs_diff",
        m->heads < 2 ? json_null() : json_real(m->min_head_diff),
        "heads_min_pair", m->pair_a, m->pair_b, "heads_distinct_threshold", m->threshold, "color_scale_max",
        m->vmax, "threshold_rule",
        "mean |P_a - P_b| over visible cells >= one lightness JND on the shared viridis scale: "
        "vmax * 2.3 / (L*(viridis(1)) - L*(viridis(0)))",
        "outputs", "image", m->image);
    if (!root)
        return -1;
    const int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) == 0 &&
                           fputc('\n', f) != EOF
                       ? 0
                       : -1;
    json_decref(root);
    return rc;
}
