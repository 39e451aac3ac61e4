/* The reproducibility record of a heatmap run (seed 001, Block E), as JSON. */
#ifndef MHA_HEATMAP_MANIFEST_H
#define MHA_HEATMAP_MANIFEST_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>


typedef struct hm_manifest {
    const char *command;       /* the command line that made it */
    uint64_t seed;
    int64_t d_model, heads, T;
    const char *text;
    const char *const *tokens;
    const char *impl;
    int causal;
    const char *image;         /* output picture path */
    double single_head_max_diff;
    double single_head_tolerance;
    double min_head_diff;      /* smallest mean |P_a - P_b| over head pairs */
    int pair_a, pair_b;
    double vmax;               /* colour scale top */
    double threshold;
} hm_manifest;

/*
 * Fills the experiment's part of m: config, the min head difference and its
 * pair, the colour scale's top and the distinctness threshold.
 */
struct hm_experiment;
void hm_manifest_fill(hm_manifest *m, const struct hm_experiment *ex, uint64_t seed, const char *text);

/* "heads visibly distinct" needs two heads: 1 distinct, 0 not, -1 not judged (one head). */
int hm_manifest_distinct(const hm_manifest *m);

/*
 * The manifest as JSON to f (heatmap_files.h writes it with the other
 * files); heads_visibly_distinct is null with one head. Returns 0, or -1.
 */
int hm_manifest_dump(const hm_manifest *m, FILE *f);

#endif
