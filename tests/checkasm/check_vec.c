/*
 * The vector shims (impl/vec/f32v_<isa>.h) through vec_kernels.h. There
 * is no C table: references are libm and double arithmetic.
 *
 * exp: f32v_exp is mha_vexp_<isa> (vexp_<isa>.h). Its contract
 * (impl/vec/vexp_consts.h) over every float x in [-104, 89]: at most
 * MHA_VEXP_MAX_ULP integer ULPs from rn(exp(x)), the correctly rounded
 * result, and at most MHA_VEXP_MAX_ERR ULPs of exp(x) from exp(x) itself,
 * exp(x) taken in double (within 4e-16 relative, 1e-8 of a float ULP).
 * The sweep checks both on every float of that range (every
 * --exp-stride-th block of 256 under emulation, where it is slow);
 * random inputs check the tails (n % lanes floats through the masked
 * loads and stores, nothing written past n); special values check
 * -inf, +inf, NaN (payloads, signaling), +-0, underflow to 0 and
 * overflow to +inf, each next to finite lanes.
 */
#include "checkasm.h"
#include "impl/vec/vexp_consts.h"
#include "vec_kernels.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static const checkasm_table tables[] = {
#ifdef CHECKASM_HAVE_AVX2
    {"avx2", CHECKASM_AVX2, &checkasm_vec_avx2},
#endif
#ifdef CHECKASM_HAVE_AVX512
    {"avx512", CHECKASM_AVX512, &checkasm_vec_avx512},
#endif
#ifdef CHECKASM_HAVE_NEON
    {"neon", CHECKASM_NEON, &checkasm_vec_neon},
#endif
    {NULL, 0, NULL}, /* keeps the array non-empty in a build without vector ISAs */
};

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float float_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ULP of the float binade holding the positive value v (2^-149 at least). */
static double ulp_at(double v)
{
    int e;
    frexp(v, &e); /* v in [2^(e-1), 2^e) */
    return ldexp(1.0, e - 24 > -149 ? e - 24 : -149);
}

/* ---- exp --------------------------------------------------------- */

enum { BLOCK = 256 };

typedef struct exp_worst {
    int64_t dist; /* integer ULPs from rn(exp(x)) */
    double err;   /* ULPs of exp(x) from exp(x) */
    float x_dist, x_err;
} exp_worst;

/* Whether error e at x is worse than error w at wx: larger, or as large at
 * a smaller |x| (so the reported x does not depend on the threads' order). */
static int worse(double e, float x, double w, float wx)
{
    return e > w || (e == w && fabsf(x) < fabsf(wx));
}

/* The floats with bit patterns first .. first+255 (one sign and binade):
 * x0 + k d exactly, so exp(x0 + k d) = exp(x0) * T[k], T[k] = exp(k d):
 * two exp() calls per block (the product is within 3 double ULPs). */
static void sweep_block(const checkasm_vec_kernels *v, uint32_t first, exp_worst *w, double *table, double *table_d)
{
    float x[BLOCK], y[BLOCK];
    for (int k = 0; k < BLOCK; k++)
        x[k] = float_of(first + (uint32_t)k);
    v->exp(x, y, BLOCK);
    const double x0 = x[0], d = (double)x[1] - x0;
    if (d != *table_d) {
        for (int k = 0; k < BLOCK; k++)
            table[k] = exp(k * d);
        *table_d = d;
    }
    const double e0 = exp(x0);
    for (int k = 0; k < BLOCK; k++) {
        const double ref = e0 * table[k];
        const float rn = (float)ref;
        if (bits_of(y[k]) == bits_of(rn))
            continue; /* correctly rounded: distance 0, error <= 0.5 */
        const int64_t dist = isnan(y[k]) || y[k] < 0.0f ? INT64_MAX
                                                         : llabs((long long)bits_of(y[k]) - (long long)bits_of(rn));
        if (worse(dist, x[k], w->dist, w->x_dist)) {
            w->dist = dist;
            w->x_dist = x[k];
        }
        const double err = isinf(rn) || isinf(y[k]) || dist == INT64_MAX ? 0.0 : fabs((double)y[k] - ref) / ulp_at(ref);
        if (worse(err, x[k], w->err, w->x_err)) {
            w->err = err;
            w->x_err = x[k];
        }
    }
}

