/* Pieces of mha-bench outside its main file: the JSON context and the full-layer benchmark. */
#ifndef MHA_BENCH_PARTS_H
#define MHA_BENCH_PARTS_H

#include <benchmark/benchmark.h>

#include "grid.h"
#include "mha.h"
#include "probe.h"

#include <map>
#include <string>
#include <vector>

/* The machine probe, build and rules as Google Benchmark context keys mha_* (docs/benchmarks.md, "Machine probe"). */
void bench_add_context(const bench_machine &m, const std::vector<const mha_impl *> &impls,
                       const std::string &skipped, const std::string &grid, double budget);
/* One line per probed level on stderr. */
void bench_print_probe(const bench_machine &m);
/* Is every byte of K and V (fp32) within the last-level caches of the machine together? */
bool bench_kv_cache_resident(const bench_machine &m, const bench_point &p);

/* layer/IMPL/POINT: mha_layer_forward (projections + attention) on an MHA self-attention point. */
void bench_run_layer_point(benchmark::State &state, const mha_impl *impl, bench_point p);
/* The grid points that get a layer benchmark: Sq == Skv > 1, Hkv == H (nn.MultiheadAttention's case), Dh 64
 * (the layer costs several attention calls; one head size keeps the main job's time). */
bool bench_layer_point(const bench_point &p);

/* breakdown/IMPL/POINT (mha-bench --breakdown): one attention call with the GEMM path's phase clock on
 * (impl/gemm/gemm_phase_clock.h); counters qk_seconds, softmax_seconds, pv_seconds per call. */
void bench_run_breakdown_point(benchmark::State &state, const mha_impl *impl, bench_point p);
/* The implementations of the GEMM path (algorithm "gemm": gemm, gemm_avx2, blas*). */
bool bench_breakdown_impl(const mha_impl *impl);
/* The grid points that get a breakdown: fp32 prefill Sq == Skv > 1, MHA, Dh 64, non-causal (the default
 * grid's baseline sweep at 2 threads and its 1-thread twin). */
bool bench_breakdown_point(const bench_point &p);
/* The breakdown benchmarks (impl/point) whose checked call failed or was wrong, with the reason. */
std::map<std::string, std::string> bench_breakdown_failures();

#endif
