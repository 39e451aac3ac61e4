/* Line charts; see plot.h. */
#include "plot.h"
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define W 760.0
#define H 440.0
#define LEFT 78.0
#define RIGHT 230.0   /* room for the legend */
#define TOP 44.0
#define BOTTOM 58.0

const char *plot_color(int i)
{
    /* Okabe-Ito colour-blind safe palette plus greys */
    static const char *const p[] = {"#000000", "#e69f00", "#56b4e9", "#009e73", "#d55e00",
                                    "#0072b2", "#cc79a7", "#b8a400", "#7f7f7f", "#8c2d04"};
    return p[(i < 0 ? -i : i) % 10];
}

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

int plot_lines(FILE *f, const plot_spec *spec, const plot_series *series, int n_series)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    int points = 0;
    for (int s = 0; s < n_series; s++)
        for (int i = 0; i < series[s].n; i++) {
            double x = series[s].x[i], y = series[s].y[i];
            if (!usable(spec->xscale, x) || !usable(spec->yscale, y))
                continue;
            x = tr(spec->xscale, x), y = tr(spec->yscale, y);
            x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
            points++;
        }
    if (spec->hline > 0 && usable(spec->yscale, spec->hline)) {
        y0 = fmin(y0, tr(spec->yscale, spec->hline));
        y1 = fmax(y1, tr(spec->yscale, spec->hline));
    }
    svg g;
    svg_begin(&g, f, W, H);
    svg_title(&g, spec->title);
    svg_text(&g, W / 2 - RIGHT / 2 + LEFT / 2, 24, 16, "middle", 0, spec->title);
    const double pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
    svg_rect(&g, LEFT, TOP, pw, ph, "#ffffff", "#444444");
    if (points == 0) {
        svg_text(&g, LEFT + pw / 2, TOP + ph / 2, 14, "middle", 0, "no data for this plot in these results");
        svg_end(&g);
        return 0;
    }
    /* axis ranges: log axes snap to whole powers, linear y may start at 0 */
    if (spec->xscale != PLOT_LINEAR)
        x0 = floor(x0), x1 = ceil(x1);
    if (spec->yscale != PLOT_LINEAR) {
        y0 = floor(y0), y1 = ceil(y1);
    } else {
        if (spec->y_from_zero && y0 > 0)
            y0 = 0;
        double st = nice_step(y1 - y0 > 0 ? y1 - y0 : fabs(y1) + 1, 5);
        y0 = floor(y0 / st) * st, y1 = ceil(y1 / st) * st;
    }
    if (x1 <= x0)
        x0 -= 0.5, x1 += 0.5;
    if (y1 <= y0)
        y0 -= 0.5, y1 += 0.5;
#define PX(v) (LEFT + ((v) - x0) / (x1 - x0) * pw)
#define PY(v) (TOP + ph - ((v) - y0) / (y1 - y0) * ph)
    char t[64];
    /* x ticks */
    svg_group_begin(&g, "x-axis", NULL);
    if (spec->xscale != PLOT_LINEAR) {
        int step = x1 - x0 > 12 ? 2 : 1;
        for (double v = x0; v <= x1 + 1e-9; v += step) {
            fmt_value(t, sizeof t, spec->xscale == PLOT_LOG2 ? exp2(v) : pow(10, v), spec->xformat);
            svg_line(&g, PX(v), TOP, PX(v), TOP + ph, "#e4e4e4", 1);
            svg_text(&g, PX(v), TOP + ph + 18, 12, "middle", 0, t);
        }
    } else {
        double st = nice_step(x1 - x0, 6);
        for (double v = ceil(x0 / st) * st; v <= x1 + 1e-9 * st; v += st) {
            fmt_value(t, sizeof t, v, spec->xformat);
            svg_line(&g, PX(v), TOP, PX(v), TOP + ph, "#e4e4e4", 1);
            svg_text(&g, PX(v), TOP + ph + 18, 12, "middle", 0, t);
        }
    }
    svg_text(&g, LEFT + pw / 2, H - 14, 13, "middle", 0, spec->xlabel);
    svg_group_end(&g);
    /* y ticks */
    svg_group_begin(&g, "y-axis", NULL);
    if (spec->yscale != PLOT_LINEAR) {
        double base = spec->yscale == PLOT_LOG2 ? 2 : 10;
        int step = (int)ceil((y1 - y0) / 8);
        if (step < 1)
            step = 1;
        for (double v = y0; v <= y1 + 1e-9; v += step) {
            fmt_value(t, sizeof t, pow(base, v), spec->yformat);
            svg_line(&g, LEFT, PY(v), LEFT + pw, PY(v), "#e4e4e4", 1);
            svg_text(&g, LEFT - 6, PY(v) + 4, 12, "end", 0, t);
        }
    } else {
        double st = nice_step(y1 - y0, 5);
        for (double v = y0; v <= y1 + 1e-9 * st; v += st) {
            fmt_value(t, sizeof t, fabs(v) < 1e-12 * st ? 0 : v, spec->yformat);
            svg_line(&g, LEFT, PY(v), LEFT + pw, PY(v), "#e4e4e4", 1);
            svg_text(&g, LEFT - 6, PY(v) + 4, 12, "end", 0, t);
        }
    }
    svg_text(&g, 18, TOP + ph / 2, 13, "middle", -90, spec->ylabel);
    svg_group_end(&g);
    svg_rect(&g, LEFT, TOP, pw, ph, NULL, "#444444");
    if (spec->hline > 0 && usable(spec->yscale, spec->hline)) {
        double y = PY(tr(spec->yscale, spec->hline));
        svg_line(&g, LEFT, y, LEFT + pw, y, "#999999", 1.5);
        svg_text(&g, LEFT + pw - 4, y - 5, 11, "end", 0, spec->hline_label ? spec->hline_label : "");
    }
    /* series */
    for (int s = 0; s < n_series; s++) {
        double xs[256], ys[256];
        int n = 0;
        for (int i = 0; i < series[s].n && n < 256; i++) {
            double x = series[s].x[i], y = series[s].y[i];
            if (!usable(spec->xscale, x) || !usable(spec->yscale, y))
                continue;
            xs[n] = PX(tr(spec->xscale, x)), ys[n] = PY(tr(spec->yscale, y));
            n++;
        }
        char id[80];
        snprintf(id, sizeof id, "series-%d", s);
        svg_group_begin(&g, id, "series");
        svg_title(&g, series[s].label);
        const char *col = plot_color(series[s].color);
        if (n > 1 && !series[s].markers_only)
            svg_polyline(&g, xs, ys, n, col, 2, series[s].dashed);
        for (int i = 0; i < n; i++)
            svg_circle(&g, xs[i], ys[i], 3, col);
        svg_group_end(&g);
        /* legend entry */
        double ly = TOP + 8 + 20.0 * s, lx = W - RIGHT + 14;
        double lxs[2] = {lx, lx + 26}, lys[2] = {ly, ly};
        if (!series[s].markers_only)
            svg_polyline(&g, lxs, lys, 2, col, 2, series[s].dashed);
        svg_circle(&g, lx + 13, ly, 3, col);
        /* long labels get a smaller font so they stay inside the picture */
        size_t len = strlen(series[s].label);
        svg_text(&g, lx + 32, ly + 4, len > 28 ? 12.0 * 28 / (double)len : 12, "start", 0, series[s].label);
    }
    svg_end(&g);
#undef PX
#undef PY
    return points;
}
