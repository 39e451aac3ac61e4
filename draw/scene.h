/*
 * A drawing described once and rendered twice: the heatmap layout and the
 * plots (plot.h) append rectangles, lines, paths, circles and text to a
 * scene; scene_write_svg() prints it with svg.h and scene_write_png()
 * paints it with cairo. Groups carry an id and a class into the SVG (tests
 * count panels, series and labels by them) and a title (the hover text of
 * the group); cairo ignores them. Coordinates are pixels, y grows
 * downwards, text y is the baseline.
 */
#ifndef MHA_SCENE_H
#define MHA_SCENE_H

#include <stdint.h>
#include <stdio.h>

#define SCENE_NONE (-1) /* no fill or no stroke */

typedef enum scene_kind {
    SCENE_RECT,
    SCENE_LINE,
    SCENE_TEXT,
    SCENE_GROUP_BEGIN,
    SCENE_GROUP_END,
    SCENE_TITLE, /* SVG <title> of the enclosing group, or of the document when first */
    SCENE_PATH,  /* polyline, or polygon when closed */
    SCENE_CIRCLE,
} scene_kind;

/* Stroke patterns of lines and paths; svg.h and cairo draw the same lengths (scene_dash_lengths). */
typedef enum scene_dash { SCENE_SOLID, SCENE_DASHED, SCENE_DOTTED, SCENE_DASH_DOT, SCENE_DASH_COUNT } scene_dash;

typedef enum scene_anchor { SCENE_START, SCENE_MIDDLE, SCENE_END } scene_anchor;

typedef struct scene_item {
    scene_kind kind;
    double x, y, w, h;   /* rect: corner and size; line: (x, y) to (w, h); circle: centre and radius w */
    int32_t fill;        /* 0xRRGGBB or SCENE_NONE (text: its colour) */
    int32_t stroke;      /* 0xRRGGBB or SCENE_NONE */
    double line_width;
    double size;         /* font size */
    double rotate;       /* degrees about (x, y), SVG sense (clockwise on screen) */
    scene_anchor anchor;
    char *text;          /* text, title, group id, a rect's tooltip (or NULL) */
    char *cls;           /* group class */
    double *points;      /* path: x0, y0, x1, y1, ... (n_points pairs) */
    int n_points;
    int closed;          /* path: a polygon (filled with fill) */
    scene_dash dash;     /* line and path */
} scene_item;

typedef struct scene {
    double width, height;
    scene_item *items;
    size_t count, cap;
    int failed;          /* an allocation failed; writers refuse the scene */
} scene;

void scene_init(scene *s, double width, double height);
void scene_free(scene *s);

void scene_rect(scene *s, double x, double y, double w, double h, int32_t fill, int32_t stroke);
/* A rect with a tooltip: SVG <title> inside the <rect> (shown on hover); PNG ignores it. */
void scene_rect_tip(scene *s, double x, double y, double w, double h, int32_t fill, int32_t stroke, const char *tip);
void scene_line(scene *s, double x1, double y1, double x2, double y2, int32_t stroke, double width);
void scene_text(scene *s, double x, double y, double size, scene_anchor anchor, double rotate, const char *text);
void scene_group_begin(scene *s, const char *id, const char *cls);
void scene_group_end(scene *s);
void scene_title(scene *s, const char *text);
/* Through n points (copied); closed: back to the first and filled with fill (SCENE_NONE: not filled). */
void scene_path(scene *s, const double *xs, const double *ys, int n, int closed, int32_t fill, int32_t stroke,
                double width, scene_dash dash);
void scene_circle(scene *s, double cx, double cy, double r, int32_t fill, int32_t stroke);
/* The last item added (to set its dash, say); NULL when the scene failed. */
scene_item *scene_last(scene *s);

/* Dash and gap lengths in units of the line width; returns how many (0: solid). */
int scene_dash_lengths(scene_dash dash, double out[4]);

/* SVG text to f. Returns 0, or -1 if the scene is incomplete or f failed. */
int scene_write_svg(const scene *s, FILE *f);

/* The scene as an SVG file at path, then frees the scene. 0, or -1 with errno set (ENOMEM: the scene is incomplete). */
int scene_save_svg(scene *s, const char *path);

/* PNG of the scene magnified by scale, to f. Returns 0 or -1; err says why. */
int scene_write_png(const scene *s, FILE *f, double scale, char *err, size_t err_size);

/* Width in pixels of text at font size `size` in SCENE_FONT, an upper bound (text_width.c). */
double scene_text_width(const char *text, double size);

/* The font both writers use. */
#define SCENE_FONT "DejaVu Sans"

#endif
