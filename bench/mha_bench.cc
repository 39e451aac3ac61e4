// mha-bench: every runnable implementation x a named grid of shapes, timed
// with Google Benchmark. See docs/benchmarks.md.
//
//   mha-bench [--grid quick|default|full] [--impl a,b] [--budget SECONDS] [--breakdown]
//             [Google Benchmark flags: --benchmark_out=f.json ...]
//   mha-bench --list-grid NAME [--json]
#include <benchmark/benchmark.h>

#include "bench_parts.h"
#include "emulator.h"
#include "grid.h"
#include "mha.h"
#include "probe.h"
#include "refcheck.h"
#include "shapes_math.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdlib.h>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

struct Options {
    std::string grid = "default";
    std::vector<std::string> impls;  // empty: all runnable
    std::string list_grid;
    std::string family;              // empty: every family of the grid
    bool json = false;
    bool breakdown = false;          // the GEMM path's phase times instead of whole calls
    double budget = -1;              // < 0: the grid's
    bool help = false;
};

bench_machine g_machine;
double g_budget = 0;
std::string g_grid_name;

// The current shape's inputs and reference: registration is shape-major,
// so every implementation of a shape reuses them.
struct ShapeCache {
    int index = -1;
    int status = 0;
    std::string error;
    bench_inputs in{};
    ~ShapeCache() { release(); }
    void release()
    {
        if (index >= 0 && status == 0)
            bench_inputs_free(&in);
        index = -1;
    }
} g_shape;

std::set<std::string> g_checked;                 // benchmark names whose output passed
std::map<std::string, std::string> g_failed;     // benchmark name -> message
std::map<std::string, double> g_last_rate;       // impl/threads -> GFLOP/s last measured
std::map<std::string, double> g_max_error;       // benchmark name -> max abs error of its checked output
std::set<std::string> g_timed;                   // benchmark names timed at least once
std::map<std::string, std::string> g_budget_skips; // benchmark name -> its budget skip message

const bench_inputs *shape_inputs(int index, const bench_point &p, std::string *err)
{
    if (g_shape.index != index) {
        g_shape.release();
        char msg[256] = "";
        g_shape.status = bench_inputs_make(&p, &g_shape.in, msg, sizeof msg);
        g_shape.error = msg;
        g_shape.index = index;
    }
    if (g_shape.status != 0) {
        *err = g_shape.error;
        return nullptr;
    }
    return &g_shape.in;
}

struct AlignedFree {
    void operator()(void *p) const { std::free(p); }
};

std::unique_ptr<void, AlignedFree> aligned_buffer(size_t bytes)
{
    size_t rounded = (bytes + 63) / 64 * 64;
    return std::unique_ptr<void, AlignedFree>(rounded ? aligned_alloc(64, rounded) : nullptr);
}

