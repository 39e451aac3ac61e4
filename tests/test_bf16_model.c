/*
 * The scalar model of VDPBF16PS and VCVTNE2PS2BF16 (impl/vec/bf16_model.h),
 * which the SIMDe build of flash_avx512bf16 runs instead of the
 * instructions. Each case below is a rule of the Intel SDM's operation
 * section that a plausible model gets wrong; the expected values follow
 * from the rule by hand:
 *   order:    acc + a1*b1 first, then + a0*b0, each rounded (SIMDe sums the
 *             products first)
 *   rounding: to nearest, ties to even, per step
 *   DAZ/FTZ:  denormal inputs read as zero, denormal results become zero
 *   convert:  ties to even; denormal -> signed zero; NaN quiet; overflow -> inf
 * On a CPU with AVX512_BF16 (and a build that could compile for it) the
 * model is also compared with the instructions on random and edge-case
 * operands, bit for bit (NaN: both NaN).
 */
#include "mha.h"
#include "impl/vec/bf16_model.h"
#include "bf16_native.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

/* bf16 bits of a float that is exactly a bf16 */
static uint32_t bf(float x)
{
    return mha_f32_bits(x) >> 16;
}

static uint32_t pair(float x0, float x1)
{
    return bf(x0) | bf(x1) << 16;
}

static int same_bits(float x, float y)
{
    return mha_f32_bits(x) == mha_f32_bits(y);
}

static void check_dot_rules(void)
{
    /* order: 1 + (-1) = 0, then + 2^-30 = 2^-30; the even pair first would lose 2^-30 in 1 + 2^-30 */
    float r = mha_bf16m_dot_pair(1.0f, pair(0x1p-15f, -1.0f), pair(0x1p-15f, 1.0f));
    CHECK(r == 0x1p-30f, "odd pair first: got %a, want 0x1p-30", (double)r);
    /* per-step rounding: 1 + 2^-24 is a tie that stays 1, twice; summing the products first gives 1 + 2^-23 */
    r = mha_bf16m_dot_pair(1.0f, pair(0x1p-12f, 0x1p-12f), pair(0x1p-12f, 0x1p-12f));
    CHECK(r == 1.0f, "two ties to even: got %a, want 1", (double)r);
    /* nearest: 1 + 1.5 * 2^-24 rounds up to 1 + 2^-23 */
    r = mha_bf16m_dot_pair(1.0f, pair(0x1.8p-12f, 0.0f), pair(0x1p-12f, 0.0f));
    CHECK(r == 1.0f + 0x1p-23f, "round to nearest: got %a, want 1 + 2^-23", (double)r);
    /* DAZ: a bf16 denormal (2^-133) times 2^100 would be 2^-33, but reads as 0 */
    r = mha_bf16m_dot_pair(0.0f, pair(0x1p-133f, 0.0f), pair(0x1p100f, 0.0f));
    CHECK(r == 0.0f, "denormal input: got %a, want 0", (double)r);
    /* DAZ on the accumulator: 2^-140 + 0 * 0 = 0 */
    r = mha_bf16m_dot_pair(0x1p-140f, 0, 0);
    CHECK(r == 0.0f, "denormal accumulator: got %a, want 0", (double)r);
    /* FTZ: 2^-70 * 2^-70 = 2^-140 is a denormal result */
    r = mha_bf16m_dot_pair(0.0f, pair(0x1p-70f, 0.0f), pair(0x1p-70f, 0.0f));
    CHECK(r == 0.0f, "denormal result: got %a, want 0", (double)r);
    /* a NaN anywhere gives NaN; inf * 0 gives NaN */
    r = mha_bf16m_dot_pair(1.0f, pair(NAN, 1.0f), pair(1.0f, 1.0f));
    CHECK(isnan(r), "NaN operand: got %a", (double)r);
    r = mha_bf16m_dot_pair(1.0f, pair(INFINITY, 1.0f), pair(0.0f, 1.0f));
    CHECK(isnan(r), "inf * 0: got %a", (double)r);
    /* plain values: 0.5 + 3 * 5 + 2 * (-4) */
    r = mha_bf16m_dot_pair(0.5f, pair(2.0f, 3.0f), pair(-4.0f, 5.0f));
    CHECK(r == 7.5f, "exact sum: got %a, want 7.5", (double)r);
}

