/*
 * `mha report`'s "Accuracy against speed, per dtype" on bench/testdata/sample_dtype.json.
 *
 * Hand computations (point B 1, H 8, S 1024, Dh 64, T1: 4 * 8 * 1024^2 * 64 = 2147483648 FLOPs):
 *   fp32: naive 100 ms -> 21.47 GFLOP/s, error 5e-8 of bound 1e-4 -> 0.0005; flash_fake 25 ms -> 85.90, 8e-8
 *   bf16: naive 90 ms -> 23.86, 2e-3 / 7.9e-3 = 0.253; flash_fake 20 ms -> 107.37, 3e-3 / 7.9e-3 = 0.38;
 *         torch_sdpa 40 ms -> 53.69, 4e-3 / 1.18e-2 = 0.339; flash_fake is 40 / 20 = 2.0x torch_sdpa
 *   fp16: flash_fake 22 ms -> 97.61, 4e-4 / 1e-3 = 0.4
 *   largest bf16 error 4e-3 = 50000x the largest fp32 one (8e-8); fp16 4e-4 = 5000x
 *   left out: the fp32 point S 512 (no bf16 or fp16 run there), a skipped bf16 run and one without
 *   a measured error (S 2048)
 * Were bf16 runs merged with fp32 runs of the same shape, naive's fp32 time would be the median of
 * 100 and 90 ms (22.61 GFLOP/s), not 21.47.
 * A bf16 decode step, Skv 4096, Hkv 2, Dh 128: K and V are 2 * 2 B * 4096 * 2 * 128 = 4.0 MiB.
 * Plot: 6 (implementation, dtype) series; an implementation's colour is the one it has in every
 * other plot; fp32 circles, bf16 and fp16 other markers; the PNG is the SVG's size times 2.
 * usage: test_report_dtype MHA_EXE TESTDATA_DIR SCRATCH_DIR
 */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const char *mha, *data, *scratch;

/* mha report ARGS, output into scratch/out.txt; the exit status. */
static int report(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s '%s' report %s > '%s/out.txt' 2>&1", exe_wrapper(), mha, args, scratch);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The file scratch/name, whole, NUL-terminated (NULL when it cannot be read). */
static char *read_scratch(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", scratch, name);
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long size = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (size >= 0 && fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)size + 1)))
        text[fread(text, 1, (size_t)size, f)] = '\0';
    if (f)
        fclose(f);
    return text;
}

