/*
 * Unit tests of the suite's own pieces: the manifest reader's refusals,
 * format/parse round trip, ulp distances, NaN handling of the comparison,
 * the tolerance formula and the --case globs.
 */
#include "conformance/manifest.h"
#include "conformance/suites.h"
#include "conformance/tolerance.h"
#include "tests/check.h"

#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *good =
    "mhalab-vectors version=1\n"
    "# a comment\n"
    "tolerance factor=8 floor=8\n"
    "case id=t1 group=tiny B=1 H=2 Hkv=1 Sq=2 Skv=3 Dh=4 layout=bhsd mask=neg_inf flags=causal scale=0.5 "
    "seed=42 recipe=ints max_abs_v=2 err_out=1.5e-07 err_probs=0\n"
    "file role=q name=t1.q.npy dtype=f32 shape=1,2,2,4 xxh3=0123456789abcdef0123456789abcdef\n";

/* good with `from` replaced by `to`, parsed; returns the parse status and leaves the message in err. */
static int parse_edited(const char *from, const char *to, char *err, size_t n)
{
    char buf[2048];
    const char *at = strstr(good, from);
    if (!at)
        return 99;
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
    manifest m;
    int rc = manifest_parse(buf, strlen(buf), &m, err, n);
    if (rc == 0)
        manifest_free(&m);
    return rc;
}

