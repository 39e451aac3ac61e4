/*
 * The peak loops of the machine probe, one per ISA level. Each runs
 * `iters` iterations of PROBE_CHAINS independent accumulator chains,
 * acc = acc * a + b (a fused multiply-add where the ISA has one, a
 * multiply then an add where it has not), and returns the sum of the
 * chains' lane 0 in chain order, so the result depends on every
 * iteration and a test can recompute it with scalar code.
 * The bf16 loop instead runs acc += dot(a_pair, b_pair) (vdpbf16ps) on
 * each chain: 2 multiplies and 2 adds per fp32 lane.
 * FLOPs of one iteration: PROBE_CHAINS x lanes x 2 (bf16: x 4).
 */
#ifndef MHA_BENCH_PROBE_LOOPS_H
#define MHA_BENCH_PROBE_LOOPS_H

#ifdef __cplusplus
extern "C" {
#endif

/* 12 chains keep 2 FMA pipes of 4-6 cycles latency busy (Zen 3-5, Skylake to Sapphire Rapids). */
#define PROBE_CHAINS 12
/* The recurrence's constants and chain c's start value (c + 1 / 4). */
#define PROBE_A 0.999999f
#define PROBE_B 1e-6f
#define PROBE_START(c) ((float)(c) + 0.25f)
/* bf16 loop: acc starts at chain c's value and adds 2 x (1 x 2^-12) per iteration (exact in fp32). */
#define PROBE_BF16_STEP (2.0f / 4096.0f)

float probe_loop_sse2(long iters);       /* x86-64 baseline: 4 lanes, mul then add (-ffp-contract=off) */
float probe_loop_neon(long iters);       /* AArch64: 4 lanes, vfmaq_f32 */
float probe_loop_avx2(long iters);       /* 8 lanes, vfmadd; build needs -mavx2 -mfma */
float probe_loop_avx512(long iters);     /* 16 lanes, vfmadd on zmm; -mavx512f (or SIMDe) */
float probe_loop_avx512_bf16(long iters); /* 16 fp32 lanes of vdpbf16ps; -mavx512bf16 (or SIMDe) */

/* One peak loop: its ISA level and what one iteration computes. */
typedef struct probe_level {
    const char *isa; /* "sse2", "neon", "avx2", "avx512", "avx512_bf16" */
    const char *op;  /* "fp32 mul+add", "fp32 FMA", "bf16 dot product (vdpbf16ps)" */
    int lanes;       /* fp32 lanes per instruction */
    int bf16;        /* 1: the bf16 pair dot (twice the FLOPs per lane), not an fp32 peak */
    float (*loop)(long iters);
} probe_level;

#define PROBE_MAX_LEVELS 5
/* The levels this build has and this CPU runs, in the order of the list above (probe_levels.c, compiled
 * with bench/meson.build's probe_loop_args); returns how many. */
int probe_levels(probe_level out[PROBE_MAX_LEVELS]);
/* FLOPs of one iteration of l's loop: PROBE_CHAINS x lanes x 2 (bf16: x 4) */
double probe_level_flops(const probe_level *l);

#ifdef __cplusplus
}
#endif

#endif
