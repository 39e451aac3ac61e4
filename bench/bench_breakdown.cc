// breakdown/IMPL/POINT: one attention call of a GEMM-path implementation with its phase clock on; see
// bench_parts.h and docs/benchmarks.md ("GEMM-path breakdown").
#include "bench_parts.h"

#include "impl/gemm/gemm_phase_clock.h"
#include "refcheck.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

bool bench_breakdown_impl(const mha_impl *impl)
{
    return std::strcmp(impl->algorithm, "gemm") == 0;
}

bool bench_breakdown_point(const bench_point &p)
{
    return p.dtype == MHA_F32 && p.q_len == p.kv_len && p.q_len > 1 && p.kv_heads == p.heads && p.head_dim == 64 &&
           !p.causal;
}

namespace {

std::map<std::string, std::string> verdict;  // impl/point -> "" or why it was not timed

struct FreeDeleter {
    void operator()(void *p) const { std::free(p); }
};

// Inputs of one point, freed at the end of the benchmark.
struct Inputs {
    bench_inputs in{};
    bool made = false;
    ~Inputs()
    {
        if (made)
            bench_inputs_free(&in);
    }
};

}  // namespace

std::map<std::string, std::string> bench_breakdown_failures()
{
    std::map<std::string, std::string> failed;
    for (const auto &v : verdict)
        if (!v.second.empty())
            failed.insert(v);
    return failed;
}

void bench_run_breakdown_point(benchmark::State &state, const mha_impl *impl, bench_point p)
{
    Inputs inputs;
    char msg[320] = "";
    if (bench_inputs_make(&p, &inputs.in, msg, sizeof msg) != 0) {
        state.SkipWithError((std::string("inputs: ") + msg).c_str());
        return;
    }
    inputs.made = true;
    std::vector<float> out(inputs.in.q_elems);
    mha_args args = inputs.in.args;
    args.out = out.data();
    const size_t ws_bytes = mha_workspace_size(impl, &args);
    std::unique_ptr<void, FreeDeleter> ws(ws_bytes ? std::aligned_alloc(64, (ws_bytes + 63) / 64 * 64) : nullptr);
    if (ws_bytes && !ws) {
        state.SkipWithError("workspace allocation failed");
        return;
    }
    args.workspace = ws.get();
    args.workspace_bytes = ws_bytes;

    // The clock's entries: one per thread the call may use.
    std::vector<mha_gemm_phase_times> per_worker((size_t)p.threads);
    mha_gemm_phase_clock clock = {per_worker.data(), p.threads, 0};
    mha_gemm_set_phase_clock(&clock);
    // One checked call per benchmark (Google Benchmark runs this function once per repetition, and more to
    // size the loop): a wrong output is not timed, and a call that did not go through mha_gemm_attend
    // (workers 0) has no phases to report. The verdict holds for every later run.
    char point[160];
    bench_point_name(&p, point, sizeof point);
    const std::string key = std::string(impl->name) + "/" + point;
    auto known = verdict.find(key);
    if (known == verdict.end()) {
        mha_status st = mha_attention(impl, &args);
        std::string why;
        if (st != MHA_OK)
            why = std::string("mha_attention failed: ") + mha_status_str(st) + ": " + mha_last_error();
        else if (bench_check_output(&inputs.in, out.data(), msg, sizeof msg) != 0)
            why = msg;
        else if (clock.workers == 0)
            why = std::string(impl->name) + " did not time its phases (not the GEMM path's mha_gemm_attend)";
        known = verdict.emplace(key, why).first;
    }
    if (!known->second.empty()) {
        mha_gemm_set_phase_clock(nullptr);
        state.SkipWithError(known->second.c_str());
        return;
    }
    for (mha_gemm_phase_times &t : per_worker)
        t = mha_gemm_phase_times{};
    int workers = 0;
    for (auto _ : state) {
        mha_attention(impl, &args);
        benchmark::ClobberMemory();
        workers = clock.workers > workers ? clock.workers : workers;
    }
    mha_gemm_set_phase_clock(nullptr);

    // Each phase: the mean over the workers of their seconds in it, per call. The call's time minus their sum is
    // the rest (the report's "other").
    double scores = 0, softmax = 0, values = 0;
    for (const mha_gemm_phase_times &t : per_worker) {
        scores += t.scores;
        softmax += t.softmax;
        values += t.values;
    }
    using C = benchmark::Counter;
    const double per_call = workers > 0 ? 1.0 / workers : 0.0;
    state.counters["qk_seconds"] = C(scores * per_call, C::kAvgIterations);
    state.counters["softmax_seconds"] = C(softmax * per_call, C::kAvgIterations);
    state.counters["pv_seconds"] = C(values * per_call, C::kAvgIterations);
    state.counters["workers"] = C((double)workers);
}
