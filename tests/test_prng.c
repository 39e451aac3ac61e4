/*
 * The portable PRNG: SplitMix64 known answers and the uniform mapping.
 * Known answers: seed 1477776061723855037, first six outputs of Vigna's
 * reference splitmix64.c as published in the rand_xoshiro crate's
 * `reference` test (rust-random/rngs, rand_xoshiro/src/splitmix64.rs).
 */
#include "check.h"
#include "mha.h"

#include <math.h>
#include <stdint.h>

int main(void)
{
    static const uint64_t published[6] = {
        UINT64_C(1985237415132408290),  UINT64_C(2979275885539914483),  UINT64_C(13511426838097143398),
        UINT64_C(8488337342461049707),  UINT64_C(15141737807933549159), UINT64_C(17093170987380407015),
    };
    mha_rng rng;
    mha_rng_seed(&rng, UINT64_C(1477776061723855037));
    for (int i = 0; i < 6; i++) {
        uint64_t got = mha_rng_next(&rng);
        CHECK(got == published[i], "output %d: %llu, expected %llu", i, (unsigned long long)got,
              (unsigned long long)published[i]);
    }

    /*
     * Uniform mapping, worked by hand from the published outputs:
     * 1985237415132408290 >> 40 = 1805562; 1805562 - 2^23 = -6583046;
     * -6583046 / 2^23 = -0.7847602367401123 (exact in fp32).
     * 2979275885539914483 >> 40 = 2709635; 2709635 - 2^23 = -5678973;
     * -5678973 / 2^23 = -0.6769863367080688.
     */
    mha_rng_seed(&rng, UINT64_C(1477776061723855037));
    float u0 = mha_rng_uniform(&rng), u1 = mha_rng_uniform(&rng);
    CHECK(u0 == -0.7847602367401123f && (double)u0 == -6583046.0 / 8388608.0, "uniform 0: %.17g", (double)u0);
    CHECK(u1 == -0.6769863367080688f && (double)u1 == -5678973.0 / 8388608.0, "uniform 1: %.17g", (double)u1);

    /* A million draws: all on the 2^-23 grid in [-1, 1), mean near 0, both ends reached closely. */
    mha_rng_seed(&rng, 7);
    double sum = 0, lo = 1, hi = -1;
    int off_grid = 0, out_of_range = 0;
    const int n = 1000000;
    for (int i = 0; i < n; i++) {
        float x = mha_rng_uniform(&rng);
        double scaled = (double)x * 8388608.0;
        off_grid += scaled != floor(scaled);
        out_of_range += !(x >= -1.0f && x < 1.0f);
        sum += x;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    CHECK(off_grid == 0, "%d draws off the 2^-23 grid", off_grid);
    CHECK(out_of_range == 0, "%d draws outside [-1, 1)", out_of_range);
    /* The mean of n uniforms on [-1, 1) has standard deviation 1/sqrt(3n) = 5.8e-4: 5 sigma. */
    CHECK(fabs(sum / n) < 5 * 5.8e-4, "mean %g", sum / n);
    CHECK(lo < -0.9999 && hi > 0.9999, "range [%g, %g]", lo, hi);

    /* Same seed, same stream; weights are scaled by 1/sqrt(d_model). */
    float w1[64], w2[64], raw[64];
    mha_init_weights(42, 16, w1, 64);
    mha_init_weights(42, 16, w2, 64);
    mha_rng_seed(&rng, 42);
    mha_rng_fill(&rng, raw, 64, 1.0f);
    int same = 1, scaled_ok = 1;
    for (int i = 0; i < 64; i++) {
        same &= w1[i] == w2[i];
        scaled_ok &= w1[i] == raw[i] * 0.25f; /* 1/sqrt(16) = 0.25, exact */
    }
    CHECK(same, "init_weights is reproducible");
    CHECK(scaled_ok, "init_weights = uniform * 1/sqrt(d_model)");
    return check_summary();
}
