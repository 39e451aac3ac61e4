/* Stacked horizontal bars as scenes; see bars.h. */
#include "bars.h"

#include <math.h>
#include <stdio.h>

#define MARGIN 12.0
#define TITLE_FONT 15.0
#define FONT 12.0
#define BAR_W 480.0      /* 100% */
#define BAR_H 16.0
#define ROW_H 22.0
#define GAP_H 10.0       /* extra space before a new group */
#define LABEL_GAP 8.0    /* between a label and its bar, a bar and its note */
#define LEGEND_SWATCH 12.0
#define LEGEND_GAP 18.0  /* between two legend entries */
#define INSIDE_MIN 8.0   /* percent: a part at least this wide shows its share */
#define FRAME 0x444444
#define GRID 0xe4e4e4

static double row_sum(const bars_spec *spec, const bars_row *r)
{
    double s = 0;
    for (int p = 0; p < spec->n_parts; p++)
        s += r->values[p] >= 0 ? r->values[p] : NAN;
    return s;
}

/* White text on dark colours, black on light ones (relative luminance). */
static int32_t text_on(int32_t c)
{
    double y = 0.2126 * ((c >> 16) & 255) + 0.7152 * ((c >> 8) & 255) + 0.0722 * (c & 255);
    return y < 140 ? 0xffffff : 0x000000;
}

static double legend_width(const bars_spec *spec)
{
    double w = 0;
    for (int p = 0; p < spec->n_parts; p++)
        w += (p ? LEGEND_GAP : 0) + LEGEND_SWATCH + 6 + scene_text_width(spec->part_names[p], FONT);
    return w;
}

static void legend(scene *g, const bars_spec *spec, double x, double y)
{
    char id[160];
    snprintf(id, sizeof id, "%s-legend", spec->id);
    scene_group_begin(g, id, "legend");
    for (int p = 0; p < spec->n_parts; p++) {
        scene_rect(g, x, y - LEGEND_SWATCH + 2, LEGEND_SWATCH, LEGEND_SWATCH, spec->part_colours[p], FRAME);
        scene_text(g, x + LEGEND_SWATCH + 6, y, FONT, SCENE_START, 0, spec->part_names[p]);
        x += LEGEND_SWATCH + 6 + scene_text_width(spec->part_names[p], FONT) + LEGEND_GAP;
    }
    scene_group_end(g);
}

/* One bar from (x, y): its parts left to right, each with its hover text. */
static void bar(scene *g, const bars_spec *spec, const bars_row *r, int index, double x, double y, double sum)
{
    char id[160], tip[400], pct[16];
    snprintf(id, sizeof id, "%s-bar-%d", spec->id, index);
    scene_group_begin(g, id, "bar");
    scene_title(g, r->label);
    for (int p = 0; p < spec->n_parts; p++) {
        const double share = 100.0 * r->values[p] / sum, w = BAR_W * r->values[p] / sum;
        /* whole units from 100 up (5062, not 5.06e+03), else 3 significant digits */
        const char *fmt = r->values[p] >= 100 ? "%s: %s %.0f %s (%.0f%%)" : "%s: %s %.3g %s (%.0f%%)";
        snprintf(tip, sizeof tip, fmt, r->label, spec->part_names[p], r->values[p], spec->unit ? spec->unit : "", share);
        scene_rect_tip(g, x, y, w, BAR_H, spec->part_colours[p], SCENE_NONE, tip);
        snprintf(pct, sizeof pct, "%.0f%%", share);
        if (share >= INSIDE_MIN && scene_text_width(pct, FONT - 1) + 4 <= w) {
            scene_text(g, x + w / 2, y + BAR_H - 4, FONT - 1, SCENE_MIDDLE, 0, pct);
            scene_item *t = scene_last(g);
            if (t)
                t->fill = text_on(spec->part_colours[p]);
        }
        x += w;
    }
    scene_group_end(g);
}

int bars_stacked(scene *out, const bars_spec *spec, const bars_row *rows, int n_rows)
{
    double label_w = 0, note_w = 0, height = 0;
    for (int i = 0; i < n_rows; i++) {
        label_w = fmax(label_w, scene_text_width(rows[i].label, FONT));
        note_w = fmax(note_w, rows[i].note ? scene_text_width(rows[i].note, FONT) : 0);
        height += ROW_H + (rows[i].gap_before && i ? GAP_H : 0);
    }
    const double bar_x = MARGIN + label_w + LABEL_GAP, top = 66.0;
    double w = bar_x + BAR_W + LABEL_GAP + note_w + MARGIN;
    w = fmax(w, 2 * MARGIN + scene_text_width(spec->title, TITLE_FONT));
    w = fmax(w, bar_x + legend_width(spec) + MARGIN);
    const double h = top + (n_rows ? height : ROW_H) + 30.0;
    scene_init(out, w, h);
    scene_rect(out, 0, 0, w, h, 0xffffff, SCENE_NONE);
    scene_title(out, spec->title);
    scene_text(out, MARGIN, 26, TITLE_FONT, SCENE_START, 0, spec->title);
    legend(out, spec, bar_x, 50);
    if (!n_rows) {
        scene_text(out, bar_x + BAR_W / 2, top + ROW_H / 2, 14, SCENE_MIDDLE, 0, "no data for this plot in these results");
        return 0;
    }
    /* 0, 25, 50, 75 and 100% lines behind the bars */
    for (int k = 0; k <= 4; k++) {
        char t[16];
        const double x = bar_x + BAR_W * k / 4;
        scene_line(out, x, top - 4, x, top + height, k % 4 ? GRID : FRAME, 1);
        snprintf(t, sizeof t, "%d%%", 25 * k);
        scene_text(out, x, top + height + 16, 11, SCENE_MIDDLE, 0, t);
    }
    int drawn = 0;
    double y = top;
    for (int i = 0; i < n_rows; i++) {
        const bars_row *r = &rows[i];
        y += r->gap_before && i ? GAP_H : 0;
        const double sum = row_sum(spec, r);
        scene_text(out, bar_x - LABEL_GAP, y + BAR_H - 4, FONT, SCENE_END, 0, r->label);
        if (isfinite(sum) && sum > 0)
            bar(out, spec, r, drawn++, bar_x, y, sum);
        else
            scene_text(out, bar_x + 4, y + BAR_H - 4, FONT, SCENE_START, 0, "(no time measured)");
        if (r->note)
            scene_text(out, bar_x + BAR_W + LABEL_GAP, y + BAR_H - 4, FONT, SCENE_START, 0, r->note);
        y += ROW_H;
    }
    return drawn;
}

int bars_write_svg(const char *path, const bars_spec *spec, const bars_row *rows, int n_rows)
{
    scene g;
    bars_stacked(&g, spec, rows, n_rows);
    return scene_save_svg(&g, path);
}
