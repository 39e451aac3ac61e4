/*
 * The report's yardsticks: what the machine probe measured (per-ISA peaks,
 * caches, read bandwidth, load), percent of the implementation's own ISA
 * peak, cache-resident decode points, the spread of repetitions, the BLAS
 * core and the peers' versions. Everything comes from the JSON contexts
 * (keys mha_*, README "Machine probe").
 */
#include "report.h"
#include "shapes_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double rep_ctx_number(const rep_machine *m, const char *key)
{
    json_t *v = json_object_get(m->context, key);
    if (json_is_number(v))
        return json_number_value(v);
    if (json_is_string(v) && *json_string_value(v))
        return strtod(json_string_value(v), NULL);
    return NAN;
}

static const char *ctx_text(const rep_machine *m, const char *key)
{
    const char *v = json_string_value(json_object_get(m->context, key));
    return v && *v ? v : NULL;
}

/* The probe level of impl from "naive=sse2,flash_avx2=avx2,blas=-" into buf; 0 when unknown. */
static int impl_level(const rep_machine *m, const char *impl, char *buf, size_t size)
{
    const char *list = ctx_text(m, "mha_impl_isa");
    size_t n = strlen(impl);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > n && strncmp(p, impl, n) == 0 && p[n] == '=') {
            snprintf(buf, size, "%.*s", (int)(len - n - 1), p + n + 1);
            return strcmp(buf, "-") != 0;
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

/* An ISA level's peak for t threads, as bench_isa_peak_gflops does; NAN when not probed. */
static double level_peak(const rep_machine *m, const char *level, int threads)
{
    char k1[96], ka[96];
    snprintf(k1, sizeof k1, "mha_isa_%s_gflops_1", level);
    snprintf(ka, sizeof ka, "mha_isa_%s_gflops_all", level);
    double one = rep_ctx_number(m, k1), all = rep_ctx_number(m, ka);
    if (threads <= 1)
        return one;
    return m->cores && threads >= m->cores ? all : one * threads;
}

double rep_isa_peak_pct(const rep_data *d, const rep_run *r)
{
    const rep_machine *m = &d->machines[r->machine];
    char level[32];
    if (r->error[0] || !impl_level(m, r->impl, level, sizeof level))
        return -1;
    double peak = level_peak(m, level, r->threads);
    return peak > 0 ? 100.0 * rep_gflops(r) / peak : -1;
}

int rep_kv_cache_resident(const rep_data *d, const rep_run *r)
{
    double llc = rep_ctx_number(&d->machines[r->machine], "mha_llc_total_bytes");
    if (!(llc > 0))
        return -1;
    double kv = 2.0 * rep_elem_bytes(r) * (double)r->batch * (double)r->kv_len * (double)r->kv_heads *
                (double)r->head_dim;
    return kv <= llc;
}

void rep_pct_text(double pct, char *buf, size_t size)
{
    snprintf(buf, size, pct > 100.0 ? "%.1f (!)" : "%.1f", pct);
}

void rep_write_peak_note(const rep_data *d, FILE *f)
{
    int over = 0;
    for (int i = 0; i < d->n_runs; i++)
        over |= strcmp(d->runs[i].kind, "attn") == 0 &&
                (rep_peak_pct(d, &d->runs[i]) > 100.0 || rep_isa_peak_pct(d, &d->runs[i]) > 100.0);
    if (!over)
        return;
    fprintf(f, "(!) above 100%%: faster than the probe's best run of the peak loop. The probe's rate is each\n"
               "thread's FLOPs / its own CPU time (best of 5); a kernel can exceed it when the probe ran at a\n"
               "lower clock (turbo, other load: see the probe's median and minimum in the machine table) or\n"
               "uses instructions the probe does not (none in mhalab: every kernel uses fp32 FMAs of a probed\n"
               "level). The figure is printed, not capped.\n\n");
}

static void bytes_or_dash(double v, char *buf, size_t size)
{
    if (isnan(v) || v <= 0)
        snprintf(buf, size, "-");
    else
        rep_bytes_text(v, buf, size);
}

void rep_write_machine_yardsticks(const rep_data *d, FILE *f)
{
    for (int i = 0; i < d->n_machines; i++) {
        const rep_machine *m = &d->machines[i];
        fprintf(f, "### %s: %s, %d cores\n\n", m->label, m->cpu_model[0] ? m->cpu_model : "CPU not named", m->cores);
        static const char *const lv[3] = {"l1d", "l2", "l3"};
        static const char *const names[3] = {"L1d", "L2", "L3"};
        fprintf(f, "Caches (cpu0):");
        for (int c = 0; c < 3; c++) {
            char key[32], b[32];
            snprintf(key, sizeof key, "mha_%s_bytes", lv[c]);
            bytes_or_dash(rep_ctx_number(m, key), b, sizeof b);
            snprintf(key, sizeof key, "mha_%s_source", lv[c]);
            const char *src = ctx_text(m, key);
            fprintf(f, " %s %s%s%s%s", names[c], b, src ? " (" : "", src ? src : "", src ? ")" : "");
        }
        char llc[32], buf[32];
        bytes_or_dash(rep_ctx_number(m, "mha_llc_total_bytes"), llc, sizeof llc);
        bytes_or_dash(rep_ctx_number(m, "mha_read_buffer_bytes"), buf, sizeof buf);
        fprintf(f, "; all L3 together %s. \"assumed\" marks a size no source reported.\n\n", llc);
        const char *levels = ctx_text(m, "mha_isa_levels");
        if (levels) {
            fprintf(f, "| ISA level | loop | 1 core GFLOP/s: best (median, min) | all cores: best (median, min) |\n"
                       "| --- | --- | ---: | ---: |\n");
            char list[256];
            snprintf(list, sizeof list, "%s", levels);
            const char *widest = ctx_text(m, "mha_peak_loop");
            for (char *save = NULL, *lvl = strtok_r(list, ",", &save); lvl; lvl = strtok_r(NULL, ",", &save)) {
                char k[96];
                double v[6];
                static const char *const sfx[6] = {"1", "1_median", "1_min", "all", "all_median", "all_min"};
                for (int s = 0; s < 6; s++) {
                    snprintf(k, sizeof k, "mha_isa_%s_gflops_%s", lvl, sfx[s]);
                    v[s] = rep_ctx_number(m, k);
                }
                snprintf(k, sizeof k, "mha_isa_%s_op", lvl);
                const char *op = ctx_text(m, k);
                int is_widest = widest && strcmp(widest, lvl) == 0;
                fprintf(f, "| %s%s | %s | %.1f (%.1f, %.1f) | %.1f (%.1f, %.1f) |\n", lvl,
                        is_widest ? " (machine peak)" : "", op ? op : "-", v[0], v[1], v[2], v[3], v[4], v[5]);
            }
            fprintf(f, "\n");
        } else {
            fprintf(f, "No per-ISA peaks in this file (a probe older than this report); machine peak %.1f / "
                       "%.1f GFLOP/s.\n\n", m->peak_gflops_1, m->peak_gflops_all);
        }
        double bw1 = rep_ctx_number(m, "mha_read_gbs_1");
        if (!isnan(bw1))
            fprintf(f, "Read bandwidth (buffer %s): %.1f GB/s on 1 thread (slowest pass %.1f), %.1f on all (%.1f).\n",
                    buf, bw1, rep_ctx_number(m, "mha_read_gbs_1_min"), m->read_gbs,
                    rep_ctx_number(m, "mha_read_gbs_min"));
        else
            fprintf(f, "Read bandwidth: %.1f GB/s on all threads (no 1-thread figure in this file).\n", m->read_gbs);
        const char *ls = ctx_text(m, "mha_run_load_start"), *le = ctx_text(m, "mha_run_load_end");
        const char *lp = ctx_text(m, "mha_load_start");
        fprintf(f, "Load average (1, 5, 15 min): at the probe %s; at the start of the run %s, at its end %s.\n",
                lp ? lp : "-", ls ? ls : "-", le ? le : "-");
        const char *core = ctx_text(m, "mha_openblas_core"), *cfg = ctx_text(m, "mha_openblas_config");
        const char *env = ctx_text(m, "mha_openblas_coretype");
        if (core || cfg)
            fprintf(f, "OpenBLAS: kernels for core %s (%s); OPENBLAS_CORETYPE %s.\n", core ? core : "?",
                    cfg ? cfg : "?", env ? env : "not set");
        const char *score = ctx_text(m, "mha_scipy_openblas_core"), *scfg = ctx_text(m, "mha_scipy_openblas_config");
        if (score || scfg)
            fprintf(f, "OpenBLAS from PyPI (blas_scipy): kernels for core %s (%s); OPENBLAS_CORETYPE %s.\n",
                    score ? score : "?", scfg ? scfg : "?", env ? env : "not set");
        const char *mkl = ctx_text(m, "mha_mkl_version"), *mkl_cpu = ctx_text(m, "mha_mkl_processor");
        if (mkl)
            fprintf(f, "oneMKL (blas_mkl): %s; code path for %s.\n", mkl, mkl_cpu ? mkl_cpu : "?");
        const char *peers[] = {"mha_peer_torch", "mha_peer_onnxruntime"};
        for (int p = 0; p < 2; p++) {
            const char *v = ctx_text(m, peers[p]);
            if (v)
                fprintf(f, "Peer: %s.\n", v);
        }
        const char *took = ctx_text(m, "mha_run_benchmark_seconds");
        if (took)
            fprintf(f, "Benchmark time (tools/run-bench.sh, from its start %s s in all): %s.\n",
                    ctx_text(m, "mha_run_seconds") ? ctx_text(m, "mha_run_seconds") : "?", took);
        const char *skipped = ctx_text(m, "mha_run_peers_skipped");
        if (skipped)
            fprintf(f, "Peers skipped: %s.\n", skipped);
        fprintf(f, "\n");
    }
}

void rep_write_decode(const rep_data *d, FILE *f)
{
    int any = 0;
    for (int i = 0; i < d->n_runs; i++)
        any |= strcmp(d->runs[i].kind, "attn") == 0 && d->runs[i].q_len == 1;
    if (!any) {
        fprintf(f, "(no data)\n\n");
        return;
    }
    fprintf(f, "GB/s of Q, K, V and O moved (median). LLC: K and V together fit in the last-level caches, so the\n"
               "point reads them from cache, not memory, and is not compared with the read bandwidth; other\n"
               "points show their GB/s as a percentage of the measured read bandwidth for the thread count.\n\n");
    fprintf(f, "| point | K+V |");
    for (int s = 0; s < d->n_series; s++)
        fprintf(f, " %s |", d->series[s].label);
    fprintf(f, "\n| --- | ---: |");
    for (int s = 0; s < d->n_series; s++)
        fprintf(f, " ---: |");
    fprintf(f, "\n");
    const rep_run *prev = NULL;
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *r = &d->runs[i];
        if (strcmp(r->kind, "attn") != 0 || r->q_len != 1 || (prev && rep_same_point(prev, r)))
            continue;
        prev = r;
        char label[160], kv[32];
        rep_point_label(r, label, sizeof label);
        rep_bytes_text(2.0 * rep_elem_bytes(r) * (double)r->batch * (double)r->kv_len * (double)r->kv_heads *
                           (double)r->head_dim, kv, sizeof kv);
        fprintf(f, "| %s | %s |", label, kv);
        for (int s = 0; s < d->n_series; s++) {
            const rep_run *c = NULL;
            for (int j = 0; j < d->n_runs && !c; j++)
                if (d->runs[j].series == s && strcmp(d->runs[j].kind, "attn") == 0 && rep_same_point(&d->runs[j], r))
                    c = &d->runs[j];
            if (!c) {
                fprintf(f, " - |");
                continue;
            }
            if (c->error[0]) {
                fprintf(f, " %s |", strncmp(c->error, "skipped", 7) == 0 ? "skip" : "FAIL");
                continue;
            }
            const rep_machine *m = &d->machines[c->machine];
            double bw = c->threads <= 1 ? rep_ctx_number(m, "mha_read_gbs_1") : m->read_gbs;
            int res = rep_kv_cache_resident(d, c);
            if (res == 1)
                fprintf(f, " %.1f LLC |", rep_gbs(c));
            else if (bw > 0)
                fprintf(f, " %.1f (%.0f%%)%s |", rep_gbs(c), 100.0 * rep_gbs(c) / bw,
                        rep_gbs(c) > bw ? " (!)" : "");
            else
                fprintf(f, " %.1f |", rep_gbs(c));
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n");
}

void rep_write_spread(const rep_data *d, FILE *f)
{
    int n = 0, timed = 0, single = 0;
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *r = &d->runs[i];
        if (r->error[0])
            continue;
        timed++;
        single += r->reps < 2;
        if (rep_spread(r) <= REPORT_WIDE_SPREAD)
            continue;
        if (!n++)
            fprintf(f, "| implementation | point | repetitions | median | fastest | slowest | spread |\n"
                       "| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
        char label[160];
        rep_point_label(r, label, sizeof label);
        fprintf(f, "| %s | %s | %d | %.4g ms | %.4g ms | %.4g ms | %.0f%% |\n", d->series[r->series].label, label,
                r->reps, r->seconds * 1e3, r->min_seconds * 1e3, r->max_seconds * 1e3, 100.0 * rep_spread(r));
    }
    fprintf(f, "%d of %d timed points have a spread (slowest - fastest) / median above %.0f%%%s.", n, timed,
            100.0 * REPORT_WIDE_SPREAD, n ? " (listed above): compare them with care" : "");
    if (single)
        fprintf(f, " %d point(s) have a single repetition (no spread known).", single);
    fprintf(f, "\n\n");
}
