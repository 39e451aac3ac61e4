/* A scene as PNG: the same items painted with cairo on an image surface. */
#include "scene.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>

static void set_rgb(cairo_t *cr, int32_t rgb)
{
    cairo_set_source_rgb(cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0);
}

static void paint_text(cairo_t *cr, const scene_item *it)
{
    cairo_text_extents_t ext;
    cairo_save(cr);
    cairo_set_font_size(cr, it->size);
    cairo_text_extents(cr, it->text, &ext);
    /* Anchors as in SVG: the advance width is placed before, around or after (x, y). */
    double dx = it->anchor == SCENE_START ? 0.0 : it->anchor == SCENE_MIDDLE ? -ext.x_advance / 2 : -ext.x_advance;
    cairo_translate(cr, it->x, it->y);
    if (it->rotate != 0.0)
        cairo_rotate(cr, it->rotate * M_PI / 180.0);
    cairo_move_to(cr, dx, 0.0);
    set_rgb(cr, it->fill);
    cairo_show_text(cr, it->text);
    cairo_restore(cr);
}

/* Fills with fill and strokes with stroke (either may be SCENE_NONE) the current path, then clears it. */
static void fill_and_stroke(cairo_t *cr, const scene_item *it)
{
    if (it->fill != SCENE_NONE) {
        set_rgb(cr, it->fill);
        cairo_fill_preserve(cr);
    }
    if (it->stroke != SCENE_NONE) {
        double dash[4];
        int n = scene_dash_lengths(it->dash, dash);
        for (int i = 0; i < n; i++)
            dash[i] *= it->line_width;
        cairo_set_dash(cr, dash, n, 0.0);
        set_rgb(cr, it->stroke);
        cairo_set_line_width(cr, it->line_width);
        cairo_stroke_preserve(cr);
        cairo_set_dash(cr, NULL, 0, 0.0);
    }
    cairo_new_path(cr);
}

static cairo_status_t write_file(void *closure, const unsigned char *data, unsigned int length)
{
    return fwrite(data, 1, length, (FILE *)closure) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

int scene_write_png(const scene *s, FILE *f, double scale, char *err, size_t err_size)
{
    if (s->failed) {
        snprintf(err, err_size, "the drawing is incomplete (out of memory)");
        return -1;
    }
    int w = (int)ceil(s->width * scale), h = (int)ceil(s->height * scale);
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(surf);
    cairo_scale(cr, scale, scale);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, SCENE_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    for (size_t i = 0; i < s->count; i++) {
        const scene_item *it = &s->items[i];
        switch (it->kind) {
        case SCENE_RECT:
            cairo_rectangle(cr, it->x, it->y, it->w, it->h);
            fill_and_stroke(cr, it);
            break;
        case SCENE_LINE:
            cairo_move_to(cr, it->x, it->y);
            cairo_line_to(cr, it->w, it->h);
            fill_and_stroke(cr, it);
            break;
        case SCENE_PATH:
            cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
            cairo_new_path(cr); /* no current point: a text leaves one at its end, where line_to would start */
            for (int p = 0; p < it->n_points; p++)
                cairo_line_to(cr, it->points[2 * p], it->points[2 * p + 1]);
            if (it->closed)
                cairo_close_path(cr);
            fill_and_stroke(cr, it);
            break;
        case SCENE_CIRCLE:
            cairo_new_sub_path(cr);
            cairo_arc(cr, it->x, it->y, it->w, 0.0, 2 * M_PI);
            fill_and_stroke(cr, it);
            break;
        case SCENE_TEXT:
            paint_text(cr, it);
            break;
        case SCENE_GROUP_BEGIN:
        case SCENE_GROUP_END:
        case SCENE_TITLE:
            break;
        }
    }
    cairo_status_t st = cairo_status(cr);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_write_to_png_stream(surf, write_file, f);
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    if (st != CAIRO_STATUS_SUCCESS) {
        snprintf(err, err_size, "cairo: %s", cairo_status_to_string(st));
        return -1;
    }
    return 0;
}
