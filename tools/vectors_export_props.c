/*
 * The property checks' inputs for `mha vectors export`: the checks run on a
 * recording implementation that answers every call as naive does and
 * exports each distinct call (inputs, float64 reference, tolerance) as a
 * case "PROPERTY.N". The property that is running is read from the result
 * records the checks write (run_opts.fd, conformance/records.h).
 */
#include "vectors_export.h"

#include "conformance/exec_port_files.h"
#include "conformance/hashing.h"
#include "conformance/records.h"
#include "conformance/suites.h"
#include "conformance/tolerance.h"
#include "internal.h"
#include "npy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CALLS 256

typedef struct recorder {
    const char *dir;
    double factor, floor;
    json_t *cases;
    record_inbox records;    /* the checks' result records, non-blocking */
    char property[48];       /* the property now running */
    int calls;               /* distinct calls recorded for it */
    char seen[MAX_CALLS][33]; /* XXH3-128 of every recorded call's inputs and flags */
    size_t nseen;
    const mha_impl *naive;
    char err[1024];          /* the first failure */
} recorder;

static recorder rec;

/* A "started" record names the property now running. */
static void take_record(void *ctx, const void *bytes)
{
    (void)ctx;
    run_result r;
    memcpy(&r, bytes, sizeof r);
    if (r.started) {
        snprintf(rec.property, sizeof rec.property, "%s", r.id);
        rec.calls = 0;
    }
}

/* Reads the records written so far. */
static void follow_property(void)
{
    record_inbox_read(&rec.records, take_record, NULL);
}

/* Reads a written input back as float32 into *data; 0 or -1 with rec.err. */
static int read_back(const char *name, float **data, int64_t shape[4])
{
    char path[4200];
    npy_array a;
    if (npy_read(path_join(path, sizeof path, rec.dir, name), &a, rec.err, sizeof rec.err))
        return -1;
    *data = a.data; /* float32, as written */
    if (shape)
        memcpy(shape, a.shape, 4 * sizeof *shape);
    return 0;
}

/* Exports one call unless the same inputs and flags were exported before. 0 or -1 with rec.err. */
static int record(const mha_args *a)
{
    case_data d;
    memset(&d, 0, sizeof d);
    snprintf(d.c.id, sizeof d.c.id, "%.40s.%d", rec.property[0] ? rec.property : "prop", rec.calls);
    snprintf(d.c.group, sizeof d.c.group, "property");
    snprintf(d.c.recipe, sizeof d.c.recipe, "recorded");
    d.c.shape = a->shape;
    d.c.scale = a->scale; /* resolved */
    d.c.causal = a->causal;
    exec_files f;
    exec_files_name(&f, rec.dir, d.c.id);
    int64_t mshape[4] = {1, 1, 0, 0};
    if (exec_files_write_inputs(&f, a, rec.err, sizeof rec.err) || read_back(f.q, &d.in.q, NULL) ||
        read_back(f.k, &d.in.k, NULL) || read_back(f.v, &d.in.v, NULL) ||
        (a->mask && read_back(f.mask, &d.in.mask, mshape))) {
        case_data_free(&d);
        return -1;
    }
    d.in.mask_b = mshape[0];
    d.in.mask_h = mshape[1];
    const mha_shape *s = &a->shape;
    char sums[4][33], key[200];
    hash_bytes(d.in.q, case_q_count(s) * sizeof(float), sums[0]);
    hash_bytes(d.in.k, case_kv_count(s) * sizeof(float), sums[1]);
    hash_bytes(d.in.v, case_kv_count(s) * sizeof(float), sums[2]);
    hash_bytes(d.in.mask ? d.in.mask : (float *)mshape,
               d.in.mask ? (size_t)(mshape[0] * mshape[1] * s->q_len * s->kv_len) * sizeof(float) : 0, sums[3]);
    snprintf(key, sizeof key, "%s%s%s%s %a %d", sums[0], sums[1], sums[2], sums[3], (double)a->scale, a->causal);
    char digest[33];
    hash_bytes(key, strlen(key), digest);
    for (size_t i = 0; i < rec.nseen; i++)
        if (strcmp(rec.seen[i], digest) == 0) { /* the same call in another layout or thread count */
            exec_files_remove(&f);
            case_data_free(&d);
            return 0;
        }
    if (rec.nseen == MAX_CALLS) {
        snprintf(rec.err, sizeof rec.err, "the property checks made more than %d distinct calls", MAX_CALLS);
        case_data_free(&d);
        return -1;
    }
    memcpy(rec.seen[rec.nseen++], digest, sizeof digest);
    d.ref_out = malloc(case_out_count(s) * sizeof(double));
    d.ref_probs = malloc(case_probs_count(s) * sizeof(double));
    mha_args ra = case_args(&d.c, &d.in);
    ra.out = (float *)d.ref_out; /* validation wants an out view; the reference writes only its double buffers */
    ra.threads = 1;
    int rc = -1;
    if (!d.ref_out || !d.ref_probs)
        snprintf(rec.err, sizeof rec.err, "%s: out of memory", d.c.id);
    else if (mha_reference(&ra, d.ref_out, d.ref_probs) != MHA_OK)
        snprintf(rec.err, sizeof rec.err, "%s: reference: %s", d.c.id, mha_last_error());
    else if (!case_measure_fp32(&d, rec.err, sizeof rec.err))
        rc = export_case(rec.dir, &d, "property", 1, rec.factor, rec.floor, rec.cases, rec.err, sizeof rec.err);
    rec.calls += rc == 0;
    case_data_free(&d);
    return rc;
}

static void record_attention(const mha_args *args, void *workspace)
{
    (void)workspace;
    follow_property();
    mha_args a = *args;
    a.workspace = NULL;
    a.workspace_bytes = 0;
    mha_status st = mha_attention(rec.naive, &a);
    if (st != MHA_OK) {
        mha_impl_fail(st, "naive: %s", mha_last_error());
        return;
    }
    if (!rec.err[0] && record(args))
        mha_impl_fail(MHA_ERR_IMPL_FAILED, "recording for the export: %s", rec.err);
}

int export_props(const char *dir, double factor, double floor, json_t *cases, char *err, size_t err_size)
{
    memset(&rec, 0, sizeof rec);
    rec.dir = dir;
    rec.factor = factor;
    rec.floor = floor;
    rec.cases = cases;
    rec.naive = naive_impl();
    int fds[2];
    if (pipe(fds)) {
        snprintf(err, err_size, "%s", strerror(errno));
        return -1;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    record_inbox_init(&rec.records, fds[0], sizeof(run_result));
    mha_impl recorder_impl = *rec.naive;
    recorder_impl.name = "export-recorder";
    recorder_impl.caps |= MHA_CAP_PROBS;
    recorder_impl.workspace = NULL;
    recorder_impl.attention = record_attention;
    run_opts o;
    memset(&o, 0, sizeof o);
    o.label = "export";
    o.rerun = "mha vectors export";
    o.factor = factor;
    o.floor = floor;
    o.top_level = 1;
    o.fd = fds[1];
    const int failures = suite_props_run(&recorder_impl, &o, NULL);
    close(fds[0]);
    close(fds[1]);
    if (rec.err[0]) {
        snprintf(err, err_size, "%s", rec.err);
        return -1;
    }
    if (failures) {
        snprintf(err, err_size, "%d property check(s) failed on naive while recording their inputs (FAIL lines above)",
                 failures);
        return -1;
    }
    return 0;
}
