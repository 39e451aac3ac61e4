/* Reading benchmark and conformance JSON with jansson; derived numbers. */
#include "report.h"
#include "shapes_math.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* A JSON file, or NULL with "path: cannot open: reason" / "path:line:column: what". */
static json_t *load_json(const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        if (f)
            fclose(f);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "%s: is a directory, expected a JSON file", path);
        fclose(f);
        return NULL;
    }
    json_error_t e;
    json_t *root = json_loadf(f, 0, &e);
    fclose(f);
    if (!root)
        snprintf(err, err_size, "%s:%d:%d: malformed JSON: %s", path, e.line, e.column, e.text);
    return root;
}

/*
 * A context field as a number from min to max (Google Benchmark writes some
 * as strings); 0 when absent. -1 with "path: context field \"key\": what" in err.
 */
static int ctx_number(json_t *ctx, const char *key, double min, double max, double *out, const char *path,
                      char *err, size_t err_size)
{
    json_t *v = json_object_get(ctx, key);
    double x = 0;
    char *end = NULL;
    if (json_is_number(v))
        x = json_number_value(v);
    else if (json_is_string(v))
        x = strtod(json_string_value(v), &end);
    else if (v && !json_is_null(v))
        x = NAN;
    if ((end && (end == json_string_value(v) || *end)) || !(x >= min && x <= max)) {
        char *text = json_dumps(v, JSON_ENCODE_ANY);
        snprintf(err, err_size, "%s: context field \"%s\": %s is not a number from %.10g to %.10g", path, key,
                 text ? text : "?", min, max);
        free(text);
        return -1;
    }
    *out = x;
    return 0;
}

static int machine_for(rep_data *d, json_t *ctx, const char *path, char *err, size_t err_size)
{
    const char *host = json_string_value(json_object_get(ctx, "host_name"));
    const char *label = host && *host ? host : base_name(path);
    double cores, cpus, peak_1, peak_all, read_gbs;
    if (ctx_number(ctx, "mha_cores", 0, 1 << 20, &cores, path, err, err_size) ||
        ctx_number(ctx, "num_cpus", 0, 1 << 20, &cpus, path, err, err_size) ||
        ctx_number(ctx, "mha_peak_gflops_1", 0, 1e12, &peak_1, path, err, err_size) ||
        ctx_number(ctx, "mha_peak_gflops_all", 0, 1e12, &peak_all, path, err, err_size) ||
        ctx_number(ctx, "mha_read_gbs", 0, 1e12, &read_gbs, path, err, err_size))
        return -1;
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
        mm->cores = (int)cores;
    if (!mm->cores)
        mm->cores = (int)cpus;
    if (!mm->peak_gflops_1)
        mm->peak_gflops_1 = peak_1;
    if (!mm->peak_gflops_all)
        mm->peak_gflops_all = peak_all;
    if (!mm->read_gbs)
        mm->read_gbs = read_gbs;
    return m;
}

/*
 * "attn/IMPL/B:1/H:8/Hkv:8/Sq:128/Skv:128/Dh:64/causal:0/threads:2[/dtype:bf16][/real_time...]".
 * Returns 0; 1 when the name is not an mhalab grid point (ignored); -1
 * with "FIELD:VALUE is ..." in why when a field's value is out of range.
 */
