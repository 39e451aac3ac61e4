/*
 * The benchmark probe's peak loops (bench/probe_loops.h) against scalar
 * recurrences: each chain's lane 0 is recomputed with the same operations
 * (fmaf for FMA, a rounded product then a sum for SSE2, exact sums of
 * 2^-12 for the bf16 dot product) and the loop's returned sum must match
 * to the bit. A loop runs where the CPU has its ISA; in a
 * -Davx512_emulation=true build the AVX-512 loops run through SIMDe
 * (their logic only: speed there means nothing).
 * Compiled with -ffp-contract=off so the SSE2 model is not fused.
 */
#include "check.h"
#include "mha.h"
#include "probe_loops.h"

#include <math.h>

enum { ITERS = 1000 };

/* The sum of the chains' values after ITERS iterations, in chain order. */
static float model(int kind)
{
    float s = 0.0f;
    for (int c = 0; c < PROBE_CHAINS; c++) {
        float acc = PROBE_START(c);
        for (int n = 0; n < ITERS; n++) {
            if (kind == 0) {
                volatile float product = acc * PROBE_A; /* rounded before the add */
                acc = product + PROBE_B;
            } else if (kind == 1) {
                acc = fmaf(acc, PROBE_A, PROBE_B);
            } else {
                acc += PROBE_BF16_STEP;
            }
        }
        s += acc;
    }
    return s;
}

static void check_loop(const char *name, float (*loop)(long), int kind)
{
    float got = loop(ITERS), want = model(kind);
    CHECK(got == want, "%s: %.9g, scalar recurrence %.9g", name, got, want);
    fprintf(stderr, "%s: %.9g\n", name, got);
}

int main(void)
{
    const uint32_t cpu = mha_cpu_detected();
    (void)cpu;
#if defined(__x86_64__)
    check_loop("sse2 mul+add", probe_loop_sse2, 0);
#elif defined(__aarch64__)
    check_loop("neon fma", probe_loop_neon, 1);
#endif
#if defined(MHA_BENCH_HAVE_AVX2)
    if ((cpu & (MHA_CPU_AVX2 | MHA_CPU_FMA)) == (MHA_CPU_AVX2 | MHA_CPU_FMA))
        check_loop("avx2 fma", probe_loop_avx2, 1);
    else
        SKIP("this CPU lacks AVX2+FMA");
#endif
#if defined(MHA_BENCH_HAVE_AVX512)
#if defined(MHA_AVX512_EMULATION)
    const int avx512 = 1, bf16 = 1; /* SIMDe: needs AVX2+FMA only (the build requires it) */
#else
    const int avx512 = (cpu & MHA_CPU_AVX512F) != 0, bf16 = avx512 && (cpu & MHA_CPU_AVX512BF16);
#endif
    if (avx512)
        check_loop("avx512 fma", probe_loop_avx512, 1);
    else
        SKIP("this CPU lacks AVX-512F (tools/test-avx512-simde.sh runs this loop through SIMDe)");
#if defined(MHA_PROBE_HAVE_BF16)
    if (bf16)
        check_loop("avx512 bf16 dot product", probe_loop_avx512_bf16, 2);
    else
        SKIP("this CPU lacks AVX512_BF16");
#endif
    (void)bf16;
#endif
    return check_summary();
}
