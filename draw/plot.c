/* Line charts as scenes; see plot.h. */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define LEFT 78.0        /* room for the y tick labels and the y label */
#define PLOT_W 480.0
#define PLOT_H 320.0
#define TOP 44.0
#define BOTTOM 58.0
#define LEGEND_GAP 20.0  /* between the plot area and the legend */
#define LEGEND_ROW 20.0
#define LEGEND_TEXT_X 38.0 /* from the legend's left edge: after the line sample */
#define LEGEND_FONT 12.0
#define TITLE_FONT 15.0
#define MARGIN 12.0
#define MARKER_R 3.5
#define GRID 0xe4e4e4
#define FRAME 0x444444
#define REFERENCE 0x555555

static double tr(plot_scale s, double v)
{
    return s == PLOT_LOG2 ? log2(v) : s == PLOT_LOG10 ? log10(v) : v;
}

static void fmt_value(char *buf, size_t size, double v, plot_format f)
{
    if (f == PLOT_BYTES) {
        static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        int k = 0;
        while (fabs(v) >= 1024 && k < 4)
            v /= 1024, k++;
        snprintf(buf, size, "%g %s", v, u[k]);
    } else if (fabs(v) >= 1e6) {
        snprintf(buf, size, "%gM", v / 1e6);
    } else if (fabs(v) >= 1e4) {
        snprintf(buf, size, "%gk", v / 1e3);
    } else {
        snprintf(buf, size, "%g", v);
    }
}

/* A "nice" step for about n ticks over span: 1, 2 or 5 times a power of ten. */
static double nice_step(double span, int n)
{
    double raw = span / n, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static int usable(plot_scale s, double v)
{
    return isfinite(v) && (s == PLOT_LINEAR || v > 0);
}

/* PLOT_AUTO resolved from the y values: log10 when the positive ones span more than a decade. */
static plot_scale resolve_y(const plot_spec *spec, const plot_series *series, int n_series)
{
    if (spec->yscale != PLOT_AUTO)
        return spec->yscale;
    double lo = INFINITY, hi = 0;
    for (int s = 0; s < n_series; s++)
        for (int i = 0; i < series[s].n; i++)
            if (isfinite(series[s].y[i]) && series[s].y[i] > 0)
                lo = fmin(lo, series[s].y[i]), hi = fmax(hi, series[s].y[i]);
    return hi > 10 * lo ? PLOT_LOG10 : PLOT_LINEAR;
}

typedef struct frame {
    double x0, x1, y0, y1; /* axis ranges, transformed */
    plot_scale xs, ys;
} frame;

static double px(const frame *f, double v) { return LEFT + (v - f->x0) / (f->x1 - f->x0) * PLOT_W; }
static double py(const frame *f, double v) { return TOP + PLOT_H - (v - f->y0) / (f->y1 - f->y0) * PLOT_H; }

static void x_ticks(scene *g, const frame *f, const plot_spec *spec)
{
    char t[64];
    if (f->xs != PLOT_LINEAR) {
        int step = f->x1 - f->x0 > 12 ? 2 : 1;
        for (double v = f->x0; v <= f->x1 + 1e-9; v += step) {
            fmt_value(t, sizeof t, f->xs == PLOT_LOG2 ? exp2(v) : pow(10, v), spec->xformat);
            scene_line(g, px(f, v), TOP, px(f, v), TOP + PLOT_H, GRID, 1);
            scene_text(g, px(f, v), TOP + PLOT_H + 18, 12, SCENE_MIDDLE, 0, t);
        }
        return;
    }
    double st = nice_step(f->x1 - f->x0, 6);
    for (double v = ceil(f->x0 / st) * st; v <= f->x1 + 1e-9 * st; v += st) {
        fmt_value(t, sizeof t, v, spec->xformat);
        scene_line(g, px(f, v), TOP, px(f, v), TOP + PLOT_H, GRID, 1);
        scene_text(g, px(f, v), TOP + PLOT_H + 18, 12, SCENE_MIDDLE, 0, t);
    }
}

static void y_tick(scene *g, const frame *f, double v, double value, plot_format format)
{
    char t[64];
    fmt_value(t, sizeof t, value, format);
    scene_line(g, LEFT, py(f, v), LEFT + PLOT_W, py(f, v), GRID, 1);
    scene_text(g, LEFT - 6, py(f, v) + 4, 12, SCENE_END, 0, t);
}

static void y_ticks(scene *g, const frame *f, const plot_spec *spec)
{
    if (f->ys == PLOT_LOG10 && f->y1 - f->y0 <= 3) { /* few decades: 1, 2 and 5 times each power */
        static const double mult[3] = {1, 2, 5};
        for (double p = f->y0; p <= f->y1 + 1e-9; p++)
            for (int k = 0; k < 3; k++) {
                double v = p + log10(mult[k]);
                if (v <= f->y1 + 1e-9)
                    y_tick(g, f, v, mult[k] * pow(10, p), spec->yformat);
            }
    } else if (f->ys != PLOT_LINEAR) {
        double base = f->ys == PLOT_LOG2 ? 2 : 10;
        int step = (int)ceil((f->y1 - f->y0) / 8);
        for (double v = f->y0; v <= f->y1 + 1e-9; v += step < 1 ? 1 : step)
            y_tick(g, f, v, pow(base, v), spec->yformat);
    } else {
        double st = nice_step(f->y1 - f->y0, 5);
        for (double v = f->y0; v <= f->y1 + 1e-9 * st; v += st)
            y_tick(g, f, v, fabs(v) < 1e-12 * st ? 0 : v, spec->yformat);
    }
}

/* The axis ranges over every usable point and the reference line; returns the number of points. */
static int ranges(frame *f, const plot_spec *spec, const plot_series *series, int n_series)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    int points = 0;
    for (int s = 0; s < n_series; s++)
        for (int i = 0; i < series[s].n; i++) {
            double x = series[s].x[i], y = series[s].y[i];
            if (!usable(f->xs, x) || !usable(f->ys, y))
                continue;
            x = tr(f->xs, x), y = tr(f->ys, y);
            x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
            points++;
        }
    if (points && spec->hline > 0 && usable(f->ys, spec->hline))
        y0 = fmin(y0, tr(f->ys, spec->hline)), y1 = fmax(y1, tr(f->ys, spec->hline));
    if (!points)
        return 0;
    /* log axes snap to whole powers, linear y may start at 0; the top stays a quarter of the largest value
     * (log) or half a tick step (linear) above it, so that no line hides in the frame */
    if (f->xs != PLOT_LINEAR)
        x0 = floor(x0), x1 = ceil(x1);
    if (f->ys != PLOT_LINEAR) {
        y0 = floor(y0), y1 = ceil(y1 + tr(f->ys, 1.25));
    } else {
        if (spec->y_from_zero && y0 > 0)
            y0 = 0;
        double st = nice_step(y1 - y0 > 0 ? y1 - y0 : fabs(y1) + 1, 5);
        y0 = floor(y0 / st) * st, y1 = ceil((y1 + st / 2) / st) * st;
    }
    if (x1 <= x0) /* one x value: a log axis keeps whole powers */
        x0 -= f->xs == PLOT_LINEAR ? 0.5 : 1, x1 += f->xs == PLOT_LINEAR ? 0.5 : 1;
    if (y1 <= y0)
        y0 -= 0.5, y1 += 0.5;
    f->x0 = x0, f->x1 = x1, f->y0 = y0, f->y1 = y1;
    return points;
}