static int parse_name(const char *name, rep_run *r, char *why, size_t why_size)
{
    char buf[512];
    if (snprintf(buf, sizeof buf, "%s", name) >= (int)sizeof buf)
        return 1;
    char *save = NULL, *seg = strtok_r(buf, "/", &save);
    if (!seg || (strcmp(seg, "attn") != 0 && strcmp(seg, "layer") != 0 && strcmp(seg, "breakdown") != 0))
        return 1;
    snprintf(r->kind, sizeof r->kind, "%s", seg);
    seg = strtok_r(NULL, "/", &save);
    if (!seg || strlen(seg) >= sizeof r->impl)
        return 1;
    snprintf(r->impl, sizeof r->impl, "%s", seg);
    static const char *const keys[] = {"B", "H", "Hkv", "Sq", "Skv", "Dh", "causal", "threads"};
    int64_t *dims[] = {&r->batch, &r->heads, &r->kv_heads, &r->q_len, &r->kv_len, &r->head_dim};
    unsigned seen = 0;
    while ((seg = strtok_r(NULL, "/", &save))) {
        char *colon = strchr(seg, ':');
        if (!colon)
            continue;
        *colon = '\0';
        if (strcmp(seg, "dtype") == 0) {
            mha_dtype dt;
            if (mha_dtype_from_name(colon + 1, &dt) != 0) {
                snprintf(why, why_size, "dtype:%s is not a dtype (expected fp32, bf16 or fp16)", colon + 1);
                return -1;
            }
            r->dtype = dt;
        }
        for (unsigned k = 0; k < 8; k++) {
            if (strcmp(seg, keys[k]) != 0)
                continue;
            long long min = k == 6 ? 0 : 1, max = k == 6 ? 1 : INT32_MAX, v;
            char *end;
            errno = 0;
            v = strtoll(colon + 1, &end, 10);
            if (end == colon + 1 || *end || errno == ERANGE || v < min || v > max) {
                snprintf(why, why_size, "%s:%s is out of range (expected an integer from %lld to %lld)", seg,
                         colon + 1, min, max);
                return -1;
            }
            seen |= 1u << k;
            if (k < 6)
                *dims[k] = v;
            else if (k == 6)
                r->causal = (int)v;
            else
                r->threads = (int)v;
        }
    }
    return seen == 0xffu ? 0 : 1;
}

/* Seconds per time_unit (absent: ns, Google Benchmark's default); 0 for an unknown unit. */
static double unit_seconds(const char *unit)
{
    static const char *const names[] = {"ns", "us", "ms", "s"};
    static const double secs[] = {1e-9, 1e-6, 1e-3, 1.0};
    if (!unit)
        return 1e-9;
    for (int i = 0; i < 4; i++)
        if (strcmp(unit, names[i]) == 0)
            return secs[i];
    return 0;
}

