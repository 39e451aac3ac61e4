/*
 * Heatmap layout. Sizes in pixels:
 *   cell       = clamp(360 / T, 10, 36)
 *   font       = min(12, 0.8 * cell), so labels never overlap their neighbours
 *   label band = widest token * 0.62 * font + 8 (estimate of DejaVu Sans)
 *   panel      = axis title + label band + T cells, across and down
 * Panels sit in a grid of ceil(sqrt(H)) columns; the colour bar is on the right.
 */
#include "heatmap_layout.h"
#include "viridis.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define FONT 12.0        /* label font for cells of 15 px and more */
#define AXIS 16.0        /* band for "query" / "key" */
#define HEAD_TITLE 22.0  /* band above each panel */
#define GAP 28.0
#define MARGIN 20.0
#define HEADER 62.0      /* title and subtitle */
#define BAR_W 18.0
#define BAR_BAND 120.0   /* colour bar, ticks and its label */
#define HIDDEN 0xdddddd  /* cells the causal mask hides */
#define UNIFORM 0xd62728 /* the 1/T marker on the colour bar */
#define UNIFORM_LEGEND 36.0 /* its two lines under the bar */

double hm_color_max(const float *probs, int64_t count)
{
    double m = 0.0;
    for (int64_t i = 0; i < count; i++)
        if (probs[i] > m)
            m = probs[i];
    return m > 0.0 ? m : 1.0;
}

double hm_tick_step(double vmax)
{
    const double raw = vmax / 4.0, decade = pow(10.0, floor(log10(raw)));
    static const double nice[] = {1.0, 2.0, 2.5, 5.0, 10.0};
    for (int k = 0; k < 5; k++)
        if (nice[k] * decade >= raw)
            return nice[k] * decade;
    return 10.0 * decade;
}

static void panel(scene *s, const hm_picture *p, int64_t h, double x0, double y0, double cell, double band,
                  double font, double vmax)
{
    const int64_t T = p->T;
    char id[64];
    snprintf(id, sizeof id, "panel-h%lld", (long long)h);
    scene_group_begin(s, id, "panel");
    /* Matrix origin: right of the row labels, below the head title. */
    const double mx = x0 + AXIS + band, my = y0 + HEAD_TITLE, side = (double)T * cell;
    snprintf(id, sizeof id, "head %lld", (long long)h);
    scene_text(s, mx + side / 2, y0 + HEAD_TITLE - 7, 13, SCENE_MIDDLE, 0, id);

    scene_group_begin(s, NULL, "cells");
    const float *ph = p->probs + (size_t)h * (size_t)(T * T);
    for (int64_t i = 0; i < T; i++)
        for (int64_t j = 0; j < T; j++) {
            int hidden = p->causal && j > i;
            int32_t c = hidden ? HIDDEN : (int32_t)viridis_hex(ph[i * T + j] / vmax);
            char tip[256];
            if (hidden)
                snprintf(tip, sizeof tip, "head %lld, query %lld '%s', key %lld '%s': hidden by the causal mask",
                         (long long)h, (long long)i, p->tokens[i], (long long)j, p->tokens[j]);
            else
                snprintf(tip, sizeof tip, "head %lld, query %lld '%s', key %lld '%s': p = %.4f", (long long)h,
                         (long long)i, p->tokens[i], (long long)j, p->tokens[j], (double)ph[i * T + j]);
            scene_rect_tip(s, mx + (double)j * cell, my + (double)i * cell, cell, cell, c, SCENE_NONE, tip);
        }
    scene_group_end(s);
    scene_rect(s, mx, my, side, side, SCENE_NONE, 0x444444);

    /* Query tokens label the rows, right-aligned left of the matrix. */
    scene_group_begin(s, NULL, "query-labels");
    for (int64_t i = 0; i < T; i++)
        scene_text(s, mx - 5, my + ((double)i + 0.5) * cell + 0.35 * font, font, SCENE_END, 0, p->tokens[i]);
    scene_group_end(s);
    /* Key tokens label the columns, below, reading upwards. */
    scene_group_begin(s, NULL, "key-labels");
    for (int64_t j = 0; j < T; j++)
        scene_text(s, mx + ((double)j + 0.5) * cell + 0.35 * font, my + side + 5, font, SCENE_END, -90,
                   p->tokens[j]);
    scene_group_end(s);
    scene_text(s, x0 + AXIS - 4, my + side / 2, 11, SCENE_MIDDLE, -90, "query");
    scene_text(s, mx + side / 2, my + side + band + AXIS - 3, 11, SCENE_MIDDLE, 0, "key");
    scene_group_end(s);
}

