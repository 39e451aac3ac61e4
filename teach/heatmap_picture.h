/* The heatmap picture as a file: laid out once (heatmap_layout.h), written as SVG or PNG. */
#ifndef MHA_TEACH_HEATMAP_PICTURE_H
#define MHA_TEACH_HEATMAP_PICTURE_H

#include "heatmap_layout.h"

#include <stddef.h>

/* PNG pixels per SVG pixel. */
#define HM_PNG_SCALE 2.0

/*
 * Writes p to path through a temporary file: PNG when png is nonzero (needs
 * cairo: MHA_HAVE_CAIRO), else SVG. Returns 0, or -1 with err set.
 */
int hm_write_picture(const hm_picture *p, const char *path, int png, char *err, size_t err_size);

#endif