/* Appends a run; repetitions of one point are merged by rep_finish. */
static int add_run(rep_data *d, const rep_run *r)
{
    if (d->n_runs == d->cap_runs) {
        if (d->cap_runs > INT32_MAX / 2)
            return -1;
        int cap = d->cap_runs ? 2 * d->cap_runs : 256;
        rep_run *p = realloc(d->runs, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        d->runs = p;
        d->cap_runs = cap;
    }
    d->runs[d->n_runs] = *r;
    d->runs[d->n_runs].order = d->n_runs;
    rep_stats_first(&d->runs[d->n_runs]);
    d->n_runs++;
    return 0;
}

/* One entry of "benchmarks": 0 and *r filled, 1 when it is not an mhalab point, 2 for an aggregate, -1 with err. */
static int read_benchmark(json_t *b, const char *path, rep_run *r, char *err, size_t err_size)
{
    const char *name = json_string_value(json_object_get(b, "name"));
    const char *run_type = json_string_value(json_object_get(b, "run_type"));
    char why[600];
    memset(r, 0, sizeof *r);
    if (run_type && strcmp(run_type, "aggregate") == 0)
        return 2;
    if (!name)
        return 1;
    int rc = parse_name(name, r, why, sizeof why);
    if (rc < 0)
        snprintf(err, err_size, "%s: benchmark \"%s\": %s", path, name, why);
    if (rc)
        return rc;
    r->workspace = -1;
    r->max_abs_error = r->error_bound = -1;
    static const char *const acc_keys[] = {"max_abs_error", "error_bound"};
    double *acc[] = {&r->max_abs_error, &r->error_bound};
    for (int k = 0; k < 2; k++) {
        json_t *v = json_object_get(b, acc_keys[k]);
        if (v && !(json_is_number(v) && json_number_value(v) >= 0)) {
            snprintf(err, err_size, "%s: benchmark \"%s\": \"%s\" is not a number >= 0", path, name, acc_keys[k]);
            return -1;
        }
        if (v)
            *acc[k] = json_number_value(v);
    }
    json_t *ws = json_object_get(b, "workspace");
    if (ws && !(json_is_number(ws) && json_number_value(ws) >= 0 && json_number_value(ws) <= 1e18)) {
        snprintf(err, err_size, "%s: benchmark \"%s\": \"workspace\" is not a number of bytes from 0 to 1e18", path,
                 name);
        return -1;
    }
    if (ws)
        r->workspace = json_number_value(ws);
    if (json_is_true(json_object_get(b, "error_occurred"))) {
        const char *msg = json_string_value(json_object_get(b, "error_message"));
        snprintf(r->error, sizeof r->error, "%s", msg && *msg ? msg : "error");
        /* mha-bench puts a skipped point's workspace in the message: "[workspace 2048 B]" */
        const char *w = msg ? strstr(msg, "[workspace ") : NULL;
        double bytes = w ? strtod(w + 11, NULL) : -1;
        if (bytes >= 0 && bytes <= 1e18 && r->workspace < 0)
            r->workspace = bytes;
        return 0;
    }
    json_t *t = json_object_get(b, "real_time");
    if (!json_is_number(t) || !(json_number_value(t) > 0)) {
        snprintf(err, err_size, "%s: benchmark \"%s\": expected a positive number \"real_time\"", path, name);
        return -1;
    }
    json_t *unit = json_object_get(b, "time_unit");
    double per_unit = unit_seconds(json_string_value(unit));
    if (per_unit == 0 || (unit && !json_is_string(unit))) {
        char *text = json_dumps(unit, JSON_ENCODE_ANY);
        snprintf(err, err_size, "%s: benchmark \"%s\": \"time_unit\" %s is not one of \"ns\", \"us\", \"ms\", \"s\"",
                 path, name, text ? text : "?");
        free(text);
        return -1;
    }
    r->seconds = json_number_value(t) * per_unit;
    return 0;
}

int rep_load(rep_data *d, const char *path, char *err, size_t err_size)
{
    json_t *root = load_json(path, err, err_size);
    if (!root)
        return -1;
    int rc = rep_load_json(d, root, path, err, err_size);
    json_decref(root);
    return rc;
}

int rep_load_json(rep_data *d, json_t *root, const char *path, char *err, size_t err_size)
{
    json_t *benchmarks = json_object_get(root, "benchmarks");
    if (!json_is_object(root) || !json_is_array(benchmarks)) {
        snprintf(err, err_size, "%s: expected Google Benchmark JSON: an object with a \"benchmarks\" array "
                                "(mha-bench --benchmark_out=FILE --benchmark_out_format=json)", path);
        return -1;
    }
    int m = machine_for(d, json_object_get(root, "context"), path, err, err_size);
    if (m < 0)
        return -1;
    /* tools/run-bench.sh's run-info.json: facts of the run (load, skipped peers) for its machine */
    if (json_array_size(benchmarks) == 0 &&
        json_is_string(json_object_get(json_object_get(root, "context"), "mha_run_info")))
        return 0; /* root stays the caller's */
    size_t i;
    json_t *b;
    int used = 0, ignored = 0;
    json_array_foreach(benchmarks, i, b) {
        rep_run r;
        int rc = read_benchmark(b, path, &r, err, err_size);
        if (rc < 0) {
            return -1;
        }
        if (rc > 0) {
            ignored += rc == 1;
            continue;
        }
        r.machine = m;
        if (strcmp(r.kind, "breakdown") == 0) { /* the GEMM path's phases: their own list */
            if (rep_breakdown_add(d, &r, b, path, err, err_size) != 0)
                return -1;
        } else if (add_run(d, &r) != 0) {
            snprintf(err, err_size, "%s: out of memory", path);
            return -1;
        }
        used++;
    }
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
 *     "results": [{"case": id, "group": g, "pass": bool, "skipped": bool, "units": x, ...}]}]}
 * units = the case's max abs error / the plain algorithm's. Per
 * implementation, over all levels: cases, failed (a crashed run counts one),
 * the largest finite units and its case; skipped results (dtypes the
 * implementation does not declare) are left out.
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
            if (json_is_true(json_object_get(res, "skipped")))
                continue; /* a dtype combination the implementation does not declare: neither run nor failed */
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

double rep_elem_bytes(const rep_run *r)
{
    return (double)mha_dtype_size((mha_dtype)r->dtype);
}

