/* Reading benchmark and conformance JSON with jansson; derived numbers. */
#include "report.h"
#include "shapes_math.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* A JSON file, or NULL with "path: cannot open: reason" / "path:line:column: what". */
static json_t *load_json(const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    json_error_t e;
    json_t *root = json_loadf(f, 0, &e);
    fclose(f);
    if (!root)
        snprintf(err, err_size, "%s:%d:%d: malformed JSON: %s", path, e.line, e.column, e.text);
    return root;
}

static double ctx_number(json_t *ctx, const char *key)
{
    json_t *v = json_object_get(ctx, key);
    if (json_is_number(v))
        return json_number_value(v);
    if (json_is_string(v))
        return strtod(json_string_value(v), NULL);
    return 0;
}

static int machine_for(rep_data *d, json_t *ctx, const char *path, char *err, size_t err_size)
{
    const char *host = json_string_value(json_object_get(ctx, "host_name"));
    const char *label = host && *host ? host : base_name(path);
    int m;
    for (m = 0; m < d->n_machines; m++)
        if (strcmp(d->machines[m].label, label) == 0)
            break;
    if (m == d->n_machines) {
        if (m == REPORT_MAX_MACHINES) {
            snprintf(err, err_size, "%s: more than %d machines", path, REPORT_MAX_MACHINES);
            return -1;
        }
        d->n_machines++;
        rep_machine *mm = &d->machines[m];
        memset(mm, 0, sizeof *mm);
        snprintf(mm->label, sizeof mm->label, "%s", label);
        mm->context = json_object();
    }
    rep_machine *mm = &d->machines[m];
    if (json_is_object(ctx))
        json_object_update_missing(mm->context, ctx);
    const char *model = json_string_value(json_object_get(ctx, "mha_cpu_model"));
    if (model && !mm->cpu_model[0])
        snprintf(mm->cpu_model, sizeof mm->cpu_model, "%s", model);
    if (!mm->cores)
        mm->cores = (int)ctx_number(ctx, "mha_cores");
    if (!mm->cores)
        mm->cores = (int)ctx_number(ctx, "num_cpus");
    if (!mm->peak_gflops_1)
        mm->peak_gflops_1 = ctx_number(ctx, "mha_peak_gflops_1");
    if (!mm->peak_gflops_all)
        mm->peak_gflops_all = ctx_number(ctx, "mha_peak_gflops_all");
    if (!mm->read_gbs)
        mm->read_gbs = ctx_number(ctx, "mha_read_gbs");
    return m;
}

/* "attn/IMPL/B:1/H:8/Hkv:8/Sq:128/Skv:128/Dh:64/causal:0/threads:2[/real_time...]" */
static int parse_name(const char *name, rep_run *r)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", name);
    char *save = NULL, *seg = strtok_r(buf, "/", &save);
    if (!seg || (strcmp(seg, "attn") != 0 && strcmp(seg, "layer") != 0))
        return -1;
    snprintf(r->kind, sizeof r->kind, "%s", seg);
    seg = strtok_r(NULL, "/", &save);
    if (!seg)
        return -1;
    snprintf(r->impl, sizeof r->impl, "%s", seg);
    unsigned seen = 0;
    while ((seg = strtok_r(NULL, "/", &save))) {
        char *colon = strchr(seg, ':');
        if (!colon)
            continue;
        *colon = '\0';
        long long v = strtoll(colon + 1, NULL, 10);
        static const char *const keys[] = {"B", "H", "Hkv", "Sq", "Skv", "Dh", "causal", "threads"};
        for (unsigned k = 0; k < 8; k++)
            if (strcmp(seg, keys[k]) == 0) {
                seen |= 1u << k;
                switch (k) {
                case 0: r->batch = v; break;
                case 1: r->heads = v; break;
                case 2: r->kv_heads = v; break;
                case 3: r->q_len = v; break;
                case 4: r->kv_len = v; break;
                case 5: r->head_dim = v; break;
                case 6: r->causal = (int)v; break;
                default: r->threads = (int)v; break;
                }
            }
    }
    if (seen != 0xffu || r->batch <= 0 || r->heads <= 0 || r->kv_heads <= 0 || r->q_len <= 0 || r->kv_len <= 0 ||
        r->head_dim <= 0 || r->threads <= 0)
        return -1;
    return 0;
}

static double unit_seconds(const char *unit)
{
    if (!unit || strcmp(unit, "ns") == 0)
        return 1e-9;
    if (strcmp(unit, "us") == 0)
        return 1e-6;
    if (strcmp(unit, "ms") == 0)
        return 1e-3;
    return 1.0;
}

