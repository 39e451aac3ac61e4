/*
 * SplitMix64 (G. L. Steele, D. Lea, C. H. Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014). Integer-only; the golden
 * vectors depend on every constant here, so none of them may change.
 */
#include "internal.h"

void mha_rng_seed(mha_rng *rng, uint64_t seed)
{
    rng->state = seed;
}

uint64_t mha_rng_next(mha_rng *rng)
{
    uint64_t z = (rng->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

float mha_rng_uniform(mha_rng *rng)
{
    /* k in [-2^23, 2^23) from the top 24 bits; k * 2^-23 is exact in fp32. */
    int32_t k = (int32_t)(mha_rng_next(rng) >> 40) - (1 << 23);
    return (float)k * 0x1p-23f;
}

void mha_rng_fill(mha_rng *rng, float *dst, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = mha_rng_uniform(rng) * scale;
}

void mha_init_weights(uint64_t seed, int64_t d_model, float *w, size_t n)
{
    mha_rng rng;
    mha_rng_seed(&rng, seed);
    mha_rng_fill(&rng, w, n, (float)(1.0 / sqrt((double)d_model)));
}
