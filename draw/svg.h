/*
 * The SVG back end of scene.h: the document is text, so elements are
 * printed straight to a FILE. Coordinates are in pixels, colours are
 * "#rrggbb" strings (NULL: none), text is XML-escaped (markup_text.h).
 */
#ifndef MHA_SVG_H
#define MHA_SVG_H

#include <stdio.h>

typedef struct svg {
    FILE *f;
} svg;

/* Writes the XML prologue and <svg> root of the given size. */
void svg_begin(svg *s, FILE *f, double width, double height);
/* Closes the root element. */
void svg_end(svg *s);

void svg_rect(svg *s, double x, double y, double w, double h, const char *fill, const char *stroke);
/* A rect whose <title> child is its tooltip. */
void svg_rect_titled(svg *s, double x, double y, double w, double h, const char *fill, const char *stroke,
                     const char *title);
void svg_line(svg *s, double x1, double y1, double x2, double y2, const char *stroke, double width);
/* anchor: "start", "middle" or "end"; rotate in degrees about (x, y), 0 for none. */
void svg_text(svg *s, double x, double y, double size, const char *anchor, double rotate, const char *text);
/*
 * A polyline through n points (xy: x0, y0, x1, y1, ...), or a polygon when
 * closed. dash: n_dash lengths in units of width (0: solid).
 */
void svg_path(svg *s, const double *xy, int n, int closed, const char *fill, const char *stroke, double width,
              const double *dash, int n_dash);
void svg_circle(svg *s, double cx, double cy, double r, const char *fill, const char *stroke);
/* <title> for the element that follows, or for the document when first. */
void svg_title(svg *s, const char *text);
/* Opens and closes a group with an id and optional class (for tests and styling). */
void svg_group_begin(svg *s, const char *id, const char *cls);
void svg_group_end(svg *s);

#endif
