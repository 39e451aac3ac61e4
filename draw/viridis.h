/* The viridis colour map (matplotlib's table) and its CIE L* lightness. */
#ifndef MHA_VIRIDIS_H
#define MHA_VIRIDIS_H

#include <stdint.h>

/* Colour at t in [0, 1] (clamped), sRGB components in [0, 1]. */
void viridis_rgb(double t, double rgb[3]);

/* The same as 0xRRGGBB. */
uint32_t viridis_hex(double t);

/* CIE 1976 L* (0 black .. 100 white) of the colour at t. */
double viridis_lightness(double t);

#endif
