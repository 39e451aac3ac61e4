/*
 * Accuracy of one ISA's vectorized expf (impl/vec/vexp_<isa>.h), compiled
 * once per ISA with -DVEXP_ISA_<ISA>.
 *
 * Exhaustive: every float x in [-104, 89] (about 2.2e9 values). The
 * reference is exp(x) in double, rounded to float. To keep the run short
 * it is formed per block of 256 consecutive floats of one binade, which
 * are x0 + k*d exactly: exp(x0 + k*d) = exp(x0) * T[k] with
 * T[k] = exp(k*d), so two exp() calls per block instead of 256; the
 * product is within 3 double ULPs (~4e-16 relative) of exp(x), 1e-8 of a
 * float ULP. Two figures per ISA:
 *   dist = |bits(y) - bits(rn(exp(x)))|, integer ULPs from the correctly
 *          rounded result (asserted <= MHA_VEXP_MAX_ULP);
 *   err  = |y - exp(x)| / ulp(exp(x)), real-valued (asserted <= MHA_VEXP_MAX_ERR),
 *          computed where y is not the correctly rounded result (elsewhere
 *          it is <= 0.5 by definition; this keeps the qemu run short).
 * Plus special values: +-inf, NaN, +-0, huge inputs, NaN next to finite
 * lanes. Exit 77 (meson: SKIP) when the CPU lacks the ISA. Not the
 * conformance model (conformance/tolerance.h), which judges attention
 * outputs against the plain fp32 algorithm: here the quantity is one
 * function's distance from its correctly rounded value.
 */
#include "mha.h"
#include "impl/core/internal.h"
#include "impl/vec/vexp_consts.h"
#include "vexp_blocks.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(VEXP_ISA_AVX2)
#define VEXP_FN mha_test_vexp_avx2
#define VEXP_NAME "avx2"
#define VEXP_NEED (MHA_CPU_AVX2 | MHA_CPU_FMA)
#elif defined(VEXP_ISA_AVX512)
#define VEXP_FN mha_test_vexp_avx512
#define VEXP_NAME "avx512"
#define VEXP_NEED MHA_CPU_AVX512_BUILD
#elif defined(VEXP_ISA_NEON)
#define VEXP_FN mha_test_vexp_neon
#define VEXP_NAME "neon"
#define VEXP_NEED MHA_CPU_NEON
#else
#error "define VEXP_ISA_AVX2, VEXP_ISA_AVX512 or VEXP_ISA_NEON"
#endif

#define BLOCK 256

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

/* ulp of the float binade holding the positive value v (2^-149 at least). */
static double ulp_at(double v)
{
    int e;
    frexp(v, &e); /* v in [2^(e-1), 2^e) */
    return ldexp(1.0, e - 24 > -149 ? e - 24 : -149);
}

typedef struct worst {
    int64_t dist;
    double err;
    float x_dist, x_err;
} worst;

/* Check the block of floats with bit patterns first .. first+255 (same sign, same binade). */
static void check_block(uint32_t first, worst *w, double *table, double *table_d)
{
    float x[BLOCK], y[BLOCK];
    for (int k = 0; k < BLOCK; k++)
        x[k] = float_of(first + (uint32_t)k);
    VEXP_FN(x, y, BLOCK);
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
            continue; /* correctly rounded: dist 0, err <= 0.5 */
        if (isnan(y[k]) || y[k] < 0.0f) {
            w->dist = INT64_MAX;
            w->x_dist = x[k];
            continue;
        }
        int64_t dist = llabs((long long)bits_of(y[k]) - (long long)bits_of(rn));
        if (dist > w->dist) {
            w->dist = dist;
            w->x_dist = x[k];
        }
        if (!isinf(rn) && !isinf(y[k])) {
            double err = fabs((double)y[k] - ref) / ulp_at(ref);
            if (err > w->err) {
                w->err = err;
                w->x_err = x[k];
            }
        }
    }
}

/*
 * Blocks checked: every one (stride 1, the default), or every stride-th
 * block of BLOCK consecutive floats when the environment sets
 * MHA_VEXP_BLOCK_STRIDE (the cross build under qemu uses 16 to stay within
 * CI time; every binade is still covered).
 */
static int64_t block_stride = 1;

/* Every float with bit patterns in [lo, hi] (one sign), block by block. */
static void sweep(uint32_t lo, uint32_t hi, worst *total)
{
    const int64_t blocks = ((int64_t)hi - lo) / BLOCK + 1;
    const int64_t stride = block_stride;
#ifdef _OPENMP
#pragma omp parallel
#endif
    {
        worst w = {0, 0.0, 0.0f, 0.0f};
        double table[BLOCK], table_d = 0.0;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 4096)
#endif
        for (int64_t b = 0; b < blocks; b += stride)
            check_block(lo + (uint32_t)(b * BLOCK), &w, table, &table_d);
#ifdef _OPENMP
#pragma omp critical
#endif
        {
            if (w.dist > total->dist || (w.dist == total->dist && fabsf(w.x_dist) < fabsf(total->x_dist))) {
                total->dist = w.dist;
                total->x_dist = w.x_dist;
            }
            if (w.err > total->err) {
                total->err = w.err;
                total->x_err = w.x_err;
            }
        }
    }
}

