// mha-bench's JSON context (keys mha_*) and the probe summary; see bench_parts.h.
#include "bench_parts.h"

#include "bench_config.h"
#include "bench_version.h"
#include "emulator.h"

#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>

namespace {

std::string fmt(double v, const char *f = "%.2f")
{
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

void ctx(const std::string &key, const std::string &value)
{
    benchmark::AddCustomContext(key, value);
}

// Each BLAS the process has loaded (the blas* implementations): OpenBLAS's
// kernel core and build, for Debian's (blas) and PyPI's scipy_-prefixed one
// (blas_scipy), and oneMKL's version and code path (blas_mkl). Looked up by
// name so that a build without a backend needs nothing.
void openblas_context(const char *prefix, const std::string &key)
{
    typedef char *text_fn(void);
    const std::string p = prefix;
    text_fn *core = (text_fn *)dlsym(RTLD_DEFAULT, (p + "openblas_get_corename").c_str());
    text_fn *config = (text_fn *)dlsym(RTLD_DEFAULT, (p + "openblas_get_config").c_str());
    if (core)
        ctx(key + "_core", core());
    if (config)
        ctx(key + "_config", config());
}

// The public layout of oneMKL's MKLVersion (mkl_types.h).
struct mkl_version {
    int major, minor, update;
    char *status, *build, *processor, *platform;
};

void mkl_context()
{
    typedef void version_string_fn(char *, int);
    typedef void version_fn(mkl_version *);
    version_string_fn *text = (version_string_fn *)dlsym(RTLD_DEFAULT, "MKL_Get_Version_String");
    version_fn *version = (version_fn *)dlsym(RTLD_DEFAULT, "MKL_Get_Version");
    if (!text || !version)
        return;
    char b[256];
    text(b, (int)sizeof b);
    mkl_version v;
    version(&v);
    ctx("mha_mkl_version", b);
    ctx("mha_mkl_processor", v.processor ? v.processor : "?");
}

void blas_context()
{
    openblas_context("", "mha_openblas");
    openblas_context("scipy_", "mha_scipy_openblas");
    mkl_context();
    const char *env = std::getenv("OPENBLAS_CORETYPE");
    ctx("mha_openblas_coretype", env && *env ? env : "not set");
}

}  // namespace

bool bench_kv_cache_resident(const bench_machine &m, const bench_point &p)
{
    const double kv = 2.0 * 4.0 * (double)p.batch * (double)p.kv_len * (double)p.kv_heads * (double)p.head_dim;
    return m.llc_total_bytes > 0 && kv <= (double)m.llc_total_bytes;
}

void bench_print_probe(const bench_machine &m)
{
    std::fprintf(stderr, "mha-bench: %s, %d cores; L1d %ld (%s), L2 %ld (%s), L3 %ld B (%s), all L3 %ld B\n",
                 m.cpu_model, m.cores, m.cache_bytes[0], m.cache_source[0], m.cache_bytes[1], m.cache_source[1],
                 m.cache_bytes[2], m.cache_source[2], m.llc_total_bytes);
    for (int i = 0; i < m.n_isa; i++) {
        const bench_isa_peak &p = m.isa[i];
        std::fprintf(stderr, "mha-bench: peak %-11s %-29s %7.1f GFLOP/s on 1 core (median %.1f), %7.1f on %d%s\n",
                     p.isa, p.op, p.gflops_1, p.median_1, p.gflops_all, m.cores,
                     i == m.widest ? "  <- the machine's fp32 peak" : "");
    }
    std::fprintf(stderr, "mha-bench: read bandwidth %.1f GB/s on 1 thread, %.1f on %d (buffer %ld MiB)\n",
                 m.read_gbs_1, m.read_gbs, m.cores, m.read_buffer_bytes >> 20);
}

void bench_add_context(const bench_machine &m, const std::vector<const mha_impl *> &impls,
                       const std::string &skipped, const std::string &grid, double budget)
{
    char feats[128];
    std::string names, isas;
    for (const mha_impl *i : impls) {
        names += (names.empty() ? "" : ",") + std::string(i->name);
        const char *level = bench_isa_level(i->isa);
        isas += (isas.empty() ? "" : ",") + std::string(i->name) + "=" + (level ? level : "-");
    }
    ctx("mha_version", MHA_VERSION_STRING);
    ctx("mha_git_commit", MHA_BENCH_GIT_COMMIT);
    ctx("mha_grid", grid);
    ctx("mha_budget_seconds", fmt(budget, "%g"));
    ctx("mha_impls", names);
    ctx("mha_impl_isa", isas);
    ctx("mha_impls_skipped", skipped);
    ctx("mha_arch", bench_build_arch());
    ctx("mha_cpu_model", m.cpu_model);
    ctx("mha_cpu_features", mha_cpu_feature_names(mha_cpu_detected(), feats, sizeof feats));
    ctx("mha_cores", std::to_string(m.cores));
    static const char *const levels[3] = {"l1d", "l2", "l3"};
    for (int i = 0; i < 3; i++) {
        ctx(std::string("mha_") + levels[i] + "_bytes", std::to_string(m.cache_bytes[i]));
        ctx(std::string("mha_") + levels[i] + "_source", m.cache_source[i] ? m.cache_source[i] : "not probed");
    }
    ctx("mha_llc_total_bytes", std::to_string(m.llc_total_bytes));
    std::string levels_list;
    for (int i = 0; i < m.n_isa; i++) {
        const bench_isa_peak &p = m.isa[i];
        levels_list += (levels_list.empty() ? "" : ",") + std::string(p.isa);
        const std::string k = std::string("mha_isa_") + p.isa;
        ctx(k + "_op", p.op);
        ctx(k + "_gflops_1", fmt(p.gflops_1));
        ctx(k + "_gflops_1_min", fmt(p.min_1));
        ctx(k + "_gflops_1_median", fmt(p.median_1));
        ctx(k + "_gflops_all", fmt(p.gflops_all));
        ctx(k + "_gflops_all_min", fmt(p.min_all));
        ctx(k + "_gflops_all_median", fmt(p.median_all));
    }
    ctx("mha_isa_levels", levels_list);
    ctx("mha_peak_loop", m.n_isa ? m.isa[m.widest].isa : "not probed");
    ctx("mha_peak_gflops_1", fmt(m.peak_gflops_1));
    ctx("mha_peak_gflops_all", fmt(m.peak_gflops_all));
    ctx("mha_read_gbs", fmt(m.read_gbs));
    ctx("mha_read_gbs_min", fmt(m.read_min));
    ctx("mha_read_gbs_1", fmt(m.read_gbs_1));
    ctx("mha_read_gbs_1_min", fmt(m.read_min_1));
    ctx("mha_read_buffer_bytes", std::to_string(m.read_buffer_bytes));
    ctx("mha_load_start", fmt(m.load_start[0]) + " " + fmt(m.load_start[1]) + " " + fmt(m.load_start[2]));
    blas_context();
    ctx("mha_c_compiler", MHA_BENCH_C_COMPILER);
    ctx("mha_cxx_compiler", MHA_BENCH_CXX_COMPILER " (" __VERSION__ ")");
    ctx("mha_build", MHA_BENCH_BUILD);
    ctx("mha_c_args", MHA_BENCH_C_ARGS);
    ctx("mha_benchmark_version", MHA_BENCH_BENCHMARK_VERSION);
    ctx("mha_openmp", MHA_BENCH_OPENMP);
    ctx("mha_flops_rule", "4*B*H*Dh per visible (query, key) pair");
    ctx("mha_check_rule", "float64 reference, |O - ref| <= u*(2*Dh^1.5 + 2*Skv + 16), u = 2^-24");
}