static void test_manifest(void)
{
    manifest m;
    char err[256] = "";
    CHECK(manifest_parse(good, strlen(good), &m, err, sizeof err) == 0, "good manifest refused: %s", err);
    CHECK(m.count == 1 && m.cases[0].c.shape.heads == 2 && m.cases[0].c.causal && m.cases[0].c.layout == CASE_LAYOUT_BHSD &&
              m.cases[0].c.mask == MASK_NEG_INF && m.cases[0].c.seed == 42 && m.cases[0].nfiles == 1,
          "good manifest parsed wrong");
    size_t len;
    char *text = manifest_format(&m, &len);
    manifest again;
    CHECK(text && manifest_parse(text, len, &again, err, sizeof err) == 0, "formatted manifest refused: %s", err);
    size_t len2;
    char *text2 = manifest_format(&again, &len2);
    CHECK(text2 && len == len2 && memcmp(text, text2, len) == 0, "format(parse(format(m))) != format(m)");
    free(text);
    free(text2);
    manifest_free(&again);
    manifest_free(&m);

    static const struct { const char *from, *to, *says; } bad[] = {
        {"version=1", "version=3", "schema version 3"},
        {"recipe=ints", "recipe=ints dtype=bf16", "dtype=bf16"}, /* version 1 has no dtype field */
        {"tolerance factor=8 floor=8\n", "", "no 'tolerance"},
        {"seed=42", "seed=42 colour=red", "colour"},
        {"Hkv=1", "Hkv=3", "not a multiple"},
        {"xxh3=0123456789abcdef0123456789abcdef", "xxh3=0123", "xxh3"},
        {"layout=bhsd", "layout=sideways", "layout"},
        {"mask=neg_inf", "mask=bogus", "mask"},
        {"name=t1.q.npy", "name=../../etc/passwd", "name"},
        {"Sq=2", "Sq=0", "Sq"},
        {"Sq=2", "Sq=2 Sq=3", "Sq"},
        {"role=q", "role=w", "role"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        int rc = parse_edited(bad[i].from, bad[i].to, err, sizeof err);
        CHECK(rc == -1 && strstr(err, bad[i].says), "'%s' -> '%s': rc %d, message '%s', expected one naming '%s'",
              bad[i].from, bad[i].to, rc, err, bad[i].says);
    }
    char twice[2048];
    snprintf(twice, sizeof twice, "%s%s", good, strstr(good, "case id="));
    CHECK(manifest_parse(twice, strlen(twice), &m, err, sizeof err) == -1 && strstr(err, "twice"),
          "a repeated case id was not refused: %s", err);
    CHECK(manifest_parse("file role=q\n", 12, &m, err, sizeof err) == -1, "a manifest without a header was accepted");
}

/* Version 2: dtype and out_dtype on every case; a version-1 manifest reads as fp32 -> fp32. */
static void test_manifest_dtypes(void)
{
    manifest m;
    char err[256] = "", buf[2048];
    CHECK(manifest_parse(good, strlen(good), &m, err, sizeof err) == 0 && m.cases[0].c.dtype == MHA_F32 &&
              m.cases[0].c.out_dtype == MHA_F32, "a version-1 case reads as fp32 -> fp32: %s", err);
    manifest_free(&m);
    static const char *const v2 =
        "mhalab-vectors version=2\n"
        "tolerance factor=8 floor=8\n"
        "case id=b1 group=bf16 B=1 H=2 Hkv=1 Sq=2 Skv=3 Dh=4 layout=bshd mask=none flags=- scale=0 "
        "seed=7 recipe=uniform dtype=bf16 out_dtype=%s max_abs_v=1 err_out=0.001 err_probs=1e-08\n"
        "file role=q name=b1.q.npy dtype=%s shape=1,2,2,4 xxh3=0123456789abcdef0123456789abcdef\n";
    snprintf(buf, sizeof buf, v2, "bf16", "bf16");
    CHECK(manifest_parse(buf, strlen(buf), &m, err, sizeof err) == 0 && m.cases[0].c.dtype == MHA_BF16 &&
              m.cases[0].c.out_dtype == MHA_BF16 && strcmp(m.cases[0].files[0].dtype, "bf16") == 0,
          "a bf16 -> bf16 case with a bf16 file: %s", err);
    if (m.count) {
        size_t len;
        char *text = manifest_format(&m, &len);
        CHECK(text && len == strlen(buf) && memcmp(text, buf, len) == 0, "format(parse(v2)) != v2:\n%s", text);
        free(text);
        manifest_free(&m);
    }
    snprintf(buf, sizeof buf, v2, "fp16", "bf16");
    CHECK(manifest_parse(buf, strlen(buf), &m, err, sizeof err) == -1 && strstr(err, "out_dtype fp16 with dtype bf16"),
          "bf16 -> fp16 is no combination: %s", err);
    snprintf(buf, sizeof buf, v2, "fp32", "u16");
    CHECK(manifest_parse(buf, strlen(buf), &m, err, sizeof err) == -1 && strstr(err, "dtype=u16"),
          "file dtype u16 is refused: %s", err);
    snprintf(buf, sizeof buf, v2, "fp32", "f16");
    char *drop = strstr(buf, " dtype=bf16 out_dtype=fp32");
    memmove(drop, drop + strlen(" dtype=bf16 out_dtype=fp32"), strlen(drop + strlen(" dtype=bf16 out_dtype=fp32")) + 1);
    CHECK(manifest_parse(buf, strlen(buf), &m, err, sizeof err) == -1 && strstr(err, "dtype out_dtype"),
          "a version-2 case without dtypes is refused: %s", err);
}

static void test_ulps_and_compare(void)
{
    CHECK(ulp_distance(1.0f, nextafterf(1.0f, 2.0f)) == 1, "1 ulp above 1");
    CHECK(ulp_distance(-0.0f, 0.0f) == 0, "-0 and +0 are 0 ulps apart");
    CHECK(ulp_distance(-FLT_TRUE_MIN, FLT_TRUE_MIN) == 2, "across zero: -min to +min is 2 ulps, got %lld",
          (long long)ulp_distance(-FLT_TRUE_MIN, FLT_TRUE_MIN));
    CHECK(ulp_distance(2.0f, 1.0f) == 1 << 23, "1 to 2 is 2^23 ulps");

    const float got[4] = {1.0f, NAN, 3.0f, 4.5f};
    const double want[4] = {1.0, NAN, 3.0, 4.0};
    err_stats st;
    compare_values(got, NULL, want, 4, &st);
    CHECK(st.nan_mismatch == 0 && st.max_abs == 0.5 && st.worst == 3 && fabs(st.max_rel - 0.125) < 1e-15,
          "compare: NaN where NaN is expected is a match, worst is index 3");
    const float got2[3] = {1.0f, 2.0f, NAN};
    const double want2[3] = {1.0, NAN, 3.0};
    compare_values(got2, NULL, want2, 3, &st);
    CHECK(st.nan_mismatch == 2 && st.worst == 1 && isinf(st.max_abs), "compare: NaN mismatches both ways, first at 1");
    const float got3[1] = {INFINITY};
    const double want3[1] = {1e30};
    compare_values(got3, NULL, want3, 1, &st);
    CHECK(st.nan_mismatch == 1, "compare: inf where the reference is finite is a mismatch");

    CHECK(tolerance_of(8, 8, 1e-7, 2.0) == 8 * 1e-7 + 16 * (double)FLT_EPSILON, "tolerance formula");
    CHECK(tolerance_of(8, 8, 0, 0) == 0, "zero V, exact naive: zero tolerance");
    CHECK(tolerance_of_dtype(8, 8, 1e-7, 2.0, MHA_F32) == tolerance_of(8, 8, 1e-7, 2.0) &&
              tolerance_of_dtype(8, 8, 1e-7, 2.0, MHA_BF16) == tolerance_of(8, 8, 1e-7, 2.0) + 2.0 * 0x1p-8 &&
              tolerance_of_dtype(8, 8, 1e-7, 2.0, MHA_F16) == tolerance_of(8, 8, 1e-7, 2.0) + 2.0 * 0x1p-11,
          "a 16-bit output adds half its ulp at max|V|");
    CHECK(error_units(3e-7, 1e-7) > 2.99 && error_units(0, 0) == 0 && isinf(error_units(1e-9, 0)), "units");
}

static void test_patterns(void)
{
    CHECK(pattern_match(NULL, "x") && pattern_match("", "x"), "no pattern matches all");
    CHECK(pattern_match("seqlen_*", "seqlen_s17") && !pattern_match("seqlen_*", "headdim_d7"), "one glob");
    CHECK(pattern_match("tiny_*,prop_*", "prop_gqa_repeat") && !pattern_match("tiny_*,prop_*", "mask_neg_inf"),
          "comma-separated globs");
    CHECK(props_matching("prop_*") == 6 && props_matching("seqlen_*") == 0, "property ids match");
}

typedef struct taken {
    run_result r[4];
    int n;
} taken;

static void take(void *ctx, const void *rec)
{
    taken *t = ctx;
    if (t->n < 4)
        memcpy(&t->r[t->n], rec, sizeof t->r[0]);
    t->n++;
}

/* Result records written in pieces of any size reach the reader whole and in order. */
static void test_records(void)
{
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    run_result recs[3];
    memset(recs, 0, sizeof recs);
    snprintf(recs[0].id, sizeof recs[0].id, "first");
    recs[0].started = 1;
    snprintf(recs[1].id, sizeof recs[1].id, "first");
    recs[1].pass = 1;
    recs[1].units = 1.5;
    snprintf(recs[2].id, sizeof recs[2].id, "second");
    snprintf(recs[2].reason, sizeof recs[2].reason, "out error");
    const char *bytes = (const char *)recs;
    const size_t total = sizeof recs, cuts[] = {1, sizeof recs[0] + 3, total - 5, total};
    record_inbox in;
    record_inbox_init(&in, fds[0], sizeof(run_result));
    taken t = {.n = 0};
    size_t at = 0;
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        CHECK(write(fds[1], bytes + at, cuts[c] - at) == (ssize_t)(cuts[c] - at), "write");
        at = cuts[c];
        CHECK(record_inbox_read(&in, take, &t) == 1, "the pipe is open");
    }
    CHECK(t.n == 3, "3 records read, got %d", t.n);
    CHECK(t.n == 3 && memcmp(t.r, recs, sizeof recs) == 0, "the records arrive unchanged and in order");
    CHECK(record_started(fds[1], "third", "seqlen") == 0 && record_inbox_read(&in, take, &t) == 1 && t.n == 4 &&
              t.r[3].started && strcmp(t.r[3].id, "third") == 0 && strcmp(t.r[3].group, "seqlen") == 0,
          "a started record names its case");
    close(fds[1]);
    CHECK(record_inbox_read(&in, take, &t) == 0, "the pipe's end is seen");
    close(fds[0]);
    CHECK(record_write(-1, recs, sizeof recs[0]) == -1, "no fd: not written");
}