static int occurrences(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; p && (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

/* The text of the group titled label in an SVG plot, up to its </g> (empty when absent). */
static void series_group(const char *svg, const char *label, char *out, size_t size)
{
    char want[160];
    snprintf(want, sizeof want, "<title>%s</title>", label);
    const char *at = svg ? strstr(svg, want) : NULL, *end = at ? strstr(at, "</g>") : NULL;
    snprintf(out, size, "%.*s", end ? (int)(end - at) : 0, at ? at : "");
}

static void stroke_of(const char *group, char out[8])
{
    const char *st = strstr(group, "stroke=\"#");
    snprintf(out, 8, "%.7s", st ? st + 8 : "");
}

static unsigned be32(const unsigned char *p)
{
    return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

static void section_checks(void)
{
    char *md = read_scratch("rep/README.md");
    const char *sec = md ? strstr(md, "## Accuracy against speed, per dtype\n") : NULL;
    CHECK(sec != NULL, "README.md has no per-dtype section");
    if (!sec) {
        free(md);
        return;
    }
    char *end = strstr(sec + 3, "\n## ");
    if (end)
        *end = '\0';
    CHECK(occurrences(sec, "\n| ") == 2 + 6, "the table: a header, a rule and 6 runs, got %d lines",
          occurrences(sec, "\n| ") - 2);
    static const char *const rows[] = {
        "| naive | fp32 | S=1024 H8 Dh=64 MHA T1 | 100000.0 | 21.47 | 5e-08 | 0.0005 |",
        "| flash_fake | fp32 | S=1024 H8 Dh=64 MHA T1 | 25000.0 | 85.90 | 8e-08 | 0.0008 |",
        "| naive | bf16 | S=1024 H8 Dh=64 MHA T1 | 90000.0 | 23.86 | 0.002 | 0.253 |",
        "| flash_fake | bf16 | S=1024 H8 Dh=64 MHA T1 | 20000.0 | 107.37 | 0.003 | 0.38 |",
        "| torch_sdpa | bf16 | S=1024 H8 Dh=64 MHA T1 | 40000.0 | 53.69 | 0.004 | 0.339 |",
        "| flash_fake | fp16 | S=1024 H8 Dh=64 MHA T1 | 22000.0 | 97.61 | 0.0004 | 0.4 |",
    };
    for (int i = 0; i < 6; i++)
        CHECK(strstr(sec, rows[i]) != NULL, "row missing: %s", rows[i]);
    CHECK(!strstr(sec, "S=512") && !strstr(sec, "S=2048"),
          "a point without bf16/fp16 runs, a skipped run and one without an error stay out");
    CHECK(strstr(sec, "In bf16, at S=1024 H8 Dh=64 MHA T1, flash_fake is the fastest: 107.37 GFLOP/s with a max "
                      "abs error of 0.003; torch_sdpa follows at 53.69 GFLOP/s (2.0x slower) with 0.004. Over the 3 "
                      "bf16 runs the max abs error goes from 0.002 (naive) to 0.004 (torch_sdpa), 50000x the largest "
                      "fp32 error at the same points (8e-08).") != NULL,
          "the bf16 sentence");
    CHECK(strstr(sec, "In fp16, at S=1024 H8 Dh=64 MHA T1, flash_fake is the fastest: 97.61 GFLOP/s with a max abs "
                      "error of 0.0004. It is the only fp16 run; its error is 5000x the largest fp32 error at the same "
                      "points (8e-08).") != NULL,
          "the fp16 sentence");
    CHECK(strstr(sec, "![accuracy against speed, per dtype](dtype_accuracy.svg)") != NULL, "the plot");
    if (end)
        *end = '\n';
    char *csv = read_scratch("rep/results.csv");
    CHECK(csv && strstr(csv, ",kv_cache_resident,dtype,max_abs_error,error_bound\n"), "CSV header");
    CHECK(csv && strstr(csv, "sample-dtype,torch_sdpa,attn,1,8,8,1024,1024,64,0,1,0.04,53.6871,") &&
              strstr(csv, ",bf16,0.004,0.0118\n"),
          "CSV: the bf16 run with its error and bound");
    free(csv);
    /* the GFLOP/s table keeps a bf16 row apart from the fp32 row of the same shape */
    CHECK(strstr(md, "| S=1024 H8 Dh=64 MHA T1 | 21.47 | **85.90** | - |") != NULL, "fp32 row, naive not merged");
    CHECK(strstr(md, "| S=1024 H8 Dh=64 MHA T1 bf16 | 23.86 | **107.37** | 53.69 |") != NULL, "bf16 row");
    free(md);
}

static void plot_checks(void)
{
    char *svg = read_scratch("rep/dtype_accuracy.svg"), *other = read_scratch("rep/gflops_vs_s_dh64.svg");
    CHECK(svg && occurrences(svg, "class=\"series\"") == 6, "6 (implementation, dtype) series, got %d",
          occurrences(svg, "class=\"series\""));
    char g32[4096], g16[4096], gbf[4096], gother[4096], c32[8], c16[8], cbf[8], cother[8];
    series_group(svg, "flash_fake fp32", g32, sizeof g32);
    series_group(svg, "flash_fake bf16", gbf, sizeof gbf);
    series_group(svg, "flash_fake fp16", g16, sizeof g16);
    series_group(other, "flash_fake", gother, sizeof gother);
    stroke_of(g32, c32), stroke_of(gbf, cbf), stroke_of(g16, c16), stroke_of(gother, cother);
    CHECK(c32[0] == '#' && !strcmp(c32, cbf) && !strcmp(c32, c16) && !strcmp(c32, cother),
          "flash_fake: one colour for every dtype and as in gflops_vs_s_dh64.svg (%s %s %s, %s)", c32, cbf, c16,
          cother);
    CHECK(strstr(g32, "<circle") && !strstr(gbf, "<circle") && !strstr(g16, "<circle"),
          "fp32 circles, bf16 and fp16 other markers");
    CHECK(strcmp(gbf, g16) != 0, "bf16 and fp16 differ");
    char gnaive[4096], cnaive[8];
    series_group(svg, "naive bf16", gnaive, sizeof gnaive);
    stroke_of(gnaive, cnaive);
    CHECK(cnaive[0] == '#' && strcmp(cnaive, cbf) != 0, "naive and flash_fake differ in colour");
#ifdef MHA_HAVE_CAIRO
    char path[4096];
    snprintf(path, sizeof path, "%s/rep/dtype_accuracy.png", scratch);
    FILE *f = fopen(path, "rb");
    unsigned char head[24] = {0};
    CHECK(f && fread(head, 1, 24, f) == 24 && memcmp(head + 1, "PNG", 3) == 0, "dtype_accuracy.png is no PNG");
    if (f)
        fclose(f);
    double w = 0, h = 0;
    const char *at = svg ? strstr(svg, "<svg") : NULL;
    CHECK(at && sscanf(at, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%lf\" height=\"%lf\"", &w, &h) == 2,
          "SVG size not found");
    CHECK(be32(head + 16) == (unsigned)(2 * w + 0.5) && be32(head + 20) == (unsigned)(2 * h + 0.5),
          "PNG %ux%u, SVG %gx%g: expected twice", be32(head + 16), be32(head + 20), w, h);
#else
    (void)be32;
    SKIP("built without cairo: no PNG");
#endif
    free(svg);
    free(other);
    char *html = read_scratch("rep/report.html");
    CHECK(html && strstr(html, "<h2>Accuracy against speed, per dtype</h2>") &&
              strstr(html, "<figure id=\"dtype_accuracy\"><svg"),
          "report.html: the section and the plot inline");
    free(html);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_report_dtype MHA_EXE TESTDATA_DIR SCRATCH_DIR\n");
        return 2;
    }
    mha = argv[1], data = argv[2], scratch = argv[3];
    char cmd[8192], out[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", scratch, scratch);
    CHECK(system(cmd) == 0, "cannot prepare %s", scratch);

    snprintf(cmd, sizeof cmd, "'%s/sample_dtype.json' -o '%s/rep'", data, scratch);
    CHECK(report(cmd) == 0, "report on sample_dtype.json failed");
    section_checks();
    plot_checks();

    /* an fp32 run of another machine at the same point: no baseline of this machine's bf16 runs */
    snprintf(cmd, sizeof cmd,
             "printf '{\"context\": {\"host_name\": \"other\"}, \"benchmarks\": [{\"name\": \"attn/naive/B:1/H:8/"
             "Hkv:8/Sq:1024/Skv:1024/Dh:64/causal:0/threads:1\", \"real_time\": 50, \"time_unit\": \"ms\", "
             "\"max_abs_error\": 6e-8, \"error_bound\": 1e-4}]}' > '%s/other.json'",
             scratch);
    CHECK(system(cmd) == 0, "cannot write other.json");
    snprintf(cmd, sizeof cmd, "'%s/sample_dtype.json' '%s/other.json' -o '%s/two'", data, scratch, scratch);
    CHECK(report(cmd) == 0, "report on two machines failed");
    char *two = read_scratch("two/README.md");
    CHECK(two && strstr(two, "| naive @ sample-dtype | fp32 | S=1024 H8 Dh=64 MHA T1 |") &&
              !strstr(two, "| naive @ other | fp32 |"),
          "the other machine's fp32 run is no baseline");
    free(two);

    /* without bf16 or fp16 runs: the section says so */
    snprintf(cmd, sizeof cmd, "'%s/sample.json' -o '%s/plain'", data, scratch);
    CHECK(report(cmd) == 0, "report on sample.json failed");
    char *md = read_scratch("plain/README.md");
    CHECK(md && strstr(md, "No bf16 or fp16 run with a measured error in these results"), "the empty section");
    free(md);

    /* a bf16 decode step reads K and V of 2-byte elements: 2 * 2 B * 4096 * 2 * 128 = 4.0 MiB (fp32: 8.0) */
    snprintf(cmd, sizeof cmd,
             "printf '{\"benchmarks\": [{\"name\": \"attn/x/B:1/H:8/Hkv:2/Sq:1/Skv:4096/Dh:128/causal:1/threads:1/"
             "dtype:bf16\", \"real_time\": 1, \"time_unit\": \"ms\"}]}' > '%s/decode.json'",
             scratch);
    CHECK(system(cmd) == 0, "cannot write decode.json");
    snprintf(cmd, sizeof cmd, "'%s/decode.json' -o '%s/decode'", scratch, scratch);
    CHECK(report(cmd) == 0, "report on a bf16 decode run failed");
    md = read_scratch("decode/README.md");
    CHECK(md && strstr(md, "reads all of K and V for one query: 4.0 MiB at decode Skv=4096 H8 Dh=128 GQA 8/2 T1 bf16"),
          "the decode paragraph counts bf16 K and V");
    CHECK(md && strstr(md, "| decode Skv=4096 H8 Dh=128 GQA 8/2 T1 bf16 | 4.0 MiB |"), "the decode table's K+V");
    free(md);

    /* a dtype that is none, an error that is no number: refused, naming the benchmark and the field */
    static const char *const bad[][2] = {
        {"\"name\": \"attn/x/B:1/H:1/Hkv:1/Sq:4/Skv:4/Dh:8/causal:0/threads:1/dtype:bf8\", \"real_time\": 1",
         "dtype:bf8 is not a dtype (expected fp32, bf16 or fp16)"},
        {"\"name\": \"attn/x/B:1/H:1/Hkv:1/Sq:4/Skv:4/Dh:8/causal:0/threads:1\", \"real_time\": 1, "
         "\"max_abs_error\": \"small\"",
         "\"max_abs_error\" is not a number >= 0"},
    };
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd, "printf '{\"benchmarks\": [{%%s}]}' '%s' > '%s/bad.json'", bad[i][0], scratch);
        CHECK(system(cmd) == 0, "cannot write bad.json");
        snprintf(cmd, sizeof cmd, "'%s/bad.json' -o '%s/bad'", scratch, scratch);
        CHECK(report(cmd) != 0, "bad input %d accepted", i);
        snprintf(cmd, sizeof cmd, "cat '%s/out.txt'", scratch);
        check_run(cmd, out, sizeof out);
        CHECK(strstr(out, bad[i][1]) != NULL, "message lacks '%s': %s", bad[i][1], out);
    }
    return check_summary();
}