/* One marker of a series' style centred on (x, y). */
static void marker(scene *g, const plot_series *ser, double x, double y)
{
    plot_style st = plot_style_of(ser->style);
    int32_t fill = ser->hollow ? 0xffffff : st.colour;
    if (st.marker == PLOT_CIRCLE) {
        scene_circle(g, x, y, MARKER_R, fill, st.colour);
        return;
    }
    double xs[12], ys[12];
    int n = plot_marker_outline(st.marker, x, y, MARKER_R, xs, ys);
    scene_path(g, xs, ys, n, 1, fill, st.colour, 1, SCENE_SOLID);
}

/* A line of the series' style through n points; reference curves are grey. */
static void line(scene *g, const plot_series *ser, const double *xs, const double *ys, int n)
{
    plot_style st = plot_style_of(ser->style);
    scene_path(g, xs, ys, n, 0, SCENE_NONE, ser->reference ? REFERENCE : st.colour, ser->reference ? 1.5 : 2,
               ser->reference ? (scene_dash)(1 + ser->style % (SCENE_DASH_COUNT - 1)) : st.dash);
}

static void draw_series(scene *g, const frame *f, const plot_spec *spec, const plot_series *ser, int index)
{
    double xs[512], ys[512];
    int n = 0;
    for (int i = 0; i < ser->n && n < 512; i++) {
        double x = ser->x[i], y = ser->y[i];
        if (!usable(f->xs, x) || !usable(f->ys, y))
            continue;
        xs[n] = px(f, tr(f->xs, x)), ys[n] = py(f, tr(f->ys, y));
        n++;
    }
    char id[96];
    snprintf(id, sizeof id, "%s-series-%d", spec->id, index);
    scene_group_begin(g, id, ser->reference ? "series reference" : "series");
    scene_title(g, ser->label);
    if (n == 1 && ser->reference) { /* a reference at one x: a short level mark */
        double mx[2] = {xs[0] - 14, xs[0] + 14}, my[2] = {ys[0], ys[0]};
        line(g, ser, mx, my, 2);
    } else if (n > 1 && !ser->markers_only) {
        line(g, ser, xs, ys, n);
    }
    for (int i = 0; i < n && !ser->reference; i++)
        marker(g, ser, xs[i], ys[i]);
    scene_group_end(g);
}