static void expect_bits(const char *what, float x, float got, float want)
{
    CHECK(isnan(want) ? isnan(got) : bits_of(got) == bits_of(want), "%s: exp(%a) = %a, expected %a", what, x, got,
          want);
}

static void special_values(void)
{
    float x[BLOCK], y[BLOCK];
    for (int k = 0; k < BLOCK; k++)
        x[k] = 0.5f; /* finite neighbours of every special lane */
    const struct { float x, want; const char *what; } cases[] = {
        {-INFINITY, 0.0f, "exp(-inf) = 0"},
        {INFINITY, INFINITY, "exp(+inf) = +inf"},
        {NAN, NAN, "exp(NaN) = NaN"},
        {0.0f, 1.0f, "exp(0) = 1"},
        {-0.0f, 1.0f, "exp(-0) = 1"},
        {-1e30f, 0.0f, "exp(-1e30) = 0"},
        {-FLT_MAX, 0.0f, "exp(-FLT_MAX) = 0"},
        {-200.0f, 0.0f, "exp(-200) = 0"},
        {-104.0f, 0.0f, "exp(-104) = 0"},
        {1e30f, INFINITY, "exp(1e30) = inf"},
        {FLT_MAX, INFINITY, "exp(FLT_MAX) = inf"},
        {89.0f, INFINITY, "exp(89) = inf"},
        {88.7229f, INFINITY, "exp(88.7229) = inf"},
    };
    const int n = (int)(sizeof cases / sizeof cases[0]);
    for (int c = 0; c < n; c++)
        x[3 * c + 1] = cases[c].x;
    /* NaNs with payloads, negative and signaling: the payload must not leak into a number */
    static const uint32_t nan_bits[] = {0x7fc00123u, 0xffc00001u, 0x7f800001u, 0xff8001ffu, 0x7fffffffu};
    const int n_nan = (int)(sizeof nan_bits / sizeof nan_bits[0]);
    for (int c = 0; c < n_nan; c++)
        x[3 * (n + c) + 1] = float_of(nan_bits[c]);
    VEXP_FN(x, y, BLOCK);
    for (int c = 0; c < n; c++)
        expect_bits(cases[c].what, x[3 * c + 1], y[3 * c + 1], cases[c].want);
    for (int c = 0; c < n_nan; c++)
        expect_bits("exp(NaN with payload) = NaN", x[3 * (n + c) + 1], y[3 * (n + c) + 1], NAN);
    const float half = (float)exp(0.5);
    for (int k = 0; k < BLOCK; k++)
        if (x[k] == 0.5f)
            CHECK(fabsf(y[k] - half) <= half * 2 * FLT_EPSILON, "lane %d next to a special lane: exp(0.5) = %a", k,
                  y[k]);
}

int main(void)
{
    uint32_t have = mha_cpu_detected();
    if ((have & VEXP_NEED) != VEXP_NEED) {
        char buf[128];
        printf("SKIP: CPU lacks %s: cannot run mha_vexp_%s\n",
               mha_cpu_feature_names(VEXP_NEED & ~have, buf, sizeof buf), VEXP_NAME);
        return 77;
    }
    const char *stride_env = getenv("MHA_VEXP_BLOCK_STRIDE");
    if (stride_env && atoll(stride_env) > 1)
        block_stride = atoll(stride_env);
    special_values();

    worst w = {0, 0.0, 0.0f, 0.0f};
    sweep(0x00000000u, bits_of(89.0f), &w);  /* +0 .. 89 */
    sweep(0x80000000u, bits_of(-104.0f), &w); /* -0 .. -104 */
    if (block_stride == 1)
        printf("mha_vexp_%s over every float in [-104, 89]:\n", VEXP_NAME);
    else
        printf("mha_vexp_%s over every %lldth block of %d consecutive floats in [-104, 89] "
               "(MHA_VEXP_BLOCK_STRIDE):\n", VEXP_NAME, (long long)block_stride, BLOCK);
    printf("  max distance from the correctly rounded result: %lld ULP (at x = %a = %.9g)\n",
           (long long)w.dist, w.x_dist, w.x_dist);
    printf("  max error against exp() in double: %.4f ULP (at x = %a = %.9g)\n", w.err, w.x_err,
           w.x_err);
    CHECK(w.dist <= MHA_VEXP_MAX_ULP, "%lld ULP > MHA_VEXP_MAX_ULP = %d", (long long)w.dist, MHA_VEXP_MAX_ULP);
    CHECK(w.err <= MHA_VEXP_MAX_ERR, "%.4f ULP > MHA_VEXP_MAX_ERR = %.2f", w.err, MHA_VEXP_MAX_ERR);
    return check_summary();
}