/*
 * Cases and properties whose dtypes an implementation does not declare are
 * skipped, not failed: naive declaring bf16 -> bf16 alone would fail every
 * fp32 call with MHA_ERR_BAD_DTYPE if they ran. The result records say so.
 */
static void test_skip_undeclared(void)
{
    mha_impl only_bf16 = *mha_impl_find("naive");
    only_bf16.dtypes = MHA_IO_BF16;
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    run_opts o = {"naive_bf16_only@test", "rerun", 8, 8, 0, fds[1], 0};
    runner_install(&o);
    case_data d;
    char err[256];
    CHECK(case_compute(cases_find("tiny_2x3_d4"), &d, err, sizeof err) == 0, "compute: %s", err);
    CHECK(suite_cases_run(&only_bf16, &d, 1, &o) == 0, "an undeclared fp32 case counts as no failure");
    props_prepare("prop_single_head");
    CHECK(suite_props_run(&only_bf16, &o, "prop_single_head") == 0, "an fp32 property counts as no failure");
    props_release();
    close(fds[1]);
    run_result r[4];
    int n = 0, skipped = 0;
    for (; n < 4 && read(fds[0], &r[n], sizeof r[n]) == (ssize_t)sizeof r[n]; n++)
        skipped += !r[n].started && r[n].skipped && !r[n].pass && strstr(r[n].reason, "not declared") &&
                   strcmp(r[n].dtypes, "fp32 -> fp32") == 0;
    CHECK(n == 4 && skipped == 2, "two started markers and two skipped results with the reason: %d records, "
          "%d skipped", n, skipped);
    close(fds[0]);
    case_data_free(&d);
}

int main(void)
{
    test_records();
    test_manifest();
    test_manifest_dtypes();
    test_ulps_and_compare();
    test_patterns();
    test_skip_undeclared();
    return check_summary();
}
