/* The heatmap picture as a scene: one T x T panel per head, labels, colour bar, title. */
#ifndef MHA_HEATMAP_LAYOUT_H
#define MHA_HEATMAP_LAYOUT_H

#include "scene.h"

#include <stdint.h>

typedef struct hm_picture {
    const char *const *tokens; /* T labels */
    int64_t T, heads;
    const float *probs;        /* (heads, T, T), row = query, column = key */
    int causal;                /* cells j > i drawn grey: hidden by the mask */
    const char *title;
} hm_picture;

/*
 * Lays the picture out into s (initialised here). SVG groups: "panel-h<h>"
 * (class "panel") holding "cells" (each cell's <title> gives its query,
 * key and probability on hover), "query-labels" and "key-labels" groups;
 * "colorbar" with round ticks and the group "uniform", a red line at 1/T
 * (T keys, uniform attention). Returns 0, or -1 when out of memory.
 */
int hm_layout(const hm_picture *p, scene *s);

/*
 * The colour bar's tick spacing: the smallest of 1, 2, 2.5, 5 times a power
 * of ten that is at least vmax / 4, so ticks 0, step, 2 step, ... <= vmax are
 * round numbers, 4 or 5 of them (and one more at 0).
 */
double hm_tick_step(double vmax);

/* The colour scale's top: the largest probability (1 if all are 0). */
double hm_color_max(const float *probs, int64_t count);

#endif