static rep_run *find_run(rep_data *d, const rep_run *r)
{
    for (int i = 0; i < d->n_runs; i++) {
        rep_run *o = &d->runs[i];
        if (o->machine == r->machine && strcmp(o->impl, r->impl) == 0 && strcmp(o->kind, r->kind) == 0 &&
            rep_same_point(o, r))
            return o;
    }
    return NULL;
}

static int add_run(rep_data *d, const rep_run *r)
{
    rep_run *o = find_run(d, r);
    if (o) {
        rep_stats_add(o, r);   /* another repetition */
        return 0;
    }
    if (d->n_runs == d->cap_runs) {
        int cap = d->cap_runs ? 2 * d->cap_runs : 256;
        rep_run *p = realloc(d->runs, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        d->runs = p;
        d->cap_runs = cap;
    }
    d->runs[d->n_runs++] = *r;
    rep_stats_first(&d->runs[d->n_runs - 1]);
    return 0;
}

int rep_load(rep_data *d, const char *path, char *err, size_t err_size)
{
    json_t *root = load_json(path, err, err_size);
    if (!root)
        return -1;
    json_t *benchmarks = json_object_get(root, "benchmarks");
    if (!json_is_object(root) || !json_is_array(benchmarks)) {
        snprintf(err, err_size, "%s: expected Google Benchmark JSON: an object with a \"benchmarks\" array "
                                "(mha-bench --benchmark_out=FILE --benchmark_out_format=json)", path);
        json_decref(root);
        return -1;
    }
    int m = machine_for(d, json_object_get(root, "context"), path, err, err_size);
    if (m < 0) {
        json_decref(root);
        return -1;
    }
    /* tools/run-bench.sh's run-info.json: facts of the run (load, skipped peers) for its machine */
    if (json_array_size(benchmarks) == 0 &&
        json_is_string(json_object_get(json_object_get(root, "context"), "mha_run_info"))) {
        json_decref(root);
        return 0;
    }
    size_t i;
    json_t *b;
    int used = 0, ignored = 0;
    json_array_foreach(benchmarks, i, b) {
        const char *name = json_string_value(json_object_get(b, "name"));
        const char *run_type = json_string_value(json_object_get(b, "run_type"));
        if (run_type && strcmp(run_type, "aggregate") == 0)
            continue;
        rep_run r;
        memset(&r, 0, sizeof r);
        if (!name || parse_name(name, &r) != 0) {
            ignored++;
            continue;
        }
        r.machine = m;
        r.workspace = -1;
        json_t *ws = json_object_get(b, "workspace");
        if (json_is_number(ws))
            r.workspace = json_number_value(ws);
        if (json_is_true(json_object_get(b, "error_occurred"))) {
            const char *msg = json_string_value(json_object_get(b, "error_message"));
            snprintf(r.error, sizeof r.error, "%s", msg && *msg ? msg : "error");
            /* mha-bench puts a skipped point's workspace in the message: "[workspace 2048 B]" */
            const char *w = msg ? strstr(msg, "[workspace ") : NULL;
            if (w && r.workspace < 0)
                r.workspace = strtod(w + 11, NULL);
        } else {
            json_t *t = json_object_get(b, "real_time");
            if (!json_is_number(t) || json_number_value(t) <= 0) {
                snprintf(err, err_size, "%s: benchmark \"%s\": expected a positive number \"real_time\"", path, name);
                json_decref(root);
                return -1;
            }
            r.seconds = json_number_value(t) * unit_seconds(json_string_value(json_object_get(b, "time_unit")));
        }
        if (add_run(d, &r) != 0) {
            snprintf(err, err_size, "out of memory");
            json_decref(root);
            return -1;
        }
        used++;
    }
    json_decref(root);
    if (ignored)
        fprintf(stderr, "mha report: %s: ignored %d benchmark(s) whose names are not mhalab grid points\n", path,
                ignored);
    if (!used) {
        snprintf(err, err_size, "%s: no mhalab benchmarks in the file (names like attn/IMPL/B:1/H:8/...)", path);
        return -1;
    }
    return 0;
}

/*
 * The JSON of `mha check --json FILE`:
 *   {"passed": bool, "runs": [{"implementation": "naive", "level": "avx2",
 *     "status": "pass|fail|crash|skipped", "note": "...",
 *     "results": [{"case": id, "group": g, "pass": bool, "units": x, ...}]}]}
 * units = the case's max abs error / the plain fp32 algorithm's. Per
 * implementation, over all levels: cases, failed (a crashed run counts one),
 * the largest finite units and its case.
 */
int rep_load_check(rep_data *d, const char *path, char *err, size_t err_size)
{
    json_t *root = load_json(path, err, err_size);
    if (!root)
        return -1;
    json_t *runs = json_object_get(root, "runs");
    if (!json_is_array(runs)) {
        snprintf(err, err_size, "%s: expected the JSON of 'mha check --json FILE': an object with a \"runs\" array",
                 path);
        json_decref(root);
        return -1;
    }
    size_t n = json_array_size(runs), i, j;
    json_t *run, *res;
    d->accuracy = calloc(n ? n : 1, sizeof *d->accuracy);
    if (!d->accuracy) {
        json_decref(root);
        return -1;
    }
    json_array_foreach(runs, i, run) {
        const char *name = json_string_value(json_object_get(run, "implementation"));
        const char *status = json_string_value(json_object_get(run, "status"));
        json_t *results = json_object_get(run, "results");
        if (!name || !json_is_array(results)) {
            snprintf(err, err_size, "%s: runs[%zu]: expected \"implementation\" (string) and \"results\" (array)",
                     path, i);
            json_decref(root);
            return -1;
        }
        if (status && strcmp(status, "skipped") == 0)
            continue;
        rep_accuracy *a = NULL;
        for (int k = 0; k < d->n_accuracy; k++)
            if (strcmp(d->accuracy[k].impl, name) == 0)
                a = &d->accuracy[k];
        if (!a) {
            a = &d->accuracy[d->n_accuracy++];
            snprintf(a->impl, sizeof a->impl, "%s", name);
        }
        if (status && strcmp(status, "crash") == 0)
            a->failed++;
        json_array_foreach(results, j, res) {
            json_t *units = json_object_get(res, "units");
            const char *id = json_string_value(json_object_get(res, "case"));
            a->cases++;
            if (!json_is_true(json_object_get(res, "pass")))
                a->failed++;
            if (json_is_number(units) && json_number_value(units) > a->max_error_units) {
                a->max_error_units = json_number_value(units);
                snprintf(a->worst_case, sizeof a->worst_case, "%s", id ? id : "");
            }
        }
    }
    d->check_file = path;
    json_decref(root);
    return 0;
}

int rep_same_point(const rep_run *a, const rep_run *b)
{
    return a->batch == b->batch && a->heads == b->heads && a->kv_heads == b->kv_heads && a->q_len == b->q_len &&
           a->kv_len == b->kv_len && a->head_dim == b->head_dim && a->causal == b->causal &&
           a->threads == b->threads;
}

/* Table order: attention before layer; prefill before decode; more threads,
 * MHA before GQA, non-causal before causal, Dh, then S. */
static int run_order(const void *pa, const void *pb)
{
    const rep_run *a = pa, *b = pb;
    int c;
    if ((c = strcmp(a->kind, b->kind)) != 0)
        return c;
    if ((a->q_len == 1) != (b->q_len == 1))
        return (a->q_len == 1) - (b->q_len == 1);
    if (a->threads != b->threads)
        return b->threads - a->threads;
    if (a->kv_heads * b->heads != b->kv_heads * a->heads)
        return a->kv_heads * b->heads > b->kv_heads * a->heads ? -1 : 1;
    if (a->causal != b->causal)
        return a->causal - b->causal;
    if (a->head_dim != b->head_dim)
        return a->head_dim < b->head_dim ? -1 : 1;
    if (a->heads != b->heads)
        return a->heads < b->heads ? -1 : 1;
    if (a->batch != b->batch)
        return a->batch < b->batch ? -1 : 1;
    if (a->kv_len != b->kv_len)
        return a->kv_len < b->kv_len ? -1 : 1;
    if (a->q_len != b->q_len)
        return a->q_len < b->q_len ? -1 : 1;
    return a->series - b->series;
}

/* Series order: naive first (the baseline), then by name; machines in file order. */
static int series_order(const void *pa, const void *pb)
{
    const rep_series *a = pa, *b = pb;
    int an = strcmp(a->impl, "naive") == 0, bn = strcmp(b->impl, "naive") == 0;
    if (an != bn)
        return bn - an;
    int c = strcmp(a->impl, b->impl);
    return c ? c : a->machine - b->machine;
}

void rep_finish(rep_data *d)
{
    rep_stats_finish(d);
    d->n_series = 0;
    for (int i = 0; i < d->n_runs; i++) {
        rep_run *r = &d->runs[i];
        int s;
        for (s = 0; s < d->n_series; s++)
            if (d->series[s].machine == r->machine && strcmp(d->series[s].impl, r->impl) == 0)
                break;
        if (s == d->n_series && s < REPORT_MAX_SERIES) {
            rep_series *se = &d->series[d->n_series++];
            snprintf(se->impl, sizeof se->impl, "%s", r->impl);
            se->machine = r->machine;
        }
    }
    qsort(d->series, (size_t)d->n_series, sizeof d->series[0], series_order);
    for (int s = 0; s < d->n_series; s++) {
        rep_series *se = &d->series[s];
        if (d->n_machines > 1)
            snprintf(se->label, sizeof se->label, "%s @ %s", se->impl, d->machines[se->machine].label);
        else
            snprintf(se->label, sizeof se->label, "%s", se->impl);
    }
    for (int i = 0; i < d->n_runs; i++) {
        rep_run *r = &d->runs[i];
        r->series = -1;
        for (int s = 0; s < d->n_series; s++)
            if (d->series[s].machine == r->machine && strcmp(d->series[s].impl, r->impl) == 0)
                r->series = s;
    }
    qsort(d->runs, (size_t)d->n_runs, sizeof d->runs[0], run_order);
}

void rep_free(rep_data *d)
{
    for (int m = 0; m < d->n_machines; m++)
        json_decref(d->machines[m].context);
    free(d->runs);
    free(d->accuracy);
    memset(d, 0, sizeof *d);
}

double rep_flops(const rep_run *r)
{
    double f = shapes_attention_flops(r->batch, r->heads, r->q_len, r->kv_len, r->head_dim, r->causal);
    if (strcmp(r->kind, "layer") == 0)
        f += shapes_projection_flops(r->batch, r->q_len, r->heads, r->kv_heads, r->head_dim);
    return f;
}

double rep_gflops(const rep_run *r)
{
    return r->error[0] || r->seconds <= 0 ? 0 : rep_flops(r) / r->seconds * 1e-9;
}

double rep_gbs(const rep_run *r)
{
    return r->error[0] || r->seconds <= 0
               ? 0
               : shapes_attention_bytes(r->batch, r->heads, r->kv_heads, r->q_len, r->kv_len, r->head_dim) /
                     r->seconds * 1e-9;
}

double rep_peak_pct(const rep_data *d, const rep_run *r)
{
    const rep_machine *m = &d->machines[r->machine];
    double peak = r->threads <= 1 ? m->peak_gflops_1
                  : (m->cores && r->threads >= m->cores) ? m->peak_gflops_all
                                                         : m->peak_gflops_1 * r->threads;
    if (peak <= 0 || r->error[0])
        return -1;
    return 100.0 * rep_gflops(r) / peak;
}

const rep_run *rep_naive_twin(const rep_data *d, const rep_run *r)
{
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *o = &d->runs[i];
        if (o->machine == r->machine && strcmp(o->impl, "naive") == 0 && strcmp(o->kind, r->kind) == 0 &&
            rep_same_point(o, r) && !o->error[0])
            return o;
    }
    return NULL;
}

