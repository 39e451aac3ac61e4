/*
 * Width of a line of text in DejaVu Sans, the first font of both writers
 * (scene.h): the advance of each ASCII character in thousandths of the font
 * size, as cairo reports them for DejaVu Sans Book. Other characters count
 * one em, wider than any DejaVu Sans glyph the report uses. Browsers that
 * fall back to Helvetica or Arial draw narrower text, so the width is an
 * upper bound for the layout (legends and titles sized to their text).
 */
#include "scene.h"

static const short advance[95] = {
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, /* space to / */
    636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, /* 0 to ? */
    1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787, /* @ to O */
    603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, /* P to _ */
    500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, /* ` to o */
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,      /* p to ~ */
};

double scene_text_width(const char *text, double size)
{
    double units = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p >= 32 && *p < 127)
            units += advance[*p - 32];
        else if ((*p & 0xc0) != 0x80) /* the first byte of a UTF-8 sequence */
            units += 1000;
    }
    return units * size / 1000.0;
}