static void check_round_rules(void)
{
    CHECK(mha_bf16m_round(1.0f + 0x1p-8f) == 0x3f80, "tie to even (down)");
    CHECK(mha_bf16m_round(1.0f + 0x3p-8f) == 0x3f82, "tie to even (up)");
    CHECK(mha_bf16m_round(1.0f + 0x1p-8f + 0x1p-20f) == 0x3f81, "above the tie rounds up");
    CHECK(mha_bf16m_round(0x1p-140f) == 0x0000, "denormal -> +0");
    CHECK(mha_bf16m_round(-0x1p-140f) == 0x8000, "denormal -> -0");
    CHECK(mha_bf16m_round(INFINITY) == 0x7f80, "inf");
    CHECK(mha_bf16m_round(mha_f32_from_bits(0x7f800001u)) == 0x7fc0, "signalling NaN made quiet");
    CHECK(mha_bf16m_round(mha_f32_from_bits(0x7f7fffffu)) == 0x7f80, "overflow to inf");
    CHECK(mha_bf16m_round(-2.5f) == 0xc020, "exact value kept");
}

/* random bf16: mostly ordinary magnitudes, some zeros, denormals, extremes and specials */
static uint32_t random_bf16(mha_rng *rng)
{
    const float u = mha_rng_uniform(rng);
    const uint32_t bits = (uint32_t)((mha_rng_uniform(rng) + 1.0f) * 32768.0f) & 0xffffu;
    if (u < -0.9f)
        return bits & 0x807fu; /* zero or denormal */
    if (u < -0.85f)
        return (bits & 0x807fu) | 0x7f80u; /* inf or NaN */
    if (u < -0.7f)
        return bits; /* anything */
    /* exponent near 127 so that sums cancel and round */
    return (bits & 0x807fu) | ((uint32_t)(120 + (bits >> 7) % 16) << 7);
}

static void check_against_native(void)
{
    if (!bf16_native_built() || !(mha_cpu_detected() & MHA_CPU_AVX512BF16)) {
        SKIP("no AVX512_BF16 here (or not compiled for it): the model was not compared with the instructions");
        return;
    }
    mha_rng rng;
    mha_rng_seed(&rng, 5);
    enum { N = 16 };
    size_t bad = 0, total = 0;
    for (int it = 0; it < 100000; it++) {
        float acc[N], want[N];
        uint32_t a[N], b[N];
        for (int i = 0; i < N; i++) {
            a[i] = random_bf16(&rng) | random_bf16(&rng) << 16;
            b[i] = random_bf16(&rng) | random_bf16(&rng) << 16;
            acc[i] = mha_f32_from_bits(random_bf16(&rng) << 16 | (random_bf16(&rng) & 0xffffu));
            want[i] = mha_bf16m_dot_pair(acc[i], a[i], b[i]);
        }
        bf16_native_dot(acc, a, b);
        for (int i = 0; i < N; i++, total++)
            bad += !(same_bits(acc[i], want[i]) || (isnan(acc[i]) && isnan(want[i])));
        float x[2 * N];
        uint16_t got[2 * N];
        for (int i = 0; i < 2 * N; i++)
            x[i] = mha_f32_from_bits(random_bf16(&rng) << 16 | (random_bf16(&rng) & 0xffffu));
        bf16_native_round(x, got);
        for (int i = 0; i < 2 * N; i++)
            bad += got[i] != mha_bf16m_round(x[i]) && !(isnan(x[i]) && (got[i] & 0x7fc0u) == 0x7fc0u);
    }
    CHECK(bad == 0, "the model differs from vdpbf16ps / vcvtne2ps2bf16 on %zu of %zu lanes", bad, total);
}

int main(void)
{
    check_dot_rules();
    check_round_rules();
    check_against_native();
    return check_summary();
}
