/* The series styles of the charts: colour, marker and dash; see plot.h. */
#include "plot.h"

#include <math.h>

/*
 * Okabe and Ito's eight colour-blind safe colours without their yellow
 * (too light on white), then olive, indigo, brown, wine and grey. No two
 * are closer in CIELAB than Okabe and Ito's own closest pair (sky blue and
 * blue; tests/test_draw.c checks it).
 */
static const int32_t palette[PLOT_PALETTE_SIZE] = {
    0x000000, 0xe69f00, 0x56b4e9, 0x009e73, 0xd55e00, 0x0072b2,
    0xcc79a7, 0x999933, 0x332288, 0x8c564b, 0x882255, 0x888888,
};

plot_style plot_style_of(int i)
{
    if (i < 0)
        i = -i;
    return (plot_style){palette[i % PLOT_PALETTE_SIZE], (plot_marker)(i % PLOT_MARKER_COUNT),
                        (scene_dash)(i % SCENE_DASH_COUNT)};
}

/* Points of a regular polygon with k corners, the first at angle a0 (degrees, 0 = right, clockwise on screen). */
static int regular(int k, double a0, double x, double y, double r, double *xs, double *ys)
{
    for (int i = 0; i < k; i++) {
        double a = (a0 + 360.0 * i / k) * M_PI / 180.0;
        xs[i] = x + r * cos(a), ys[i] = y + r * sin(a);
    }
    return k;
}

/* A plus sign of arm half-width w, rotated by `turn` degrees. */
static int plus(double turn, double x, double y, double r, double *xs, double *ys)
{
    const double w = r / 3;
    const double u[12] = {w, w, r, r, w, w, -w, -w, -r, -r, -w, -w};
    const double v[12] = {-r, -w, -w, w, w, r, r, w, w, -w, -w, -r};
    const double c = cos(turn * M_PI / 180.0), s = sin(turn * M_PI / 180.0);
    for (int i = 0; i < 12; i++)
        xs[i] = x + c * u[i] - s * v[i], ys[i] = y + s * u[i] + c * v[i];
    return 12;
}

int plot_marker_outline(plot_marker m, double x, double y, double r, double *xs, double *ys)
{
    switch (m) {
    case PLOT_SQUARE:
        return regular(4, 45, x, y, r * 1.2, xs, ys);
    case PLOT_TRIANGLE_UP:
        return regular(3, -90, x, y, r * 1.35, xs, ys);
    case PLOT_DIAMOND:
        return regular(4, 0, x, y, r * 1.35, xs, ys);
    case PLOT_TRIANGLE_DOWN:
        return regular(3, 90, x, y, r * 1.35, xs, ys);
    case PLOT_PLUS:
        return plus(0, x, y, r * 1.35, xs, ys);
    case PLOT_CROSS:
        return plus(45, x, y, r * 1.35, xs, ys);
    default:
        return regular(12, 0, x, y, r, xs, ys);
    }
}