static void colorbar(scene *s, double x, double y, double height, double vmax, double uniform)
{
    scene_group_begin(s, "colorbar", "colorbar");
    const int steps = 128;
    for (int k = 0; k < steps; k++) {
        /* Top is vmax, bottom is 0; slices overlap by half a pixel to avoid seams. */
        double t = 1.0 - (k + 0.5) / steps;
        scene_rect(s, x, y + height * k / steps, BAR_W, height / steps + 0.5, (int32_t)viridis_hex(t), SCENE_NONE);
    }
    scene_rect(s, x, y, BAR_W, height, SCENE_NONE, 0x444444);
    const double step = hm_tick_step(vmax);
    int decimals = 0; /* enough to print the step exactly: 0.25 needs 2 */
    while (decimals < 6 && fabs(step * pow(10, decimals) - round(step * pow(10, decimals))) > 1e-6)
        decimals++;
    for (int k = 0; k * step <= vmax * (1 + 1e-9); k++) {
        const double v = k * step, ty = y + height * (1.0 - v / vmax);
        char buf[32];
        snprintf(buf, sizeof buf, "%.*f", decimals, v);
        scene_line(s, x + BAR_W, ty, x + BAR_W + 4, ty, 0x444444, 1);
        scene_text(s, x + BAR_W + 7, ty + 4, 11, SCENE_START, 0, buf);
    }
    /* uniform attention: every one of the T keys gets 1/T */
    const double uy = y + height * (1.0 - uniform / vmax);
    scene_group_begin(s, "uniform", "uniform");
    scene_line(s, x - 5, uy, x + BAR_W + 5, uy, UNIFORM, 2);
    char label[64];
    snprintf(label, sizeof label, "red: 1/T = %.3f", uniform);
    scene_text(s, x - 4, y + height + 16, 11, SCENE_START, 0, label);
    scene_text(s, x - 4, y + height + 30, 11, SCENE_START, 0, "uniform over T keys");
    scene_group_end(s);
    scene_text(s, x + BAR_W + 62, y + height / 2, 12, SCENE_MIDDLE, -90, "attention probability");
    scene_group_end(s);
}

int hm_layout(const hm_picture *p, scene *s)
{
    const int64_t T = p->T, H = p->heads;
    double cell = 360.0 / (double)T;
    cell = cell < 10 ? 10 : cell > 36 ? 36 : cell;
    size_t widest = 1;
    for (int64_t i = 0; i < T; i++)
        if (strlen(p->tokens[i]) > widest)
            widest = strlen(p->tokens[i]);
    const double font = 0.8 * cell < FONT ? 0.8 * cell : FONT;
    const double band = (double)widest * 0.62 * font + 8;
    const int64_t cols = (int64_t)ceil(sqrt((double)H)), rows = (H + cols - 1) / cols;
    const double side = (double)T * cell;
    const double pw = AXIS + band + side, ph = HEAD_TITLE + side + band + AXIS;
    const double grid_w = (double)cols * pw + (double)(cols - 1) * GAP;
    const double grid_h = (double)rows * ph + (double)(rows - 1) * GAP;
    double width = MARGIN + grid_w + 30 + BAR_BAND;
    const double vmax = hm_color_max(p->probs, H * T * T);
    char sub[256];
    snprintf(sub, sizeof sub, "rows: query token, columns: key token; one colour scale, 0 to %.3f, for all panels%s",
             vmax, p->causal ? "; grey: hidden by the causal mask" : "");
    /* wide enough for the title and the subtitle */
    const double title_w = fmax(scene_text_width(p->title, 15), scene_text_width(sub, 11)) + 2 * MARGIN;
    width = fmax(width, fmax(640, title_w));
    double bar_h = grid_h - HEAD_TITLE - band - AXIS;
    bar_h = bar_h > 320 ? 320 : bar_h < 120 ? 120 : bar_h;
    double height = HEADER + grid_h + MARGIN;
    if (height < HEADER + HEAD_TITLE + bar_h + UNIFORM_LEGEND + MARGIN)
        height = HEADER + HEAD_TITLE + bar_h + UNIFORM_LEGEND + MARGIN;

    scene_init(s, width, height);
    scene_title(s, p->title);
    scene_text(s, MARGIN, 26, 15, SCENE_START, 0, p->title);
    scene_text(s, MARGIN, 46, 11, SCENE_START, 0, sub);
    for (int64_t h = 0; h < H; h++) {
        int64_t r = h / cols, c = h % cols;
        panel(s, p, h, MARGIN + (double)c * (pw + GAP), HEADER + (double)r * (ph + GAP), cell, band, font, vmax);
    }
    colorbar(s, MARGIN + grid_w + 30, HEADER + HEAD_TITLE, bar_h, vmax, 1.0 / (double)T);
    return s->failed ? -1 : 0;
}
