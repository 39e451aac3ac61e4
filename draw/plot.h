/*
 * Line charts as a scene (scene.h): axes with ticks and labels (linear or
 * log), one line with markers per series, a legend to the right sized to
 * its labels, optional reference lines. Every series has a style (colour,
 * marker, dash) from plot_style_of(): the caller gives the same index to
 * the same implementation in every chart, so it looks the same everywhere.
 */
#ifndef MHA_PLOT_H
#define MHA_PLOT_H

#include "scene.h"

#include <stdint.h>

typedef enum {
    PLOT_LINEAR,
    PLOT_LOG2,
    PLOT_LOG10,
    PLOT_AUTO, /* log10 when the positive values span more than one decade (max > 10 min), else linear */
} plot_scale;
typedef enum { PLOT_NUMBER, PLOT_BYTES } plot_format;

typedef enum {
    PLOT_CIRCLE,
    PLOT_SQUARE,
    PLOT_TRIANGLE_UP,
    PLOT_DIAMOND,
    PLOT_TRIANGLE_DOWN,
    PLOT_PLUS,
    PLOT_CROSS,
    PLOT_MARKER_COUNT,
} plot_marker;

/* Colours in the palette: style i has colour i mod this, so any 12 consecutive styles differ in colour. */
#define PLOT_PALETTE_SIZE 12

typedef struct plot_style {
    int32_t colour; /* 0xRRGGBB */
    plot_marker marker;
    scene_dash dash;
} plot_style;

/* Style i (i >= 0): colour i mod 12, marker i mod 7, dash i mod 4 (no two of the first 84 alike). */
plot_style plot_style_of(int i);
/* The marker's outline centred on (x, y), radius r, as n points into xs/ys (room for 12); returns n. */
int plot_marker_outline(plot_marker m, double x, double y, double r, double *xs, double *ys);

typedef struct plot_series {
    const char *label;
    const double *x, *y; /* n points; points with y <= 0 on a log axis are left out */
    int n;
    int style;           /* plot_style_of(style) */
    int markers_only;    /* points without the connecting line (scatter) */
    int hollow;          /* hollow markers: a second line of the same implementation (GQA beside MHA) */
    int reference;       /* a reference curve (a roof, an ideal): grey, without markers, dash by style */
} plot_series;

typedef struct plot_spec {
    const char *id;      /* the plot's name: prefix of its groups' ids ("causal-series-0") */
    const char *title, *xlabel, *ylabel;
    plot_scale xscale, yscale;
    plot_format xformat, yformat;
    double hline;        /* a horizontal reference line, drawn when > 0 */
    const char *hline_label;
    int y_from_zero;     /* a linear y axis starts at 0 */
} plot_spec;

/*
 * Builds the chart into out (scene_init'ed here; the caller frees it). The
 * canvas is as wide and tall as the plot area, the title and the legend
 * need. Returns the number of points drawn.
 */
int plot_lines(scene *out, const plot_spec *spec, const plot_series *series, int n_series);

/* The chart as an SVG file at path; 0, or -1 with errno set. */
int plot_write_svg(const char *path, const plot_spec *spec, const plot_series *series, int n_series);

#endif