static void legend(scene *g, const plot_spec *spec, const plot_series *series, int n_series)
{
    char id[96];
    snprintf(id, sizeof id, "%s-legend", spec->id);
    scene_group_begin(g, id, "legend");
    const double lx = LEFT + PLOT_W + LEGEND_GAP;
    for (int s = 0; s < n_series; s++) {
        double ly = TOP + 8 + LEGEND_ROW * s;
        double xs[2] = {lx, lx + 30}, ys[2] = {ly, ly};
        if (!series[s].markers_only)
            line(g, &series[s], xs, ys, 2);
        if (!series[s].reference)
            marker(g, &series[s], lx + 15, ly);
        scene_text(g, lx + LEGEND_TEXT_X, ly + 4, LEGEND_FONT, SCENE_START, 0, series[s].label);
    }
    scene_group_end(g);
}

int plot_lines(scene *g, const plot_spec *spec, const plot_series *series, int n_series)
{
    frame f = {0, 1, 0, 1, spec->xscale == PLOT_AUTO ? PLOT_LOG2 : spec->xscale, resolve_y(spec, series, n_series)};
    int points = ranges(&f, spec, series, n_series);
    /* the canvas: the plot area, then the legend as wide as its longest label, the title on one line */
    double legend_w = 0;
    for (int s = 0; s < n_series; s++)
        legend_w = fmax(legend_w, LEGEND_TEXT_X + scene_text_width(series[s].label, LEGEND_FONT));
    double w = LEFT + PLOT_W + (n_series ? LEGEND_GAP + legend_w : 0) + MARGIN;
    w = fmax(w, 2 * MARGIN + scene_text_width(spec->title, TITLE_FONT));
    double h = fmax(TOP + PLOT_H + BOTTOM, TOP + 8 + LEGEND_ROW * n_series + MARGIN);
    scene_init(g, ceil(w), ceil(h));
    scene_title(g, spec->title);
    scene_text(g, MARGIN, 26, TITLE_FONT, SCENE_START, 0, spec->title);
    scene_rect(g, LEFT, TOP, PLOT_W, PLOT_H, 0xffffff, FRAME);
    if (points == 0) {
        scene_text(g, LEFT + PLOT_W / 2, TOP + PLOT_H / 2, 14, SCENE_MIDDLE, 0, "no data for this plot in these results");
        return 0;
    }
    char id[96];
    snprintf(id, sizeof id, "%s-x-axis", spec->id);
    scene_group_begin(g, id, "axis");
    x_ticks(g, &f, spec);
    scene_text(g, LEFT + PLOT_W / 2, TOP + PLOT_H + 42, 13, SCENE_MIDDLE, 0, spec->xlabel);
    scene_group_end(g);
    snprintf(id, sizeof id, "%s-y-axis", spec->id);
    scene_group_begin(g, id, f.ys == PLOT_LINEAR ? "axis linear" : "axis log");
    y_ticks(g, &f, spec);
    scene_text(g, 18, TOP + PLOT_H / 2, 13, SCENE_MIDDLE, -90, spec->ylabel);
    scene_group_end(g);
    scene_rect(g, LEFT, TOP, PLOT_W, PLOT_H, SCENE_NONE, FRAME);
    if (spec->hline > 0 && usable(f.ys, spec->hline)) {
        double y = py(&f, tr(f.ys, spec->hline)), xs[2] = {LEFT, LEFT + PLOT_W}, ys[2] = {y, y};
        snprintf(id, sizeof id, "%s-hline", spec->id);
        scene_group_begin(g, id, "reference");
        scene_path(g, xs, ys, 2, 0, SCENE_NONE, REFERENCE, 1.5, SCENE_DASHED);
        scene_text(g, LEFT + PLOT_W - 4, y - 5, 11, SCENE_END, 0, spec->hline_label ? spec->hline_label : "");
        scene_group_end(g);
    }
    for (int s = 0; s < n_series; s++)
        draw_series(g, &f, spec, &series[s], s);
    legend(g, spec, series, n_series);
    return points;
}

int plot_write_svg(const char *path, const plot_spec *spec, const plot_series *series, int n_series)
{
    scene g;
    plot_lines(&g, spec, series, n_series);
    return scene_save_svg(&g, path);
}