void run_point(benchmark::State &state, const mha_impl *impl, int index, bench_point p, std::string name)
{
    const double flops = shapes_attention_flops(p.batch, p.heads, p.q_len, p.kv_len, p.head_dim, p.causal);
    // Q, K, V and O counted at the inputs' element size (out is fp32: a slight undercount for bf16 and fp16)
    const double bytes = shapes_attention_bytes(p.batch, p.heads, p.kv_heads, p.q_len, p.kv_len, p.head_dim) *
                         (double)mha_dtype_size((mha_dtype)p.dtype) / 4.0;
    const std::string rate_key = std::string(impl->name) + "/" + std::to_string(p.threads);

    // The workspace is a property of the shape: a skipped point reports it in
    // its message (Google Benchmark drops the counters of error entries).
    const mha_shape shape = {p.batch, p.heads, p.kv_heads, p.q_len, p.kv_len, p.head_dim};
    const double ws_size = impl->workspace ? (double)impl->workspace(&shape, p.threads, 0) : 0.0;
    // Decided on the first repetition only: Google Benchmark requires every
    // repetition of a benchmark to run (or skip) alike, and with random
    // interleaving the rate known at a later repetition may differ.
    auto decided = g_budget_skips.find(name);
    if (decided != g_budget_skips.end()) {
        state.SkipWithError(decided->second.c_str());
        return;
    }
    auto known = g_last_rate.find(rate_key);
    if (!g_timed.count(name) && known != g_last_rate.end() && flops / (known->second * 1e9) > g_budget) {
        char msg[320];
        std::snprintf(msg, sizeof msg,
                      "skipped: one call would take ~%.2g s at %s's last measured %.2f GFLOP/s, over the %s "
                      "grid's %g s budget (--budget) [workspace %.0f B]",
                      flops / (known->second * 1e9), impl->name, known->second, g_grid_name.c_str(), g_budget,
                      ws_size);
        g_budget_skips[name] = msg;
        state.SkipWithError(msg);
        return;
    }
    std::string err;
    const bench_inputs *in = shape_inputs(index, p, &err);
    if (!in) {
        state.SkipWithError(("inputs: " + err).c_str());
        return;
    }
    std::vector<float> out(in->q_elems);
    mha_args args = in->args;
    args.out = out.data();
    const size_t ws_bytes = mha_workspace_size(impl, &args);
    auto ws = aligned_buffer(ws_bytes);
    if (ws_bytes && !ws) {
        state.SkipWithError("workspace allocation failed");
        return;
    }
    args.workspace = ws.get();
    args.workspace_bytes = ws_bytes;

    if (!g_checked.count(name)) {
        auto f = g_failed.find(name);
        if (f != g_failed.end()) {
            state.SkipWithError(f->second.c_str());
            return;
        }
        mha_status st = mha_attention(impl, &args);
        char msg[320];
        if (st != MHA_OK)
            std::snprintf(msg, sizeof msg, "mha_attention failed: %s: %s", mha_status_str(st), mha_last_error());
        if (st != MHA_OK || bench_check_output(in, out.data(), msg, sizeof msg) != 0) {
            g_failed[name] = msg;
            state.SkipWithError(msg);
            return;
        }
        g_checked.insert(name);
        g_max_error[name] = bench_output_error(in, out.data());
    }

    auto t0 = std::chrono::steady_clock::now();
    for (auto _ : state) {
        mha_attention(impl, &args);
        benchmark::ClobberMemory();
    }
    // The same wall-clock interval Google Benchmark measures for real_time.
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double gflops = seconds > 0 ? flops * (double)state.iterations() / seconds * 1e-9 : 0;
    if (gflops > 0)
        g_last_rate[rate_key] = gflops;
    g_timed.insert(name);

    using C = benchmark::Counter;
    const double peak = bench_peak_gflops(&g_machine, p.threads);
    const double isa_peak = bench_isa_peak_gflops(&g_machine, bench_isa_level(impl->isa), p.threads);
    state.counters["FLOP/s"] = C(flops, C::kIsIterationInvariantRate);
    state.counters["bytes/s"] = C(bytes, C::kIsIterationInvariantRate);
    if (peak > 0)
        state.counters["peak%"] = C(100.0 * gflops / peak);
    if (isa_peak > 0)
        state.counters["isa_peak%"] = C(100.0 * gflops / isa_peak);
    if ((peak > 0 && gflops > peak) || (isa_peak > 0 && gflops > isa_peak))
        state.SetLabel("above 100% of the probe's peak: the probe ran slower (clock, load) than this point; "
                       "see the report's machine table");
    state.counters["kv_cache_resident"] = C(bench_kv_cache_resident(g_machine, p) ? 1.0 : 0.0);
    state.counters["workspace"] = C((double)ws_bytes, C::kDefaults, C::kIs1024);
    // accuracy against the float64 reference (refcheck.h), for the report's accuracy-against-speed table
    state.counters["max_abs_error"] = C(g_max_error[name]);
    state.counters["error_bound"] = C(in->tolerance);
}

