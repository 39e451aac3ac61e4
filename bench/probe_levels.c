/*
 * The probe's levels (probe_loops.h): which peak loops this build has
 * (the MHA_BENCH_HAVE_* and MHA_PROBE_HAVE_BF16 flags of bench/meson.build)
 * and this CPU runs, for the machine probe (probe.c) and prefill_ab.
 */
#include "probe_loops.h"
#include "mha.h"

#include <stdint.h>

int probe_levels(probe_level out[PROBE_MAX_LEVELS])
{
    const uint32_t cpu = mha_cpu_detected();
    (void)cpu;
    int n = 0;
#if defined(__x86_64__) || defined(__i386__)
    out[n++] = (probe_level){"sse2", "fp32 mul+add", 4, 0, probe_loop_sse2};
#elif defined(__aarch64__)
    out[n++] = (probe_level){"neon", "fp32 FMA", 4, 0, probe_loop_neon};
#endif
#if defined(MHA_BENCH_HAVE_AVX2)
    if ((cpu & (MHA_CPU_AVX2 | MHA_CPU_FMA)) == (MHA_CPU_AVX2 | MHA_CPU_FMA))
        out[n++] = (probe_level){"avx2", "fp32 FMA", 8, 0, probe_loop_avx2};
#endif
#if defined(MHA_BENCH_HAVE_AVX512)
    if (cpu & MHA_CPU_AVX512F)
        out[n++] = (probe_level){"avx512", "fp32 FMA", 16, 0, probe_loop_avx512};
#endif
#if defined(MHA_PROBE_HAVE_BF16)
    if ((cpu & (MHA_CPU_AVX512F | MHA_CPU_AVX512BF16)) == (MHA_CPU_AVX512F | MHA_CPU_AVX512BF16))
        out[n++] = (probe_level){"avx512_bf16", "bf16 dot product (vdpbf16ps)", 16, 1, probe_loop_avx512_bf16};
#endif
    return n;
}

double probe_level_flops(const probe_level *l)
{
    return (double)PROBE_CHAINS * l->lanes * 2.0 * (l->bf16 ? 2.0 : 1.0);
}