/* Every stride-th block of the floats with bit patterns lo .. hi (one sign). */
static void sweep(const checkasm_vec_kernels *v, uint32_t lo, uint32_t hi, int64_t stride, exp_worst *total)
{
    const int64_t blocks = ((int64_t)hi - lo) / BLOCK + 1;
#ifdef _OPENMP
#pragma omp parallel
#endif
    {
        exp_worst w = {0, 0.0, 0.0f, 0.0f};
        double table[BLOCK], table_d = 0.0;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 4096)
#endif
        for (int64_t b = 0; b < blocks; b += stride)
            sweep_block(v, lo + (uint32_t)(b * BLOCK), &w, table, &table_d);
#ifdef _OPENMP
#pragma omp critical
#endif
        {
            if (worse((double)w.dist, w.x_dist, (double)total->dist, total->x_dist)) {
                total->dist = w.dist;
                total->x_dist = w.x_dist;
            }
            if (worse(w.err, w.x_err, total->err, total->x_err)) {
                total->err = w.err;
                total->x_err = w.x_err;
            }
        }
    }
}

/*
 * Each value: MHA_VEXP_MAX_ERR ULPs of exp(x), an ULP of a positive
 * value v being at most max(2u v, 2^-149). The sum: n - 1 additions of
 * values each within b_j of e_j = exp(x_j):
 * |l - sum e_j| <= gamma(n - 1) sum (e_j + b_j) + sum b_j.
 */
void checkasm_check_exp_sum(float (*exp_sum)(float *s, int64_t n, float m), float *s, int64_t n)
{
    float m = -INFINITY, *x = checkasm_alloc(n), *e = s;
    for (int64_t j = 0; j < n; j++)
        m = s[j] > m ? s[j] : m;
    for (int64_t j = 0; j < n; j++)
        x[j] = s[j] - m; /* the kernel's argument of exp, rounded to fp32 */
    const float l = exp_sum(s, n, m);
    double sum = 0.0, sum_bounds = 0.0;
    for (int64_t j = 0; j < n; j++) {
        const double want = exp((double)x[j]);
        const double b = want > 0.0 ? MHA_VEXP_MAX_ERR * fmax(2 * CHECKASM_U * want, 0x1p-149) : 0.0;
        checkasm_near("e", j, e[j], want, b);
        sum += want + b;
        sum_bounds += b;
    }
    checkasm_near("sum", n, l, sum - sum_bounds, checkasm_gamma(n - 1) * sum + sum_bounds);
    checkasm_check_guard("e", e, n);
    checkasm_free(x);
}

/* y = exp(x) for n random x (a mix of ranges), nothing written past n */
static void exp_tails(const checkasm_vec_kernels *v)
{
    float *x = checkasm_alloc(4 * v->lanes), *y = checkasm_alloc(4 * v->lanes);
    for (int64_t n = 0; n <= 3 * v->lanes + 1; n++) {
        for (int64_t i = 0; i < n; i++) /* [-110, 100): underflow, normal, overflow */
            x[i] = i % 3 == 0 ? checkasm_rand(105.0f) - 5.0f : checkasm_rand(20.0f);
        for (int64_t i = 0; i < 4 * v->lanes + CHECKASM_GUARD; i++)
            y[i] = checkasm_canary();
        v->exp(x, y, n);
        for (int64_t i = 0; i < n; i++) {
            const double ref = exp((double)x[i]);
            checkasm_near("exp(x)", i, y[i], (float)ref == INFINITY ? INFINITY : ref,
                          MHA_VEXP_MAX_ERR * ulp_at(ref));
        }
        checkasm_check_guard("exp(x)", y, n);
    }
    checkasm_free(x);
    checkasm_free(y);
}

