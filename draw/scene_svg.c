/* A scene as SVG through svg.h. */
#include "scene.h"
#include "svg.h"

#include <errno.h>

static const char *hex(int32_t rgb, char buf[8])
{
    if (rgb == SCENE_NONE)
        return NULL;
    snprintf(buf, 8, "#%06x", (unsigned)rgb & 0xffffffu);
    return buf;
}

int scene_write_svg(const scene *s, FILE *f)
{
    static const char *const anchors[] = {"start", "middle", "end"};
    if (s->failed)
        return -1;
    svg out;
    char a[8], b[8];
    svg_begin(&out, f, s->width, s->height);
    for (size_t i = 0; i < s->count; i++) {
        const scene_item *it = &s->items[i];
        switch (it->kind) {
        case SCENE_RECT:
            if (it->text)
                svg_rect_titled(&out, it->x, it->y, it->w, it->h, hex(it->fill, a), hex(it->stroke, b), it->text);
            else
                svg_rect(&out, it->x, it->y, it->w, it->h, hex(it->fill, a), hex(it->stroke, b));
            break;
        case SCENE_LINE:
            svg_line(&out, it->x, it->y, it->w, it->h, hex(it->stroke, a), it->line_width);
            break;
        case SCENE_TEXT:
            svg_text(&out, it->x, it->y, it->size, anchors[it->anchor], it->rotate, it->text);
            break;
        case SCENE_GROUP_BEGIN:
            svg_group_begin(&out, it->text, it->cls);
            break;
        case SCENE_GROUP_END:
            svg_group_end(&out);
            break;
        case SCENE_TITLE:
            svg_title(&out, it->text);
            break;
        case SCENE_PATH: {
            double dash[4];
            int n_dash = scene_dash_lengths(it->dash, dash);
            svg_path(&out, it->points, it->n_points, it->closed, hex(it->fill, a), hex(it->stroke, b),
                     it->line_width, dash, n_dash);
            break;
        }
        case SCENE_CIRCLE:
            svg_circle(&out, it->x, it->y, it->w, hex(it->fill, a), hex(it->stroke, b));
            break;
        }
    }
    svg_end(&out);
    return ferror(f) ? -1 : 0;
}

int scene_save_svg(scene *s, const char *path)
{
    if (s->failed) {
        scene_free(s);
        errno = ENOMEM;
        return -1;
    }
    FILE *f = fopen(path, "w");
    int rc = f ? scene_write_svg(s, f) : -1;
    int saved = errno;
    if (f && fclose(f) != 0)
        rc = -1;
    else
        errno = saved;
    scene_free(s);
    return rc;
}
