/*
 * The dtype helpers: names, sizes, combinations, and the four conversions
 * checked against properties of IEEE rounding rather than against a copy
 * of their code: every one of the 65536 patterns of each 16-bit type
 * round-trips through fp32; every midpoint between neighbours rounds to
 * the even one; the values around midpoints and a million random floats
 * round to a nearest neighbour; NaN, infinity, overflow and subnormals.
 */
#include "check.h"
#include "mha.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct narrow_type {
    const char *name;
    float (*widen)(uint16_t);
    uint16_t (*narrow)(float);
    uint16_t inf;           /* +infinity */
    uint16_t quiet;         /* the quiet bit of a NaN: the top mantissa bit */
    double beyond_max;      /* the value an unbounded exponent would give after the largest finite */
} narrow_type;

static const narrow_type types[] = {
    {"bf16", mha_bf16_to_f32, mha_f32_to_bf16, 0x7f80, 0x0040, 0x1p128},
    {"fp16", mha_f16_to_f32, mha_f32_to_f16, 0x7c00, 0x0200, 0x1p16},
};

static uint32_t bits_of(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

static float float_of(uint32_t u)
{
    float x;
    memcpy(&x, &u, 4);
    return x;
}

/* Value of a non-negative non-NaN pattern, infinity read as the next power of two (IEEE rounding's rule). */
static double value_of(const narrow_type *t, uint16_t h)
{
    return h == t->inf ? t->beyond_max : (double)t->widen(h);
}

/*
 * x >= 0 finite: the pattern r must be a nearest neighbour of x, and on a
 * tie the even one. Non-negative patterns are ordered like their values.
 */
static int rounds_to_nearest_even(const narrow_type *t, float x, uint16_t r)
{
    if (r > t->inf)
        return 0;
    const double d = fabs(value_of(t, r) - (double)x);
    if (r > 0 && fabs(value_of(t, (uint16_t)(r - 1)) - (double)x) < d)
        return 0;
    if (r < t->inf && fabs(value_of(t, (uint16_t)(r + 1)) - (double)x) < d)
        return 0;
    int tie = (r > 0 && fabs(value_of(t, (uint16_t)(r - 1)) - (double)x) == d) ||
              (r < t->inf && fabs(value_of(t, (uint16_t)(r + 1)) - (double)x) == d);
    return !tie || (r & 1) == 0;
}

static void check_names(void)
{
    CHECK(strcmp(mha_dtype_name(MHA_F32), "fp32") == 0, "name fp32");
    CHECK(strcmp(mha_dtype_name(MHA_BF16), "bf16") == 0, "name bf16");
    CHECK(strcmp(mha_dtype_name(MHA_F16), "fp16") == 0, "name fp16");
    CHECK(strcmp(mha_dtype_name(MHA_DTYPE_COUNT), "?") == 0, "name of no dtype");
    static const char *const names[] = {"fp32", "bf16", "fp16"};
    static const mha_dtype want[] = {MHA_F32, MHA_BF16, MHA_F16};
    for (int i = 0; i < 3; i++) {
        mha_dtype d = MHA_DTYPE_COUNT;
        CHECK(mha_dtype_from_name(names[i], &d) == 0 && d == want[i], "from name %s", names[i]);
    }
    static const char *const bad[] = {"", "?", "FP32", "fp64", "bf16 ", "f32"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mha_dtype d = MHA_F16;
        CHECK(mha_dtype_from_name(bad[i], &d) == -1 && d == MHA_F16, "from name '%s' refused, dtype untouched",
              bad[i]);
    }
    CHECK(mha_dtype_size(MHA_F32) == sizeof(float) && mha_dtype_size(MHA_BF16) == 2 && mha_dtype_size(MHA_F16) == 2,
          "sizes");
    CHECK(mha_dtype_size((mha_dtype)7) == 0, "size of no dtype");
    CHECK(mha_dtype_combo(MHA_F32, MHA_F32) == MHA_IO_F32, "fp32 -> fp32");
    CHECK(mha_dtype_combo(MHA_BF16, MHA_F32) == MHA_IO_BF16_F32, "bf16 -> fp32");
    CHECK(mha_dtype_combo(MHA_BF16, MHA_BF16) == MHA_IO_BF16, "bf16 -> bf16");
    CHECK(mha_dtype_combo(MHA_F16, MHA_F32) == MHA_IO_F16_F32, "fp16 -> fp32");
    CHECK(mha_dtype_combo(MHA_F16, MHA_F16) == MHA_IO_F16, "fp16 -> fp16");
    CHECK(mha_dtype_combo(MHA_F32, MHA_BF16) == 0 && mha_dtype_combo(MHA_BF16, MHA_F16) == 0 &&
              mha_dtype_combo(MHA_F16, MHA_BF16) == 0 && mha_dtype_combo(MHA_F32, MHA_F16) == 0,
          "no other combination");
    CHECK(mha_dtype_combo(MHA_DTYPE_COUNT, MHA_F32) == 0, "no dtype in");
}

/* All 65536 patterns: widen then narrow gives the pattern back (NaN: a quiet NaN of the same sign). */
static void check_round_trip(const narrow_type *t)
{
    int bad = 0;
    for (uint32_t p = 0; p < 65536; p++) {
        const uint16_t h = (uint16_t)p;
        const float x = t->widen(h);
        const uint16_t back = t->narrow(x);
        const int nan = (h & 0x7fff) > t->inf;
        if (nan ? !(isnan(x) && (back & 0x7fff) > t->inf && (back & 0x8000) == (h & 0x8000) &&
                    (back & t->quiet) && ((back ^ h) & ~t->quiet) == 0)
                : back != h) {
            if (bad++ < 5)
                CHECK(0, "%s pattern 0x%04x -> %a -> 0x%04x", t->name, h, (double)x, back);
        }
        if (!nan && (signbit(x) != 0) != ((h & 0x8000) != 0))
            CHECK(0, "%s pattern 0x%04x: sign of %a", t->name, h, (double)x);
    }
    CHECK(bad == 0, "%s: %d of 65536 patterns do not round-trip", t->name, bad);
}

/* Midpoints of neighbours (exact in fp32), and one fp32 ulp either side of each. */
static void check_midpoints(const narrow_type *t)
{
    int bad = 0;
    for (uint16_t h = 0; h < t->inf; h++) {
        const double lo = t->widen(h), hi = value_of(t, (uint16_t)(h + 1));
        const float mid = (float)((lo + hi) / 2);
        CHECK((double)mid == (lo + hi) / 2, "%s midpoint after 0x%04x is exact in fp32", t->name, h);
        const float probes[] = {mid, nextafterf(mid, 0.0f), nextafterf(mid, INFINITY)};
        for (int k = 0; k < 3; k++) {
            const uint16_t r = t->narrow(probes[k]), rn = t->narrow(-probes[k]);
            if (!rounds_to_nearest_even(t, probes[k], r) || rn != (r | 0x8000)) {
                if (bad++ < 5)
                    CHECK(0, "%s: %a -> 0x%04x, -%a -> 0x%04x", t->name, (double)probes[k], r, (double)probes[k], rn);
            }
        }
    }
    CHECK(bad == 0, "%s: %d probes around midpoints round wrong", t->name, bad);
}

/* A million random floats over the whole exponent range, and their negatives. */
static void check_random(const narrow_type *t)
{
    mha_rng rng;
    mha_rng_seed(&rng, 17);
    int bad = 0;
    for (int n = 0; n < 1000000; n++) {
        const float x = float_of((uint32_t)(mha_rng_next(&rng) >> 33)); /* sign bit clear: 0 .. 0x7fffffff */
        if (isnan(x))
            continue;
        const uint16_t r = t->narrow(x);
        const int ok = isinf(x) ? r == t->inf : rounds_to_nearest_even(t, x, r);
        if ((!ok || t->narrow(-x) != (r | 0x8000)) && bad++ < 5)
            CHECK(0, "%s: %a -> 0x%04x", t->name, (double)x, r);
    }
    CHECK(bad == 0, "%s: %d random floats round wrong", t->name, bad);
}

/* Values stated by the formats' definitions. */
static void check_known(void)
{
    CHECK(mha_f32_to_bf16(1.0f) == 0x3f80 && mha_f32_to_f16(1.0f) == 0x3c00, "1.0");
    CHECK(mha_f32_to_bf16(-2.0f) == 0xc000 && mha_f32_to_f16(-2.0f) == 0xc000, "-2.0");
    CHECK(mha_f16_to_f32(0x7bff) == 65504.0f, "largest fp16");
    CHECK(mha_f16_to_f32(0x0001) == 0x1p-24f && mha_f16_to_f32(0x0400) == 0x1p-14f, "fp16 subnormal and normal min");
    CHECK(mha_bf16_to_f32(0x0001) == 0x1p-133f, "smallest bf16 subnormal");
    CHECK(mha_f32_to_f16(65519.996f) == 0x7bff && mha_f32_to_f16(65520.0f) == 0x7c00, "fp16 overflow threshold");
    CHECK(mha_f32_to_f16(1e10f) == 0x7c00 && mha_f32_to_f16(-1e10f) == 0xfc00, "fp16 overflow to infinity");
    CHECK(mha_f32_to_bf16(3.4028235e38f) == 0x7f80, "FLT_MAX rounds up to bf16 infinity");
    CHECK(mha_f32_to_bf16(INFINITY) == 0x7f80 && mha_f32_to_bf16(-INFINITY) == 0xff80, "bf16 infinities");
    CHECK(mha_f32_to_f16(INFINITY) == 0x7c00 && mha_f32_to_f16(-INFINITY) == 0xfc00, "fp16 infinities");
    CHECK(mha_f32_to_f16(0x1p-25f) == 0x0000 && mha_f32_to_f16(0x1.000002p-25f) == 0x0001,
          "half the smallest fp16 subnormal ties to 0, just above rounds up");
    CHECK(mha_f32_to_f16(0x1.8p-24f) == 0x0002, "1.5 units of 2^-24 ties to 2 (even)");
    CHECK(mha_f32_to_f16(-0.0f) == 0x8000 && mha_f32_to_bf16(-0.0f) == 0x8000, "negative zero");
    /* 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7: ties to even 1; 1 + 3 * 2^-8 to 1 + 2^-6 */
    CHECK(mha_f32_to_bf16(1.0f + 0x1p-8f) == 0x3f80 && mha_f32_to_bf16(1.0f + 0x1.8p-7f) == 0x3f82, "bf16 ties");
    CHECK(mha_f32_to_f16(1.0f + 0x1p-11f) == 0x3c00 && mha_f32_to_f16(1.0f + 0x1.8p-10f) == 0x3c02, "fp16 ties");
    /* NaN: quiet, sign and payload top kept; a signaling fp32 NaN whose payload sits in the low bits only */
    const float snan_low = float_of(0x7f800001u), qnan_neg = float_of(0xffc00000u);
    CHECK(mha_f32_to_bf16(snan_low) == 0x7fc0 && mha_f32_to_f16(snan_low) == 0x7e00, "low-payload NaN stays NaN");
    CHECK(mha_f32_to_bf16(qnan_neg) == 0xffc0 && mha_f32_to_f16(qnan_neg) == 0xfe00, "negative NaN");
    CHECK(bits_of(mha_f16_to_f32(0x7c01)) == 0x7fc02000u, "signaling fp16 NaN widens to a quiet NaN");
    CHECK(bits_of(mha_bf16_to_f32(0x7f81)) == 0x7f810000u, "bf16 widens by a shift, bit for bit");
}

/*
 * mha_reference() reads bf16 and fp16 inputs exactly: the same bits as on
 * their fp32 widening, in the head-major layout (strides count elements of
 * the dtype). naive rounds O once: its out_dtype = dtype output is its fp32
 * output rounded.
 */
static void check_reference_and_naive(mha_dtype dt)
{
    enum { B = 1, H = 2, HKV = 1, SQ = 5, SKV = 9, DH = 8, NQ = B * SQ * H * DH, NKV = B * SKV * HKV * DH };
    float q[NQ], k[NKV], v[NKV], out32[NQ];
    uint16_t q16[NQ], k16[NKV], v16[NKV], out16[NQ];
    double ref32[NQ], ref16[NQ], probs32[B * H * SQ * SKV], probs16[B * H * SQ * SKV];
    mha_rng rng;
    mha_rng_seed(&rng, 99 + (uint64_t)dt);
    mha_rng_fill(&rng, q, NQ, 1.0f);
    mha_rng_fill(&rng, k, NKV, 1.0f);
    mha_rng_fill(&rng, v, NKV, 1.0f);
    const narrow_type *t = &types[dt == MHA_BF16 ? 0 : 1];
    float *all[3] = {q, k, v};
    uint16_t *narrow[3] = {q16, k16, v16};
    const size_t n[3] = {NQ, NKV, NKV};
    for (int x = 0; x < 3; x++)
        for (size_t e = 0; e < n[x]; e++) {
            narrow[x][e] = t->narrow(all[x][e]);
            all[x][e] = t->widen(narrow[x][e]); /* the fp32 arrays hold the dtype's values */
        }
    const mha_shape shape = {B, H, HKV, SQ, SKV, DH};
    mha_args a = mha_args_bshd(shape, q, k, v, out32);
    a.q_strides = mha_strides_bhsd(SQ, H, DH);
    a.k_strides = a.v_strides = mha_strides_bhsd(SKV, HKV, DH);
    a.threads = 1;
    CHECK(mha_reference(&a, ref32, probs32) == MHA_OK, "%s: fp32 reference: %s", t->name, mha_last_error());
    mha_args a16 = a;
    a16.q = q16;
    a16.k = k16;
    a16.v = v16;
    a16.dtype = dt;
    CHECK(mha_reference(&a16, ref16, probs16) == MHA_OK, "%s: reference: %s", t->name, mha_last_error());
    CHECK(memcmp(ref32, ref16, sizeof ref32) == 0 && memcmp(probs32, probs16, sizeof probs32) == 0,
          "%s: the reference on %s inputs differs from it on their exact fp32 values", t->name, t->name);

    const mha_impl *naive = mha_impl_find("naive");
    a16.out = out32;
    CHECK(mha_attention(naive, &a16) == MHA_OK, "%s -> fp32: %s", t->name, mha_last_error());
    a16.out = out16;
    a16.out_dtype = dt;
    CHECK(mha_attention(naive, &a16) == MHA_OK, "%s -> %s: %s", t->name, t->name, mha_last_error());
    int same = 1;
    for (size_t e = 0; e < NQ; e++)
        same &= out16[e] == t->narrow(out32[e]);
    CHECK(same, "naive %s -> %s is not its %s -> fp32 output rounded once", t->name, t->name, t->name);
}

int main(void)
{
    check_names();
    check_reference_and_naive(MHA_BF16);
    check_reference_and_naive(MHA_F16);
    check_known();
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        check_round_trip(&types[i]);
        check_midpoints(&types[i]);
        check_random(&types[i]);
    }
    return check_summary();
}
