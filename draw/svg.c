/* SVG text output; see svg.h. */
#include "svg.h"

#include "markup_text.h"

void svg_begin(svg *s, FILE *f, double width, double height)
{
    s->f = f;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" viewBox=\"0 0 %g %g\" "
               "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
            width, height, width, height);
    fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%g\" height=\"%g\" fill=\"#ffffff\"/>\n", width, height);
}

void svg_end(svg *s)
{
    fputs("</svg>\n", s->f);
}

void svg_rect(svg *s, double x, double y, double w, double h, const char *fill, const char *stroke)
{
    fprintf(s->f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"", x, y, w, h,
            fill ? fill : "none");
    if (stroke)
        fprintf(s->f, " stroke=\"%s\"", stroke);
    fputs("/>\n", s->f);
}

void svg_rect_titled(svg *s, double x, double y, double w, double h, const char *fill, const char *stroke,
                     const char *title)
{
    fprintf(s->f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"", x, y, w, h,
            fill ? fill : "none");
    if (stroke)
        fprintf(s->f, " stroke=\"%s\"", stroke);
    fputs("><title>", s->f);
    xml_write_text(s->f, title);
    fputs("</title></rect>\n", s->f);
}

void svg_line(svg *s, double x1, double y1, double x2, double y2, const char *stroke, double width)
{
    fprintf(s->f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"%g\"/>\n", x1,
            y1, x2, y2, stroke, width);
}

void svg_text(svg *s, double x, double y, double size, const char *anchor, double rotate, const char *text)
{
    fprintf(s->f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%g\" text-anchor=\"%s\"", x, y, size, anchor);
    if (rotate != 0.0)
        fprintf(s->f, " transform=\"rotate(%g %.2f %.2f)\"", rotate, x, y);
    fputc('>', s->f);
    xml_write_text(s->f, text);
    fputs("</text>\n", s->f);
}

void svg_path(svg *s, const double *xy, int n, int closed, const char *fill, const char *stroke, double width,
              const double *dash, int n_dash)
{
    fprintf(s->f, "<%s fill=\"%s\" points=\"", closed ? "polygon" : "polyline", fill ? fill : "none");
    for (int i = 0; i < n; i++)
        fprintf(s->f, "%s%.2f,%.2f", i ? " " : "", xy[2 * i], xy[2 * i + 1]);
    fputc('"', s->f);
    if (stroke)
        fprintf(s->f, " stroke=\"%s\" stroke-width=\"%g\" stroke-linejoin=\"round\"", stroke, width);
    if (stroke && n_dash > 0) {
        fputs(" stroke-dasharray=\"", s->f);
        for (int i = 0; i < n_dash; i++)
            fprintf(s->f, "%s%g", i ? " " : "", dash[i] * width);
        fputc('"', s->f);
    }
    fputs("/>\n", s->f);
}

void svg_circle(svg *s, double cx, double cy, double r, const char *fill, const char *stroke)
{
    fprintf(s->f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%g\" fill=\"%s\"", cx, cy, r, fill ? fill : "none");
    if (stroke)
        fprintf(s->f, " stroke=\"%s\"", stroke);
    fputs("/>\n", s->f);
}

void svg_title(svg *s, const char *text)
{
    fputs("<title>", s->f);
    xml_write_text(s->f, text);
    fputs("</title>\n", s->f);
}

void svg_group_begin(svg *s, const char *id, const char *cls)
{
    fputs("<g", s->f);
    if (id) {
        fputs(" id=\"", s->f);
        xml_write_text(s->f, id);
        fputc('"', s->f);
    }
    if (cls) {
        fputs(" class=\"", s->f);
        xml_write_text(s->f, cls);
        fputc('"', s->f);
    }
    fputs(">\n", s->f);
}

void svg_group_end(svg *s)
{
    fputs("</g>\n", s->f);
}