void usage(FILE *f)
{
    std::fprintf(f,
                 "usage: mha-bench [--grid NAME] [--family F] [--impl a,b,...] [--budget SECONDS] [--breakdown]\n"
                 "                 [benchmark flags]\n"
                 "       mha-bench --list-grid NAME [--json]\n\n"
                 "Times every runnable implementation on every point of a grid (%s).\n"
                 "  --grid NAME       which grid (default: default)\n"
                 "  --family F        only the grid's points of family F (head_dim, causal, gqa, threads,\n"
                 "                    decode, ...: the first column of --list-grid)\n"
                 "  --impl a,b        only these implementations (names from `mha list`)\n"
                 "  --budget S        skip a point when the implementation's last measured rate says one\n"
                 "                    call would take longer than S seconds (default: the grid's)\n"
                 "  --breakdown       instead of whole calls: the GEMM path's implementations (gemm, gemm_avx2,\n"
                 "                    blas*) on the grid's fp32 MHA Dh 64 non-causal prefill points, each call's\n"
                 "                    time split into QK^T, softmax and PV (breakdown/IMPL/POINT)\n"
                 "  --list-grid NAME  print the grid's points and exit (--json: as JSON, for peer scripts)\n"
                 "Every Google Benchmark flag works too (--benchmark_filter, --benchmark_out=FILE,\n"
                 "--benchmark_out_format=json, --benchmark_repetitions, --benchmark_min_time, ...);\n"
                 "without --benchmark_min_time or --benchmark_repetitions the grid's defaults are used.\n"
                 "Each mha_layer_forward point (layer/...) uses the best implementation (mha_impl_best).\n"
                 "Environment: MHA_BENCH_ALLOW_EMULATOR=1 times even under an emulator (meaningless numbers).\n",
                 bench_grid_names());
}

// Removes this program's flags from argv (Google Benchmark rejects unknown ones).
int parse_own_flags(int *argc, char **argv, Options *o)
{
    int w = 1;
    for (int i = 1; i < *argc; i++) {
        std::string a = argv[i];
        auto value = [&](const char *flag, std::string *dst) -> int {
            std::string f = flag;
            if (a == f) {
                if (i + 1 >= *argc) {
                    std::fprintf(stderr, "mha-bench: %s needs a value\n", flag);
                    return -1;
                }
                *dst = argv[++i];
                return 1;
            }
            if (a.rfind(f + "=", 0) == 0) {
                *dst = a.substr(f.size() + 1);
                return 1;
            }
            return 0;
        };
        std::string v;
        int r;
        if ((r = value("--grid", &o->grid)) != 0) {
            if (r < 0) return -1;
        } else if ((r = value("--family", &o->family)) != 0) {
            if (r < 0) return -1;
        } else if ((r = value("--list-grid", &o->list_grid)) != 0) {
            if (r < 0) return -1;
        } else if ((r = value("--impl", &v)) != 0) {
            if (r < 0) return -1;
            size_t start = 0;
            while (start <= v.size()) {
                size_t comma = v.find(',', start);
                std::string one = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                if (!one.empty())
                    o->impls.push_back(one);
                if (comma == std::string::npos)
                    break;
                start = comma + 1;
            }
        } else if ((r = value("--budget", &v)) != 0) {
            if (r < 0) return -1;
            char *end;
            o->budget = std::strtod(v.c_str(), &end);
            if (*end || !(o->budget > 0)) {
                std::fprintf(stderr, "mha-bench: --budget %s: expected a positive number of seconds\n", v.c_str());
                return -1;
            }
        } else if (a == "--json") {
            o->json = true;
        } else if (a == "--breakdown") {
            o->breakdown = true;
        } else {
            if (a == "--help" || a == "-h")
                o->help = true;
            argv[w++] = argv[i];
        }
    }
    *argc = w;
    argv[w] = nullptr;
    return 0;
}

