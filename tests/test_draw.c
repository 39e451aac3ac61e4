/*
 * The plots of draw/ (plot.h on scene.h):
 * - the first 12 styles differ in colour, each pair at least as far apart
 *   in CIELAB as the closest pair of Okabe and Ito's colour-blind safe
 *   palette (sky blue and blue), and no two of the first 84 styles share
 *   colour, marker and dash;
 * - with 12 series and long labels, every text (legend, title, ticks) lies
 *   inside the canvas, measured with cairo in the font the writers name;
 * - a y axis becomes logarithmic when the values span more than a decade,
 *   stays linear when they do not;
 * - every series is a group with its label as the hover title, in the SVG;
 * - the same scene paints as PNG through cairo (paths, circles, dashes);
 *   a path drawn after a text starts at its own first point, not where
 *   the text ended (cairo's current point).
 * - stacked bars (bars.h): with 12 long labels and notes every text lies
 *   inside the canvas, each part shows its share, a row without time says
 *   so instead of a bar, each part has its hover text.
 */
#include "check.h"
#include "bars.h"
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef MHA_HAVE_CAIRO
#include <cairo.h>
#endif

/* sRGB (0xRRGGBB) to CIELAB with the D65 white. */
static void lab(int32_t rgb, double out[3])
{
    double c[3] = {((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0};
    for (int i = 0; i < 3; i++)
        c[i] = c[i] <= 0.04045 ? c[i] / 12.92 : pow((c[i] + 0.055) / 1.055, 2.4);
    double xyz[3] = {(0.4124 * c[0] + 0.3576 * c[1] + 0.1805 * c[2]) / 0.95047,
                     0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2],
                     (0.0193 * c[0] + 0.1192 * c[1] + 0.9505 * c[2]) / 1.08883};
    for (int i = 0; i < 3; i++)
        xyz[i] = xyz[i] > 0.008856 ? cbrt(xyz[i]) : 7.787 * xyz[i] + 16.0 / 116.0;
    out[0] = 116 * xyz[1] - 16, out[1] = 500 * (xyz[0] - xyz[1]), out[2] = 200 * (xyz[1] - xyz[2]);
}

static double delta_e(int32_t a, int32_t b)
{
    double p[3], q[3];
    lab(a, p), lab(b, q);
    return sqrt((p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) + (p[2] - q[2]) * (p[2] - q[2]));
}

static void palette(void)
{
    /* Okabe and Ito, "Color Universal Design" (2008): black, orange, sky blue, bluish green, yellow, blue,
     * vermillion, reddish purple */
    static const int32_t okabe_ito[8] = {0x000000, 0xe69f00, 0x56b4e9, 0x009e73, 0xf0e442, 0x0072b2, 0xd55e00, 0xcc79a7};
    double reference = INFINITY;
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < i; j++)
            reference = fmin(reference, delta_e(okabe_ito[i], okabe_ito[j]));
    for (int i = 0; i < 12; i++)
        for (int j = 0; j < i; j++) {
            plot_style a = plot_style_of(i), b = plot_style_of(j);
            double de = delta_e(a.colour, b.colour);
            CHECK(de >= reference, "styles %d and %d: colours #%06x and #%06x are %.1f apart in CIELAB, closer than "
                  "Okabe-Ito's closest pair (%.1f)", i, j, (unsigned)a.colour, (unsigned)b.colour, de, reference);
        }
    for (int i = 0; i < 84; i++)
        for (int j = 0; j < i; j++) {
            plot_style a = plot_style_of(i), b = plot_style_of(j);
            CHECK(a.colour != b.colour || a.marker != b.marker || a.dash != b.dash,
                  "styles %d and %d look the same", i, j);
        }
}

#define N 12
static double xs[4] = {64, 256, 1024, 4096};
static double ys[N][4];
static char labels[N][96];
static plot_series series[N];

static void make_series(double span)
{
    for (int s = 0; s < N; s++) {
        for (int i = 0; i < 4; i++)
            ys[s][i] = (1 + (double)s / N) * (1 + i * (span - 1) / 3);
        snprintf(labels[s], sizeof labels[s], "implementation_%02d @ a-machine-with-a-rather-long-host-name", s);
        series[s] = (plot_series){labels[s], xs, ys[s], 4, s, 0, 0, 0};
    }
}

