/* Error statistics against the float64 reference. */
#include "tolerance.h"

#include <float.h>
#include <math.h>
#include <string.h>

int64_t ulp_distance(float a, float b)
{
    int32_t ia, ib;
    memcpy(&ia, &a, 4);
    memcpy(&ib, &b, 4);
    /* map sign-magnitude to a monotonic integer line */
    int64_t la = ia < 0 ? (int64_t)INT32_MIN - ia : ia, lb = ib < 0 ? (int64_t)INT32_MIN - ib : ib;
    return la > lb ? la - lb : lb - la;
}

void compare_values(const float *got32, const double *got64, const double *want, size_t n, err_stats *st)
{
    memset(st, 0, sizeof *st);
    int have_worst = 0;
    for (size_t e = 0; e < n; e++) {
        const double g = got32 ? (double)got32[e] : got64[e], w = want[e];
        if (isnan(w) || isnan(g) || isinf(g)) {
            if (isnan(w) && isnan(g))
                continue;
            if (isinf(g) && g == w)
                continue;
            if (!st->nan_mismatch++ ) { /* the first mismatch is the one reported */
                st->worst = e;
                st->got = g;
                st->want = w;
                st->max_abs = INFINITY;
                have_worst = 1;
            }
            continue;
        }
        const double d = fabs(g - w);
        if (w != 0 && d / fabs(w) > st->max_rel)
            st->max_rel = d / fabs(w);
        if (!st->nan_mismatch && (d > st->max_abs || !have_worst)) {
            st->max_abs = d;
            st->worst = e;
            st->got = g;
            st->want = w;
            have_worst = 1;
        }
    }
    if (have_worst && isfinite(st->got) && isfinite(st->want))
        st->ulps = ulp_distance((float)st->got, (float)st->want);
}

double tolerance_of(double factor, double floor, double err_fp32, double magnitude)
{
    return factor * err_fp32 + floor * magnitude * (double)FLT_EPSILON;
}

double error_units(double err, double err_fp32)
{
    if (err_fp32 > 0)
        return err / err_fp32;
    return err > 0 ? INFINITY : 0.0;
}