std::string fmt(double v, const char *f = "%.2f")
{
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

// Wall time, microseconds, and min / max beside Google Benchmark's mean, median, stddev, cv.
void add_statistics(benchmark::internal::Benchmark *b)
{
    b->UseRealTime()
        ->Unit(benchmark::kMicrosecond)
        ->ComputeStatistics("min", [](const std::vector<double> &v) { return *std::min_element(v.begin(), v.end()); })
        ->ComputeStatistics("max", [](const std::vector<double> &v) { return *std::max_element(v.begin(), v.end()); });
}

}  // namespace

int main(int argc, char **argv)
{
    Options o;
    if (parse_own_flags(&argc, argv, &o) != 0)
        return 2;
    if (o.help) {
        usage(stdout);
        std::printf("\nGoogle Benchmark's flags:\n");
        std::fflush(stdout);
        benchmark::Initialize(&argc, argv); // prints its flags and exits
        return 0;
    }
    if (!o.list_grid.empty()) {
        if (!bench_grid_find(o.list_grid.c_str())) {
            std::fprintf(stderr, "mha-bench: --list-grid %s: expected one of %s\n", o.list_grid.c_str(),
                         bench_grid_names());
            return 2;
        }
        if (o.json)
            return bench_grid_print_json(o.list_grid.c_str(), stdout) == 0 ? 0 : 1;
        bench_point *pts = nullptr;
        int n = bench_grid_points(o.list_grid.c_str(), &pts);
        for (int i = 0; i < n; i++) {
            char nm[160];
            bench_point_name(&pts[i], nm, sizeof nm);
            std::printf("%-9s %s\n", pts[i].family, nm);
        }
        std::free(pts);
        return 0;
    }
    const bench_grid_info *grid = bench_grid_find(o.grid.c_str());
    if (!grid) {
        std::fprintf(stderr, "mha-bench: --grid %s: expected one of %s\n", o.grid.c_str(), bench_grid_names());
        return 2;
    }
    g_grid_name = grid->name;
    g_budget = o.budget > 0 ? o.budget : grid->budget_seconds;

    // Which implementations: the registry's runnable ones, or those named.
    std::vector<const mha_impl *> impls;
    std::string skipped;
    char why[160];
    for (const std::string &n : o.impls)
        if (!mha_impl_find(n.c_str())) {
            std::string all;
            for (size_t i = 0; i < mha_impl_count(); i++)
                all += (i ? ", " : "") + std::string(mha_impl_get(i)->name);
            std::fprintf(stderr, "mha-bench: --impl %s: not in this build; expected one of %s\n", n.c_str(),
                         all.c_str());
            return 2;
        }
    for (size_t i = 0; i < mha_impl_count(); i++) {
        const mha_impl *impl = mha_impl_get(i);
        bool wanted = o.impls.empty();
        for (const std::string &n : o.impls)
            wanted |= n == impl->name;
        if (!wanted)
            continue;
        if (!mha_impl_runnable(impl, why, sizeof why)) {
            std::fprintf(stderr, "mha-bench: skipping %s: %s\n", impl->name, why);
            skipped += (skipped.empty() ? "" : "; ") + std::string(impl->name) + ": " + why;
            continue;
        }
        impls.push_back(impl);
    }

    // Default min_time and repetitions of the grid unless the user chose them.
    bool has_min_time = false, has_reps = false;
    for (int i = 1; i < argc; i++) {
        has_min_time |= std::strncmp(argv[i], "--benchmark_min_time", 20) == 0;
        has_reps |= std::strncmp(argv[i], "--benchmark_repetitions", 23) == 0;
    }
    std::vector<char *> args(argv, argv + argc);
    std::string min_time_flag = "--benchmark_min_time=" + fmt(grid->min_time, "%g");
    std::string reps_flag = "--benchmark_repetitions=" + std::to_string(grid->repetitions);
    if (!has_min_time)
        args.push_back(&min_time_flag[0]);
    if (!has_reps)
        args.push_back(&reps_flag[0]);
    int n_args = (int)args.size();
    args.push_back(nullptr);

    bool listing = false;
    for (int i = 1; i < n_args; i++)
        listing |= std::strncmp(args[i], "--benchmark_list_tests", 22) == 0 && std::strstr(args[i], "=false") == nullptr;
    if (!listing && !o.help) {
        char ev[400];
        const char *allow = std::getenv("MHA_BENCH_ALLOW_EMULATOR");
        if (bench_emulated(ev, sizeof ev) && !(allow && std::strcmp(allow, "1") == 0)) {
            std::fprintf(stderr,
                         "mha-bench: refusing to run under an emulator: %s.\n"
                         "Timings there measure the emulator, not the code. Run on the real machine, or set\n"
                         "MHA_BENCH_ALLOW_EMULATOR=1 to time anyway.\n",
                         ev);
            return 3;
        }
        bench_probe_machine(&g_machine);
        bench_print_probe(g_machine);
    }

    bench_point *pts = nullptr;
    int n = bench_grid_points(grid->name, &pts);
    const mha_impl *layer_impl = mha_impl_best();
    std::set<std::string> families;
    int registered = 0, breakdowns = 0;
    for (int i = 0; i < n; i++) {
        families.insert(pts[i].family);
        if (!o.family.empty() && o.family != pts[i].family)
            continue;
        registered++;
        char pn[160];
        bench_point_name(&pts[i], pn, sizeof pn);
        if (o.breakdown) {
            for (const mha_impl *impl : impls)
                if (bench_breakdown_impl(impl) && bench_breakdown_point(pts[i])) {
                    std::string name = std::string("breakdown/") + impl->name + "/" + pn;
                    add_statistics(
                        benchmark::RegisterBenchmark(name.c_str(), bench_run_breakdown_point, impl, pts[i]));
                    breakdowns++;
                }
            continue;
        }
        for (const mha_impl *impl : impls) {
            // a bf16 or fp16 point: only the implementations that declare that input dtype (out fp32)
            const uint32_t dtypes = impl->dtypes ? impl->dtypes : (uint32_t)MHA_IO_F32;
            if (!(dtypes & mha_dtype_combo((mha_dtype)pts[i].dtype, MHA_F32)))
                continue;
            std::string name = std::string("attn/") + impl->name + "/" + pn;
            add_statistics(benchmark::RegisterBenchmark(name.c_str(), run_point, impl, i, pts[i], name));
        }
        if (pts[i].dtype == MHA_F32 && bench_layer_point(pts[i])) {
            std::string name = std::string("layer/") + layer_impl->name + "/" + pn;
            add_statistics(benchmark::RegisterBenchmark(name.c_str(), bench_run_layer_point, layer_impl, pts[i]));
        }
    }
    std::free(pts);
    if (!registered) {
        std::string all;
        for (const std::string &f : families)
            all += (all.empty() ? "" : ", ") + f;
        std::fprintf(stderr, "mha-bench: --family %s: the %s grid has no such family; expected one of %s\n",
                     o.family.c_str(), grid->name, all.c_str());
        return 2;
    }

    if (o.breakdown && !breakdowns) {
        std::fprintf(stderr, "mha-bench: --breakdown: nothing to time: it needs an implementation of the GEMM path "
                             "(gemm, gemm_avx2, blas*) and an fp32 MHA Dh 64 non-causal prefill point of the %s "
                             "grid%s\n",
                     grid->name, o.family.empty() ? "" : (" in family " + o.family).c_str());
        return 2;
    }
    bench_add_context(g_machine, impls, skipped, g_grid_name, g_budget);
    benchmark::Initialize(&n_args, args.data());
    if (benchmark::ReportUnrecognizedArguments(n_args, args.data()))
        return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    g_shape.release();
    for (const auto &f : bench_breakdown_failures())
        g_failed["breakdown/" + f.first] = f.second;
    if (!g_failed.empty()) {
        std::fprintf(stderr, "mha-bench: %zu benchmark(s) produced wrong output and were not timed:\n",
                     g_failed.size());
        for (auto &f : g_failed)
            std::fprintf(stderr, "  %s: %s\n", f.first.c_str(), f.second.c_str());
        return 1;
    }
    return 0;
}
