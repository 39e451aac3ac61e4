/*
 * A drawing described once and rendered twice: the heatmap layout appends
 * rectangles, lines and text to a scene; scene_write_svg() prints it with
 * svg.h and scene_write_png() paints it with cairo. Groups carry an id and a
 * class into the SVG (tests count panels and labels by them); cairo ignores
 * them. Coordinates are pixels, y grows downwards, text y is the baseline.
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
    SCENE_TITLE, /* SVG <title> of the document */
} scene_kind;

typedef enum scene_anchor { SCENE_START, SCENE_MIDDLE, SCENE_END } scene_anchor;

typedef struct scene_item {
    scene_kind kind;
    double x, y, w, h;   /* rect: corner and size; line: (x, y) to (w, h) */
    int32_t fill;        /* 0xRRGGBB or SCENE_NONE (text: its colour) */
    int32_t stroke;      /* 0xRRGGBB or SCENE_NONE */
    double line_width;
    double size;         /* font size */
    double rotate;       /* degrees about (x, y), SVG sense (clockwise on screen) */
    scene_anchor anchor;
    char *text;          /* text, title, group id, a rect's tooltip (or NULL) */
    char *cls;           /* group class */
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

/* SVG text to f. Returns 0, or -1 if the scene is incomplete or f failed. */
int scene_write_svg(const scene *s, FILE *f);

/* PNG of the scene magnified by scale, to f. Returns 0 or -1; err says why. */
int scene_write_png(const scene *s, FILE *f, double scale, char *err, size_t err_size);

/* The font both writers use. */
#define SCENE_FONT "DejaVu Sans"

#endif
