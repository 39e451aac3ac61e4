// layer/IMPL/POINT: mha_layer_forward timed on the grid's MHA self-attention points; see bench_parts.h.
#include "bench_parts.h"

#include "layer_check.h"
#include "shapes_math.h"

#include <cmath>
#include <random>
#include <map>
#include <string>

bool bench_layer_point(const bench_point &p)
{
    return p.q_len == p.kv_len && p.q_len > 1 && p.kv_heads == p.heads && p.head_dim == 64;
}

void bench_run_layer_point(benchmark::State &state, const mha_impl *impl, bench_point p)
{
    const int64_t d = p.heads * p.head_dim;
    // x uniform in [-1, 1), weights uniform in [-1, 1) / sqrt(D): projections of the size of x.
    std::mt19937 gen(1);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const float w_scale = 1.0f / std::sqrt((float)d);
    std::vector<float> x((size_t)(p.batch * p.q_len * d)), y(x.size());
    std::vector<float> w[4];
    for (auto &m : w) {
        m.resize((size_t)(d * d));
        for (float &v : m)
            v = u(gen) * w_scale;
    }
    for (float &v : x)
        v = u(gen);
    const mha_layer layer = {d, p.heads, p.kv_heads, w[0].data(), w[1].data(), w[2].data(), w[3].data()};
    mha_layer_args args = {};
    args.batch = p.batch;
    args.seq_len = p.q_len;
    args.x = x.data();
    args.y = y.data();
    args.causal = p.causal;
    args.threads = p.threads;
    // One untimed call per benchmark (not per repetition) says whether the layer runs at all and
    // computes the right thing; its verdict holds for every repetition.
    static std::map<std::string, std::string> verdict;  // impl and point -> "" or the error
    char point[160];
    bench_point_name(&p, point, sizeof point);
    const std::string key = std::string(impl->name) + "/" + point;
    auto known = verdict.find(key);
    if (known == verdict.end()) {
        // The untimed call's output is checked against the layer in double precision (layer_check.h).
        mha_status st = mha_layer_forward(impl, &layer, &args);
        char msg[400] = "";
        std::string why;
        if (st != MHA_OK)
            why = std::string("mha_layer_forward failed: ") + mha_status_str(st) + ": " + mha_last_error();
        else if (bench_layer_check(&layer, &args, y.data(), msg, sizeof msg) != 0)
            why = std::string("wrong output, not timed: ") + msg;
        known = verdict.emplace(key, why).first;
    }
    if (!known->second.empty()) {
        state.SkipWithError(known->second.c_str());
        return;
    }
    for (auto _ : state) {
        mha_layer_forward(impl, &layer, &args);
        benchmark::ClobberMemory();
    }
    const double flops = shapes_attention_flops(p.batch, p.heads, p.q_len, p.kv_len, p.head_dim, p.causal) +
                         shapes_projection_flops(p.batch, p.q_len, p.heads, p.kv_heads, p.head_dim);
    state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}
