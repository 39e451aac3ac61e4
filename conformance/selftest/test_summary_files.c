/*
 * The --json and --junit files of `mha check` from a summary whose strings
 * hold markup characters, control characters and bytes that are not UTF-8
 * (a port's name and messages are any bytes): both files stay well formed,
 * the JSON read back with jansson, the JUnit checked against XML's escaping
 * rules; and markup_text.h's UTF-8 decisions on the edge cases.
 */
/* tests/check.h's check_run() and check_summary() share their names with check_summary.h's types:
 * they are renamed here as they are included. */
#define check_run tests_check_run
#define check_summary tests_check_summary
#include "tests/check.h"
#undef check_run
#undef check_summary

#include "conformance/check_summary.h"
#include "markup_text.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_utf8_edges(void)
{
    static const struct {
        const char *s;
        size_t bytes;
    } edges[] = {
        {"a", 1}, {"\x7f", 1}, {"\xc3\xa9", 2}, {"\xe2\x82\xac", 3}, {"\xf0\x9f\x98\x80", 4},
        {"\xc0\xaf", 0},         /* overlong '/' */
        {"\xe0\x80\xaf", 0},     /* overlong, three bytes */
        {"\xed\xa0\x80", 0},     /* a UTF-16 surrogate */
        {"\xf4\x90\x80\x80", 0}, /* above U+10FFFF */
        {"\xc3", 0},             /* cut short */
        {"\xe2\x82", 0}, {"\x80", 0}, {"\xff", 0}, {"", 0},
    };
    for (size_t k = 0; k < sizeof edges / sizeof edges[0]; k++)
        CHECK(utf8_char_bytes(edges[k].s) == edges[k].bytes, "utf8_char_bytes(edge %zu) = %zu, expected %zu", k,
              utf8_char_bytes(edges[k].s), edges[k].bytes);
    char *r = utf8_repaired("ok \xc3\xa9 \xff\xc3 end");
    CHECK(r && strcmp(r, "ok \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd end") == 0, "utf8_repaired: '%s'", r ? r : "(null)");
    free(r);
}

/* The whole of a file written by write. */
static char *written(int (*write)(const check_summary *, const summary_meta *, FILE *), const check_summary *s,
                     const summary_meta *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(f && write(s, m, f) == 0, "writing to memory");
    fclose(f);
    return buf;
}

static int json_writer(const check_summary *s, const summary_meta *m, FILE *f)
{
    return summary_write_json(s, m, f);
}

static int junit_writer(const check_summary *s, const summary_meta *m, FILE *f)
{
    (void)m;
    return summary_write_junit(s, f);
}

static void test_hostile_strings(void)
{
    check_summary s;
    summary_init(&s);
    check_run *run = summary_add_run(&s, "port\xff", "avx2");
    snprintf(run->rerun, sizeof run->rerun, "mha check --port 'a<b>.so'");
    run_result res = {.pass = 0, .units = NAN, .max_abs = 2.5, .tol = -1, .max_rel = 0.25, .ulps = 1LL << 40};
    snprintf(res.id, sizeof res.id, "tiny_1x1_d1");
    snprintf(res.group, sizeof res.group, "tiny");
    snprintf(res.reason, sizeof res.reason, "got \"x\" & <y>\nline\ttab \xe2\x82");
    snprintf(res.variant, sizeof res.variant, "threads 3");
    check_run_add(run, &res);
    const summary_meta m = {.vectors = "v", .exit_status = 1};

    char *json = written(json_writer, &s, &m);
    json_error_t err;
    json_t *root = json ? json_loads(json, 0, &err) : NULL;
    CHECK(root, "the JSON parses: %s", root ? "" : err.text);
    json_t *run_j = json_array_get(json_object_get(root, "runs"), 0);
    json_t *res_j = json_array_get(json_object_get(run_j, "results"), 0);
    const char *name = json_string_value(json_object_get(run_j, "implementation"));
    const char *reason = json_string_value(json_object_get(res_j, "reason"));
    CHECK(name && strcmp(name, "port\xef\xbf\xbd") == 0, "the name's byte 0xff is U+FFFD: '%s'", name ? name : "");
    CHECK(reason && strcmp(reason, "got \"x\" & <y>\nline\ttab \xef\xbf\xbd\xef\xbf\xbd") == 0,
          "the reason: escapes undone, the cut euro sign's two bytes U+FFFD: '%s'", reason ? reason : "");
    CHECK(json_is_null(json_object_get(res_j, "units")) && json_is_null(json_object_get(res_j, "tolerance")),
          "NaN units and a negative tolerance are null");
    CHECK(json_real_value(json_object_get(res_j, "max_abs")) == 2.5 &&
          json_integer_value(json_object_get(res_j, "ulps")) == 1LL << 40, "max_abs and ulps read back");
    CHECK(json_is_null(json_object_get(root, "port")) && json_is_false(json_object_get(root, "passed")) &&
          json_integer_value(json_object_get(root, "results_failed")) == 1, "port null, not passed, one failure");
    json_decref(root);
    free(json);

    char *xml = written(junit_writer, &s, &m);
    const char *failure = "<failure message=\"got &quot;x&quot; &amp; &lt;y&gt;&#10;line tab \xef\xbf\xbd\xef\xbf\xbd\">"
                          "got &quot;x&quot; &amp; &lt;y&gt;&#10;line tab \xef\xbf\xbd\xef\xbf\xbd&#10;call: threads 3"
                          "&#10;rerun: mha check --port 'a&lt;b&gt;.so' --case tiny_1x1_d1</failure>";
    CHECK(xml && strstr(xml, failure), "the JUnit failure escaped:\n%s", xml ? xml : "");
    CHECK(xml && strstr(xml, "<testsuite name=\"port\xef\xbf\xbd@avx2\" tests=\"1\" failures=\"1\" skipped=\"0\">"),
          "the suite's label repaired:\n%s", xml ? xml : "");
    free(xml);
    summary_free(&s);
}

int main(void)
{
    test_utf8_edges();
    test_hostile_strings();
    return tests_check_summary();
}
