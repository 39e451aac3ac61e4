/*
 * Line charts on top of svg.h: axes with ticks and labels (linear or log),
 * one polyline with markers per series, a legend to the right, an optional
 * horizontal reference line.
 */
#ifndef MHA_PLOT_H
#define MHA_PLOT_H

#include <stdio.h>

typedef enum { PLOT_LINEAR, PLOT_LOG2, PLOT_LOG10 } plot_scale;
typedef enum { PLOT_NUMBER, PLOT_BYTES } plot_format;

typedef struct plot_series {
    const char *label;
    const double *x, *y;   /* n points; points with y <= 0 on a log axis are left out */
    int n;
    int color;             /* index into the palette, same implementation = same colour */
    int dashed;
    int markers_only;      /* points without the connecting line (scatter) */
} plot_series;

typedef struct plot_spec {
    const char *title, *xlabel, *ylabel;
    plot_scale xscale, yscale;
    plot_format xformat, yformat;
    double hline;          /* drawn when > 0 */
    const char *hline_label;
    int y_from_zero;       /* linear y axis starts at 0 */
} plot_spec;

/* Writes the chart to f. Returns the number of points drawn. */
int plot_lines(FILE *f, const plot_spec *spec, const plot_series *series, int n_series);

/* Palette colour i (cycles). */
const char *plot_color(int i);

#endif