static void exp_special(const checkasm_vec_kernels *v)
{
    static const struct { float x, want; } cases[] = {
        {-INFINITY, 0.0f}, {INFINITY, INFINITY}, {NAN, NAN}, {0.0f, 1.0f}, {-0.0f, 1.0f},
        {-1e30f, 0.0f}, {-FLT_MAX, 0.0f}, {-200.0f, 0.0f}, {-104.0f, 0.0f},
        {1e30f, INFINITY}, {FLT_MAX, INFINITY}, {89.0f, INFINITY}, {88.7229f, INFINITY},
    };
    /* NaNs with payloads, negative and signaling: the payload must not turn into a number */
    static const uint32_t nan_bits[] = {0x7fc00123u, 0xffc00001u, 0x7f800001u, 0xff8001ffu, 0x7fffffffu};
    const int n = (int)(sizeof cases / sizeof cases[0]), n_nan = (int)(sizeof nan_bits / sizeof nan_bits[0]);
    float x[BLOCK], y[BLOCK];
    for (int k = 0; k < BLOCK; k++)
        x[k] = 0.5f; /* finite neighbours of every special lane */
    for (int c = 0; c < n; c++)
        x[3 * c + 1] = cases[c].x;
    for (int c = 0; c < n_nan; c++)
        x[3 * (n + c) + 1] = float_of(nan_bits[c]);
    v->exp(x, y, BLOCK);
    for (int c = 0; c < n; c++)
        checkasm_same("exp(special)", 3 * c + 1, y[3 * c + 1], cases[c].want);
    for (int c = 0; c < n_nan; c++)
        checkasm_same("exp(NaN payload)", 3 * (n + c) + 1, y[3 * (n + c) + 1], NAN);
    for (int k = 0; k < BLOCK; k++)
        if (x[k] == 0.5f)
            checkasm_near("exp(0.5) beside a special lane", k, y[k], exp(0.5), MHA_VEXP_MAX_ERR * ulp_at(exp(0.5)));
}

static void check_exp(const checkasm_vec_kernels *v)
{
    exp_special(v);
    exp_tails(v);
    exp_worst w = {0, 0.0, 0.0f, 0.0f};
    const int64_t stride = checkasm_exp_stride();
    sweep(v, 0x00000000u, bits_of(89.0f), stride, &w);   /* +0 .. 89 */
    sweep(v, 0x80000000u, bits_of(-104.0f), stride, &w); /* -0 .. -104 */
    if (w.dist > MHA_VEXP_MAX_ULP)
        checkasm_fail("exp(%a) is %lld ULPs from the correctly rounded result, MHA_VEXP_MAX_ULP is %d", w.x_dist,
                      (long long)w.dist, MHA_VEXP_MAX_ULP);
    if (w.err > MHA_VEXP_MAX_ERR)
        checkasm_fail("exp(%a) is %.4f ULPs from exp, MHA_VEXP_MAX_ERR is %.2f", w.x_err, w.err, MHA_VEXP_MAX_ERR);
    checkasm_note("[-104, 89]%s: %lld ULP from rounded at %a, %.4f ULP from exp at %a",
                  stride == 1 ? "" : " sampled", (long long)w.dist, w.x_dist, w.err, w.x_err);
}

/* ---- the horizontal operations and tails ------------------------- */

static void check_hsum(const checkasm_vec_kernels *v)
{
    float x[16];
    for (int rep = 0; rep < 100; rep++) {
        double sum = 0.0, abs_sum = 0.0;
        for (int i = 0; i < v->lanes; i++) {
            x[i] = checkasm_rand(rep % 2 ? 1e3f : 1.0f);
            sum += x[i];
            abs_sum += fabs(x[i]);
        }
        /* lanes - 1 additions in some order */
        checkasm_near("hsum", rep, v->hsum(x), sum, checkasm_gamma(v->lanes - 1) * abs_sum);
    }
}

static void check_hmax(const checkasm_vec_kernels *v)
{
    float x[16];
    for (int rep = 0; rep < 100; rep++) {
        float m = -INFINITY;
        for (int i = 0; i < v->lanes; i++) {
            x[i] = checkasm_rand_below(4) == 0 ? -INFINITY : checkasm_rand(100.0f);
            m = x[i] > m ? x[i] : m;
        }
        checkasm_same("hmax", rep, v->hmax(x), m); /* exact: max rounds nothing */
    }
}

