/*
 * Stacked horizontal bars as a scene (scene.h): one bar per row, each bar
 * split into parts drawn as shares of the row's total (every bar is 100%
 * wide), a label left of each bar, a note right of it, the parts' names in
 * a legend above the bars. Each part keeps one colour in every bar. Each
 * bar is a group BARS-bar-N of class "bar"; each part is a rectangle whose
 * hover text gives the row, the part, its value and its share. A part of
 * 8% or more carries its share as text inside it.
 */
#ifndef MHA_BARS_H
#define MHA_BARS_H

#include "scene.h"

#include <stdint.h>

#define BARS_MAX_PARTS 8

typedef struct bars_spec {
    const char *id;                       /* prefix of the groups' ids */
    const char *title;
    const char *const *part_names;        /* n_parts names, legend order = stacking order (left to right) */
    const int32_t *part_colours;          /* 0xRRGGBB, n_parts of them */
    int n_parts;                          /* 1 .. BARS_MAX_PARTS */
    const char *unit;                     /* of the values, in the hover texts ("ms") */
} bars_spec;

typedef struct bars_row {
    const char *label;                    /* left of the bar */
    const char *note;                     /* right of the bar (the total, say), or NULL */
    double values[BARS_MAX_PARTS];        /* >= 0; the bar shows value / sum */
    int gap_before;                       /* 1: a blank line before this row (a new group) */
} bars_row;

/*
 * Builds the chart into out (scene_init'ed here; the caller frees it),
 * sized to its labels, notes, legend and title. Rows whose values sum to
 * 0 or are not finite are drawn as a message instead of a bar. Returns the
 * number of bars drawn.
 */
int bars_stacked(scene *out, const bars_spec *spec, const bars_row *rows, int n_rows);

/* The chart as an SVG file at path; 0, or -1 with errno set. */
int bars_write_svg(const char *path, const bars_spec *spec, const bars_row *rows, int n_rows);

#endif
