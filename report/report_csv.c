/* The report's CSV (one row per run) and manifest.json (what it read and wrote). */
#include "report.h"

#include <math.h>
#include <string.h>
#include <time.h>

double rep_speedup_vs_naive(const rep_data *d, const rep_run *r)
{
    const rep_run *n = rep_naive_twin(d, r);
    return n && n != r && !r->error[0] ? n->seconds / r->seconds : NAN;
}

int rep_write_csv(const rep_data *d, FILE *f)
{
    fprintf(f, "machine,implementation,kind,B,H,Hkv,Sq,Skv,Dh,causal,threads,seconds,gflops,gbs,peak_pct,"
               "speedup_vs_naive,workspace_bytes,status,repetitions,min_seconds,max_seconds,isa_peak_pct,kv_cache_resident,"
               "dtype,max_abs_error,error_bound\n");
    for (int i = 0; i < d->n_runs; i++) {
        const rep_run *r = &d->runs[i];
        double pct = rep_peak_pct(d, r), sp = rep_speedup_vs_naive(d, r);
        char status[300];
        snprintf(status, sizeof status, "%s", r->error[0] ? r->error : "ok");
        for (char *c = status; *c; c++)
            if (*c == '"')
                *c = '\'';
        fprintf(f, "%s,%s,%s,%lld,%lld,%lld,%lld,%lld,%lld,%d,%d,", d->machines[r->machine].label, r->impl,
                r->kind, (long long)r->batch, (long long)r->heads, (long long)r->kv_heads, (long long)r->q_len,
                (long long)r->kv_len, (long long)r->head_dim, r->causal, r->threads);
        if (r->error[0])
            fprintf(f, ",,,,,");
        else
        {
            fprintf(f, "%.9g,%.4f,%.4f,", r->seconds, rep_gflops(r), rep_gbs(r));
            if (pct >= 0)
                fprintf(f, "%.2f", pct);
            fputc(',', f);
            if (!isnan(sp))
                fprintf(f, "%.3f", sp);
            fputc(',', f);
        }
        if (r->workspace >= 0)
            fprintf(f, "%.0f", r->workspace);
        fprintf(f, ",\"%s\",%d,", status, r->reps);
        if (!r->error[0])
            fprintf(f, "%.9g,%.9g", r->min_seconds, r->max_seconds);
        else
            fputc(',', f);
        double isa = rep_isa_peak_pct(d, r);
        fputc(',', f);
        if (isa >= 0)
            fprintf(f, "%.2f", isa);
        int res = rep_kv_cache_resident(d, r);
        fprintf(f, ",%s,%s,", res < 0 ? "" : res ? "1" : "0", mha_dtype_name((mha_dtype)r->dtype));
        if (r->max_abs_error >= 0)
            fprintf(f, "%.6g", r->max_abs_error);
        fputc(',', f);
        if (r->error_bound >= 0)
            fprintf(f, "%.6g", r->error_bound);
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

int rep_write_manifest(const rep_data *d, FILE *f, char names[][64], int n_names, int force)
{
    json_t *root = json_object(), *inputs = json_array(), *ms = json_array(), *files = json_array(),
           *sum = json_array();
    char when[64];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    json_object_set_new(root, "tool", json_string("mha report"));
    json_object_set_new(root, "mha_version", json_string("0.1.0"));
    json_object_set_new(root, "jansson_version", json_string(JANSSON_VERSION));
    json_object_set_new(root, "created", json_string(when));
    for (int i = 0; i < d->n_files; i++)
        json_array_append_new(inputs, json_string(d->files[i]));
    json_object_set_new(root, "inputs", inputs);
    json_object_set_new(root, "check", d->check_file ? json_string(d->check_file) : json_null());
    json_t *config = json_object();
    json_object_set_new(config, "force", json_boolean(force));
    json_object_set_new(config, "time_statistic", json_string("median real_time over repetitions"));
    json_object_set_new(config, "flops_rule", json_string("4*B*H*Dh per visible (query, key) pair"));
    json_object_set_new(root, "config", config);
    for (int m = 0; m < d->n_machines; m++) {
        json_t *o = json_object();
        json_object_set_new(o, "label", json_string(d->machines[m].label));
        json_object_set(o, "environment", d->machines[m].context);
        json_array_append_new(ms, o);
    }
    json_object_set_new(root, "machines", ms);
    for (int s = 0; s < d->n_series; s++) {
        int timed = 0, skipped = 0, failed = 0;
        double best = 0;
        for (int i = 0; i < d->n_runs; i++) {
            const rep_run *r = &d->runs[i];
            if (r->series != s)
                continue;
            if (!r->error[0]) {
                timed++;
                if (rep_gflops(r) > best)
                    best = rep_gflops(r);
            } else if (strncmp(r->error, "skipped", 7) == 0)
                skipped++;
            else
                failed++;
        }
        json_t *o = json_object();
        json_object_set_new(o, "implementation", json_string(d->series[s].impl));
        json_object_set_new(o, "machine", json_string(d->machines[d->series[s].machine].label));
        json_object_set_new(o, "timed", json_integer(timed));
        json_object_set_new(o, "skipped", json_integer(skipped));
        json_object_set_new(o, "failed", json_integer(failed));
        json_object_set_new(o, "best_gflops", json_real(best));
        json_array_append_new(sum, o);
    }
    json_object_set_new(root, "results_summary", sum);
    for (int i = 0; i < n_names; i++)
        json_array_append_new(files, json_string(names[i]));
    json_object_set_new(root, "files", files);
    int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_SORT_KEYS);
    fputc('\n', f);
    json_decref(root);
    return rc == 0 && !ferror(f) ? 0 : -1;
}
