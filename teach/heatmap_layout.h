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
 * (class "panel") holding "cells", "query-labels" and "key-labels"
 * groups; "colorbar". Returns 0, or -1 when out of memory.
 */
int hm_layout(const hm_picture *p, scene *s);

/* The colour scale's top: the largest probability (1 if all are 0). */
double hm_color_max(const float *probs, int64_t count);

#endif