void rep_point_label(const rep_run *r, char *buf, size_t size)
{
    const char *kv = r->kv_heads == r->heads ? "MHA" : r->kv_heads == 1 ? "MQA" : "GQA";
    char kvt[32];
    if (r->kv_heads == r->heads)
        snprintf(kvt, sizeof kvt, "%s", kv);
    else
        snprintf(kvt, sizeof kvt, "%s %lld/%lld", kv, (long long)r->heads, (long long)r->kv_heads);
    char b[16] = "";
    if (r->batch != 1)
        snprintf(b, sizeof b, "B%lld ", (long long)r->batch);
    if (r->q_len == 1)
        snprintf(buf, size, "%sdecode Skv=%lld H%lld Dh=%lld %s T%d", b, (long long)r->kv_len, (long long)r->heads,
                 (long long)r->head_dim, kvt, r->threads);
    else if (r->q_len == r->kv_len)
        snprintf(buf, size, "%sS=%lld H%lld Dh=%lld %s%s T%d", b, (long long)r->q_len, (long long)r->heads,
                 (long long)r->head_dim, kvt, r->causal ? " causal" : "", r->threads);
    else
        snprintf(buf, size, "%sSq=%lld Skv=%lld H%lld Dh=%lld %s%s T%d", b, (long long)r->q_len,
                 (long long)r->kv_len, (long long)r->heads, (long long)r->head_dim, kvt, r->causal ? " causal" : "",
                 r->threads);
}

void rep_bytes_text(double bytes, char *buf, size_t size)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%.0f B", bytes);
    else
        snprintf(buf, size, bytes < 10 ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}