int rep_same_point(const rep_run *a, const rep_run *b)
{
    return a->dtype == b->dtype && a->batch == b->batch && a->heads == b->heads && a->kv_heads == b->kv_heads && a->q_len == b->q_len &&
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
    if (a->dtype != b->dtype)
        return a->dtype - b->dtype;
    if (a->series != b->series)
        return a->series - b->series;
    return a->order - b->order;
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

static int same_series(const rep_series *a, const rep_series *b)
{
    return a->machine == b->machine && strcmp(a->impl, b->impl) == 0;
}

/* The distinct (implementation, machine) pairs of the runs, in series_order; each run's series index. */
static int assign_series(rep_data *d)
{
    rep_series *all = malloc((size_t)(d->n_runs ? d->n_runs : 1) * sizeof *all);
    if (!all)
        return -1;
    for (int i = 0; i < d->n_runs; i++) {
        memset(&all[i], 0, sizeof all[i]);
        snprintf(all[i].impl, sizeof all[i].impl, "%s", d->runs[i].impl);
        all[i].machine = d->runs[i].machine;
    }
    qsort(all, (size_t)d->n_runs, sizeof *all, series_order);
    int n = 0;
    for (int i = 0; i < d->n_runs; i++)
        if (n == 0 || !same_series(&all[n - 1], &all[i]))
            all[n++] = all[i];
    d->series = all;
    d->n_series = n;
    for (int s = 0; s < n; s++) {
        rep_series *se = &all[s];
        if (d->n_machines > 1)
            snprintf(se->label, sizeof se->label, "%s @ %s", se->impl, d->machines[se->machine].label);
        else
            snprintf(se->label, sizeof se->label, "%s", se->impl);
    }
    for (int i = 0; i < d->n_runs; i++) {
        rep_series key;
        snprintf(key.impl, sizeof key.impl, "%s", d->runs[i].impl);
        key.machine = d->runs[i].machine;
        const rep_series *found = bsearch(&key, all, (size_t)n, sizeof *all, series_order);
        d->runs[i].series = (int)(found - all);
    }
    return 0;
}

int rep_finish(rep_data *d)
{
    free(d->series);
    d->series = NULL;
    d->n_series = 0;
    if (assign_series(d))
        return -1;
    if (d->n_runs > 1) /* runs is NULL when the inputs hold only breakdown entries */
        qsort(d->runs, (size_t)d->n_runs, sizeof d->runs[0], run_order);
    /* repetitions of a point, now adjacent in file order: collected into one run, then its median and spread */
    int kept = 0;
    for (int i = 0; i < d->n_runs; i++) {
        rep_run *o = kept ? &d->runs[kept - 1] : NULL, *r = &d->runs[i];
        if (o && o->series == r->series && strcmp(o->kind, r->kind) == 0 && rep_same_point(o, r))
            rep_stats_add(o, r);
        else
            d->runs[kept++] = *r;
    }
    d->n_runs = kept;
    rep_stats_finish(d);
    for (int m = 0; m < d->n_machines; m++)
        d->machines[m].max_threads = 1;
    for (int i = 0; i < d->n_runs; i++)
        if (d->runs[i].threads > d->machines[d->runs[i].machine].max_threads)
            d->machines[d->runs[i].machine].max_threads = d->runs[i].threads;
    /* points, also adjacent: their extent and each machine's timed naive run */
    for (int first = 0, end; first < d->n_runs; first = end) {
        int naive[REPORT_MAX_MACHINES];
        for (int m = 0; m < REPORT_MAX_MACHINES; m++)
            naive[m] = -1;
        for (end = first; end < d->n_runs && strcmp(d->runs[end].kind, d->runs[first].kind) == 0 &&
                          rep_same_point(&d->runs[end], &d->runs[first]);
             end++)
            if (strcmp(d->runs[end].impl, "naive") == 0 && !d->runs[end].error[0])
                naive[d->runs[end].machine] = end;
        for (int i = first; i < end; i++) {
            d->runs[i].point_first = first;
            d->runs[i].point_end = end;
            d->runs[i].naive = naive[d->runs[i].machine];
        }
    }
    return rep_causal_link(d) || rep_breakdown_finish(d) ? -1 : 0;
}

void rep_free(rep_data *d)
{
    for (int m = 0; m < d->n_machines; m++)
        json_decref(d->machines[m].context);
    free(d->runs);
    free(d->series);
    free(d->accuracy);
    free(d->breakdowns);
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
               : shapes_attention_bytes(r->batch, r->heads, r->kv_heads, r->q_len, r->kv_len, r->head_dim) *
                     rep_elem_bytes(r) / 4.0 / r->seconds * 1e-9;
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
    return r->naive >= 0 ? &d->runs[r->naive] : NULL;
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
    const size_t n = strlen(buf);
    if (r->dtype != MHA_F32 && n + 1 < size)
        snprintf(buf + n, size - n, " %s", mha_dtype_name((mha_dtype)r->dtype));
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