static const char *y_axis_class(const scene *g)
{
    for (size_t i = 0; i < g->count; i++)
        if (g->items[i].kind == SCENE_GROUP_BEGIN && g->items[i].text && strstr(g->items[i].text, "-y-axis"))
            return g->items[i].cls;
    return "";
}

static void texts_inside(const scene *g)
{
#ifdef MHA_HAVE_CAIRO
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 4, 4);
    cairo_t *cr = cairo_create(surf);
    cairo_select_font_face(cr, SCENE_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    int texts = 0;
    for (size_t i = 0; i < g->count; i++) {
        const scene_item *it = &g->items[i];
        if (it->kind != SCENE_TEXT || it->rotate != 0)
            continue;
        cairo_text_extents_t e;
        cairo_set_font_size(cr, it->size);
        cairo_text_extents(cr, it->text, &e);
        double x0 = it->anchor == SCENE_START ? it->x : it->anchor == SCENE_MIDDLE ? it->x - e.x_advance / 2
                                                                                   : it->x - e.x_advance;
        CHECK(x0 >= 0 && x0 + e.x_advance <= g->width && it->y - it->size >= 0 && it->y <= g->height,
              "text '%s' (%.1f to %.1f wide, baseline %.1f) leaves the %gx%g canvas", it->text, x0,
              x0 + e.x_advance, it->y, g->width, g->height);
        texts++;
    }
    CHECK(texts > N, "only %d texts measured", texts);
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
#else
    (void)g;
    SKIP("built without cairo: text extents not measured");
#endif
}

