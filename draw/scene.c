/* Building a scene; see scene.h. */
#include "scene.h"

#include <stdlib.h>
#include <string.h>

void scene_init(scene *s, double width, double height)
{
    memset(s, 0, sizeof *s);
    s->width = width;
    s->height = height;
}

void scene_free(scene *s)
{
    for (size_t i = 0; i < s->count; i++) {
        free(s->items[i].text);
        free(s->items[i].cls);
        free(s->items[i].points);
    }
    free(s->items);
    memset(s, 0, sizeof *s);
}

static char *dup_or_null(scene *s, const char *t)
{
    if (!t)
        return NULL;
    char *d = strdup(t);
    if (!d)
        s->failed = 1;
    return d;
}

static scene_item *push(scene *s, scene_kind kind)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        scene_item *p = realloc(s->items, cap * sizeof *p);
        if (!p) {
            s->failed = 1;
            return NULL;
        }
        s->items = p;
        s->cap = cap;
    }
    scene_item *it = &s->items[s->count++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->fill = SCENE_NONE;
    it->stroke = SCENE_NONE;
    return it;
}

void scene_rect(scene *s, double x, double y, double w, double h, int32_t fill, int32_t stroke)
{
    scene_item *it = push(s, SCENE_RECT);
    if (!it)
        return;
    it->x = x; it->y = y; it->w = w; it->h = h;
    it->fill = fill;
    it->stroke = stroke;
    it->line_width = 1.0;
}

void scene_rect_tip(scene *s, double x, double y, double w, double h, int32_t fill, int32_t stroke, const char *tip)
{
    scene_rect(s, x, y, w, h, fill, stroke);
    if (!s->failed && s->count > 0)
        s->items[s->count - 1].text = dup_or_null(s, tip);
}

void scene_line(scene *s, double x1, double y1, double x2, double y2, int32_t stroke, double width)
{
    scene_item *it = push(s, SCENE_LINE);
    if (!it)
        return;
    it->x = x1; it->y = y1; it->w = x2; it->h = y2;
    it->stroke = stroke;
    it->line_width = width;
}

void scene_text(scene *s, double x, double y, double size, scene_anchor anchor, double rotate, const char *text)
{
    scene_item *it = push(s, SCENE_TEXT);
    if (!it)
        return;
    it->x = x; it->y = y;
    it->size = size;
    it->anchor = anchor;
    it->rotate = rotate;
    it->fill = 0x000000;
    it->text = dup_or_null(s, text);
}

void scene_group_begin(scene *s, const char *id, const char *cls)
{
    scene_item *it = push(s, SCENE_GROUP_BEGIN);
    if (!it)
        return;
    it->text = dup_or_null(s, id);
    it->cls = dup_or_null(s, cls);
}

void scene_group_end(scene *s)
{
    push(s, SCENE_GROUP_END);
}

void scene_title(scene *s, const char *text)
{
    scene_item *it = push(s, SCENE_TITLE);
    if (it)
        it->text = dup_or_null(s, text);
}

void scene_path(scene *s, const double *xs, const double *ys, int n, int closed, int32_t fill, int32_t stroke,
                double width, scene_dash dash)
{
    if (n < 1)
        return;
    double *p = malloc(2 * (size_t)n * sizeof *p);
    scene_item *it = p ? push(s, SCENE_PATH) : NULL;
    if (!it) {
        free(p);
        s->failed = 1;
        return;
    }
    for (int i = 0; i < n; i++)
        p[2 * i] = xs[i], p[2 * i + 1] = ys[i];
    it->points = p;
    it->n_points = n;
    it->closed = closed;
    it->fill = fill;
    it->stroke = stroke;
    it->line_width = width;
    it->dash = dash;
}

void scene_circle(scene *s, double cx, double cy, double r, int32_t fill, int32_t stroke)
{
    scene_item *it = push(s, SCENE_CIRCLE);
    if (!it)
        return;
    it->x = cx; it->y = cy; it->w = r;
    it->fill = fill;
    it->stroke = stroke;
    it->line_width = 1.0;
}

scene_item *scene_last(scene *s)
{
    return s->failed || s->count == 0 ? NULL : &s->items[s->count - 1];
}

int scene_dash_lengths(scene_dash dash, double out[4])
{
    switch (dash) {
    case SCENE_DASHED:
        out[0] = 4, out[1] = 2.5;
        return 2;
    case SCENE_DOTTED:
        out[0] = 1, out[1] = 1.5;
        return 2;
    case SCENE_DASH_DOT:
        out[0] = 5, out[1] = 1.5, out[2] = 1, out[3] = 1.5;
        return 4;
    default:
        return 0;
    }
}