static void check_hsum8_scaled(const checkasm_vec_kernels *v)
{
    float a[8 * 16], out[8 + CHECKASM_GUARD];
    for (int rep = 0; rep < 50; rep++) {
        const float scale = checkasm_rand(2.0f);
        for (int i = 0; i < 8 * v->lanes; i++)
            a[i] = checkasm_rand(10.0f);
        for (int u = 0; u < 8 + CHECKASM_GUARD; u++)
            out[u] = checkasm_canary();
        v->hsum8_scaled(a, scale, out);
        for (int u = 0; u < 8; u++) {
            double sum = 0.0, abs_sum = 0.0;
            for (int i = 0; i < v->lanes; i++) {
                sum += a[u * v->lanes + i];
                abs_sum += fabs(a[u * v->lanes + i]);
            }
            /* lanes - 1 additions and the product with scale */
            checkasm_near("hsum8_scaled", u, out[u], scale * sum, checkasm_gamma(v->lanes) * fabs(scale) * abs_sum);
        }
        checkasm_check_guard("hsum8_scaled", out, 8);
    }
}

static void check_copy_tail(const checkasm_vec_kernels *v)
{
    float src[16], *dst = checkasm_alloc(v->lanes);
    for (int n = 0; n <= v->lanes; n++) {
        for (int i = 0; i < v->lanes; i++) {
            src[i] = checkasm_rand(1.0f);
            dst[i] = checkasm_canary();
        }
        v->copy_tail(src, dst, n);
        for (int i = 0; i < n; i++)
            checkasm_same("store_tail(load_tail)", i, dst[i], src[i]);
        checkasm_check_guard("store_tail past n", dst, n);
    }
    checkasm_free(dst);
}

static void check_has_nan(const checkasm_vec_kernels *v)
{
    float x[16];
    for (int lane = -1; lane < v->lanes; lane++) {
        for (int i = 0; i < v->lanes; i++)
            x[i] = i % 2 ? INFINITY : checkasm_rand(1.0f);
        if (lane >= 0)
            x[lane] = NAN;
        if (v->has_nan(x) != (lane >= 0))
            checkasm_fail("nan_any with a NaN in lane %d (-1: none) is %d", lane, v->has_nan(x));
    }
}

static void check(const checkasm_table *t)
{
    const checkasm_vec_kernels *v = t->table;
    if (checkasm_begin("exp")) {
        check_exp(v);
        checkasm_end();
    }
    static const struct { const char *name; void (*fn)(const checkasm_vec_kernels *); } kernels[] = {
        {"hsum", check_hsum}, {"hmax", check_hmax}, {"hsum8_scaled", check_hsum8_scaled},
        {"load_store_tail", check_copy_tail}, {"nan_any", check_has_nan},
    };
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++)
        if (checkasm_begin(kernels[k].name)) {
            kernels[k].fn(v);
            checkasm_end();
        }
}

/* ---- --bench: exp of 1024 floats against libm's expf ------------- */

static void exp_libm(const float *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = expf(x[i]);
}

/* The C version of exp (the only vec kernel timed) */
static const checkasm_vec_kernels vec_libm = {.lanes = 1, .exp = exp_libm};

typedef struct exp_bench {
    float x[1024], y[1024];
} exp_bench;

static void bench_exp(const void *table, void *ctx)
{
    const checkasm_vec_kernels *v = table;
    exp_bench *b = ctx;
    v->exp(b->x, b->y, 1024);
}

static void bench(const checkasm_table *t, const checkasm_table *ref)
{
    (void)ref; /* the family has no C table: libm's expf is the C version */
    if (!checkasm_begin("exp"))
        return;
    static exp_bench b;
    for (int i = 0; i < 1024; i++)
        b.x[i] = checkasm_rand(20.0f);
    checkasm_bench(bench_exp, t->table, &vec_libm, &b);
}

const checkasm_family checkasm_vec = {"vec", tables, (int)(sizeof tables / sizeof tables[0]) - 1, check, bench};
