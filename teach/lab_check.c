/* The checks every lab prints; see lab.h. */
#include "lab.h"

#include "conformance/tolerance.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>

void lab_section(lab_env *e, const char *fmt, ...)
{
    va_list ap;
    fputc('\n', e->out);
    va_start(ap, fmt);
    vfprintf(e->out, fmt, ap);
    va_end(ap);
    fputc('\n', e->out);
}

int lab_check(lab_env *e, int pass, const char *fmt, ...)
{
    va_list ap;
    fputs(pass ? "PASS  " : "FAIL  ", e->out);
    va_start(ap, fmt);
    vfprintf(e->out, fmt, ap);
    va_end(ap);
    fputc('\n', e->out);
    if (pass)
        e->passed++;
    else
        e->failed++;
    return pass;
}

/* |a - b|, INFINITY when exactly one side is finite or either is NaN. */
static double distance(double a, double b)
{
    if (isnan(a) || isnan(b) || isfinite(a) != isfinite(b))
        return INFINITY;
    return isfinite(a) ? fabs(a - b) : (a == b ? 0.0 : INFINITY);
}

double lab_max_abs_diff(const float *a, const double *b, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double d = distance((double)a[i], b[i]);
        worst = d > worst ? d : worst;
    }
    return worst;
}

double lab_max_abs_diff_f32(const float *a, const float *b, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double d = distance((double)a[i], (double)b[i]);
        worst = d > worst ? d : worst;
    }
    return worst;
}

int lab_check_close(lab_env *e, const char *what, const float *got, const double *want, size_t n, double tol)
{
    const double d = lab_max_abs_diff(got, want, n);
    return lab_check(e, d <= tol, "%s: max |diff| = %.3g %s %.3g", what, d, d <= tol ? "<=" : ">", tol);
}

int lab_check_close_f32(lab_env *e, const char *what, const float *got, const float *want, size_t n, double tol)
{
    const double d = lab_max_abs_diff_f32(got, want, n);
    return lab_check(e, d <= tol, "%s: max |diff| = %.3g %s %.3g", what, d, d <= tol ? "<=" : ">", tol);
}

int lab_check_equal(lab_env *e, const char *what, int64_t got, int64_t want)
{
    return lab_check(e, got == want, "%s: %lld %s %lld", what, (long long)got, got == want ? "==" : "!=",
                     (long long)want);
}

/* max |V| over the view of a (the tolerance's magnitude). */
static double max_abs_v(const mha_args *a)
{
    const mha_shape *s = &a->shape;
    double m = 0.0;
    for (int64_t b = 0; b < s->batch; b++)
        for (int64_t j = 0; j < s->kv_len; j++)
            for (int64_t g = 0; g < s->kv_heads; g++)
                for (int64_t d = 0; d < s->head_dim; d++) {
                    const double v = fabs((double)((const float *)a->v)[b * a->v_strides.batch + j * a->v_strides.seq +
                                                       g * a->v_strides.head + d]);
                    m = v > m ? v : m;
                }
    return m;
}

int lab_attention_tolerance(const mha_args *a, double *tol, double *want)
{
    const mha_shape *s = &a->shape;
    const size_t n = (size_t)(s->batch * s->q_len * s->heads * s->head_dim);
    double *ref = want ? want : malloc(n * sizeof *ref);
    if (!ref)
        return -1;
    double err_out = 0.0, err_probs = 0.0;
    char err[256];
    int rc = mha_reference(a, ref, NULL) == MHA_OK &&
                     measure_err_fp32(a, ref, NULL, &err_out, &err_probs, err, sizeof err) == 0
                 ? 0
                 : -1;
    if (rc == 0)
        *tol = tolerance_of(TOL_FACTOR, TOL_FLOOR, err_out, max_abs_v(a));
    if (!want)
        free(ref);
    return rc;
}