#ifdef MHA_HAVE_CAIRO
static cairo_status_t read_file(void *closure, unsigned char *data, unsigned int length)
{
    return fread(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_READ_ERROR;
}
#endif

static void png(const scene *g)
{
#ifdef MHA_HAVE_CAIRO
    char err[256] = "";
    FILE *f = tmpfile();
    CHECK(f && scene_write_png(g, f, 1.0, err, sizeof err) == 0, "scene_write_png: %s", err);
    unsigned char head[24] = {0};
    if (f) {
        rewind(f);
        CHECK(fread(head, 1, 24, f) == 24 && memcmp(head + 1, "PNG", 3) == 0, "not a PNG");
        unsigned w = (unsigned)head[16] << 24 | head[17] << 16 | head[18] << 8 | head[19];
        CHECK(w == (unsigned)ceil(g->width), "PNG width %u, the scene's %g", w, g->width);
        fclose(f);
    }
#else
    (void)g;
    SKIP("built without cairo: no PNG");
#endif
}

/* A polygon after a text: in the PNG every painted pixel lies in the text's box or the polygon's. */
static void path_after_text(void)
{
#ifdef MHA_HAVE_CAIRO
    scene g;
    scene_init(&g, 240, 130);
    scene_rect(&g, 0, 0, 240, 130, 0xffffff, SCENE_NONE);
    scene_text(&g, 10, 30, 12, SCENE_START, 0, "label");
    const double xs[4] = {195, 205, 205, 195}, ys[4] = {95, 95, 105, 105};
    scene_path(&g, xs, ys, 4, 1, 0x000000, 0x000000, 1, SCENE_SOLID);
    char err[256] = "";
    FILE *f = tmpfile();
    CHECK(f && scene_write_png(&g, f, 1.0, err, sizeof err) == 0, "scene_write_png: %s", err);
    scene_free(&g);
    if (!f)
        return;
    rewind(f);
    cairo_surface_t *img = cairo_image_surface_create_from_png_stream(read_file, f);
    fclose(f);
    CHECK(cairo_surface_status(img) == CAIRO_STATUS_SUCCESS, "the PNG does not read back");
    const unsigned char *px = cairo_image_surface_get_data(img);
    const int stride = cairo_image_surface_get_stride(img), w = cairo_image_surface_get_width(img),
              h = cairo_image_surface_get_height(img);
    int stray = 0;
    for (int y = 0; px && y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t v;
            memcpy(&v, px + (size_t)y * (size_t)stride + 4 * (size_t)x, 4);
            const int in_text = x < 120 && y < 40, in_square = x >= 193 && x <= 207 && y >= 93 && y <= 107;
            stray += (v & 0xffffff) != 0xffffff && !in_text && !in_square;
        }
    CHECK(stray == 0, "%d painted pixels outside the text and the square (a path from the text's end?)", stray);
    cairo_surface_destroy(img);
#else
    SKIP("built without cairo: no PNG");
#endif
}

/* Stacked bars (bars.h): long labels and notes inside the canvas, shares as text, a row without time. */
static void bars(void)
{
    static const char *const parts[3] = {"first part", "second", "third"};
    static const int32_t colours[3] = {0x0072b2, 0xe69f00, 0x009e73};
    const bars_spec spec = {"b", "Stacked bars with long labels: every label, note and share readable", parts, colours,
                            3, "ms"};
    bars_row rows[N];
    for (int i = 0; i < N; i++) {
        snprintf(labels[i], sizeof labels[i], "a long row label number %d of the stacked bars", i);
        rows[i] = (bars_row){labels[i], "1234.5 ms per call", {1, 1, 2}, i % 4 == 0};
    }
    rows[N - 1].values[0] = rows[N - 1].values[1] = rows[N - 1].values[2] = 0;
    scene g;
    CHECK(bars_stacked(&g, &spec, rows, N) == N - 1, "a bar per row with time, none for the row without");
    texts_inside(&g);
    png(&g);
    int quarter = 0, half = 0, no_time = 0, tips = 0;
    for (size_t i = 0; i < g.count; i++) {
        const scene_item *it = &g.items[i];
        quarter += it->kind == SCENE_TEXT && strcmp(it->text, "25%") == 0 && it->anchor == SCENE_MIDDLE;
        half += it->kind == SCENE_TEXT && strcmp(it->text, "50%") == 0 && it->anchor == SCENE_MIDDLE;
        no_time += it->kind == SCENE_TEXT && strcmp(it->text, "(no time measured)") == 0;
        tips += it->kind == SCENE_RECT && it->text && strstr(it->text, ": third 2 ms (50%)") != NULL;
    }
    /* the axis labels 25% and 50% are anchored in the middle too: one each */
    CHECK(quarter == 2 * (N - 1) + 1 && half == (N - 1) + 1, "shares inside the parts: %d x 25%%, %d x 50%%", quarter,
          half);
    CHECK(no_time == 1 && tips == N - 1, "the row without time said so (%d); hover texts (%d)", no_time, tips);
    scene_free(&g);
}

int main(void)
{
    path_after_text();
    bars();
    palette();
    scene g;
    make_series(1000);
    plot_spec spec = {"t", "Twelve implementations with long labels: every one readable in the legend",
                      "sequence length S", "GFLOP/s", PLOT_LOG2, PLOT_AUTO, PLOT_NUMBER, PLOT_NUMBER, 100,
                      "100% of the peak", 0};
    CHECK(plot_lines(&g, &spec, series, N) == 4 * N, "every point drawn");
    CHECK(strcmp(y_axis_class(&g), "axis log") == 0, "values over three decades: log axis, got '%s'",
          y_axis_class(&g));
    texts_inside(&g);
    png(&g);
    char *svg = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&svg, &size);
    CHECK(f && scene_write_svg(&g, f) == 0, "scene_write_svg");
    if (f)
        fclose(f);
    for (int s = 0; s < N && svg; s++) {
        char want[1400];
        snprintf(want, sizeof want, "<g id=\"t-series-%d\" class=\"series\">\n<title>%s</title>", s, labels[s]);
        CHECK(strstr(svg, want) != NULL, "series %d: a group with its label as hover title", s);
    }
    free(svg);
    scene_free(&g);

    make_series(5); /* from 1 to 1.92 x 5 */
    spec.hline = 0;
    plot_lines(&g, &spec, series, N);
    CHECK(strcmp(y_axis_class(&g), "axis linear") == 0, "values within a decade: linear axis, got '%s'",
          y_axis_class(&g));
    scene_free(&g);
    return check_summary();
}
