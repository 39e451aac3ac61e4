/*
 * `mha report` on the saved sample JSON under bench/testdata: the tables
 * hold the numbers computed by hand from the sample, malformed JSON and a
 * missing file get clear errors, an existing report folder is refused
 * without --force and its own files replaced with it.
 *
 * Hand computations (sample.json, point B 1, H 8, S 1024, Dh 64):
 *   FLOPs = 4 * 8 * 1024 * 1024 * 64 = 2147483648
 *   naive 100000 us -> 21.47 GFLOP/s, 21.5 % of the 100 GFLOP/s 2-core peak,
 *     42.9 % of its own level's (sse2, 50 GFLOP/s on 2 cores)
 *   flash_fake median(30000 us, 25 ms) = 0.0275 s -> 78.09 GFLOP/s, speedup 3.6x,
 *     spread (30 - 25) / 27.5 = 18 % (above 10 %: marked ~)
 *   S 4096: 4 * 8 * 4096^2 * 64 / 0.4 s = 85.90 GFLOP/s (the best attention figure)
 *   layer S 1024: (2147483648 + 2*1024*512*(4*512)) / 0.02 s = 214.75 GFLOP/s (own table only)
 *   decode Hkv 2, Skv 4096, Dh 128: bytes = 4 * (2*8*128 + 2*4096*2*128)
 *     = 8396800; naive 1000 us -> 8.40 GB/s; K+V = 8 MiB <= 32 MiB of L3: cache-resident
 *   sample_arm.json: naive 200 ms -> 10.74 GFLOP/s, 107.4 % of its 10 GFLOP/s peak (flagged)
 *   teaching: H 8 x Dh 64 (D 512): 4 D^2 = 1048576 -> "1.05 M"
 * sample_causal.json (S 1024, H 8, Dh 64, T2; times non-causal / causal):
 *   naive 100 / 60 ms, blas_fake 50 / 50 ms (workspace 32 MiB), flash_fake 27.5 / 16 ms (64 KiB)
 *   GFLOP/s non-causal: 78.09 flash_fake, 42.95 blas_fake, 21.47 naive; 50 / 27.5 = 1.8x, 100 / 27.5 = 3.6x
 *   one head's scores: 1024 * 1024 * 4 B = 4.0 MiB (blas_fake's 32 MiB holds them, flash_fake's 64 KiB not)
 *   causal: 27.5 / 16 = 1.72x in time, saving 1 - 16 / 27.5 = 42%; visible pairs 1024 * 1025 / 2 = 524800
 *     of 1048576, ideal 2048 / 1025 = 2.00x, saving 50%; blas_fake 1.00x
 *   intensity: 2147483648 FLOPs / (4 * 8 * 1024 * 64 * 4 B) = 256.0 FLOPs per byte; knee 100 / 20 = 5.0
 *   naive on 1 thread 190 ms: 190 / 100 = 1.90x on 2 threads; flash_fake fastest at 2 of the 3 prefill points
 *   (naive alone at T1); largest speedup over naive 60 / 16 = 3.75 -> 3.8x (causal)
 * sample.json paragraphs: flash_fake fastest at both prefill points of sample-x86; the highest share of peak
 *   is sample-arm's 107.4 %; the largest speedup 3.6x; the fastest layer 214.75 GFLOP/s; 1 of 2 checked
 *   implementations failed a case, the largest error 1.73 (flash_fake, gqa_causal_3)
 * sample_breakdown.json (GEMM-path breakdown, B 1 H 8 Dh 64, seconds per call; other = call - the three):
 *   blas_fake S=4096 T2: call 150 ms, QK^T 40 (26.7% -> 27%), softmax 76 (50.7% -> 51%), PV 30 (20%), other 4 (2.7%
 *     -> 3%); the fastest call at the largest S on the most threads; softmax / QK^T = 76 / 40 = 1.90x; 2 Dh = 128;
 *     score block 64 x 4096 x 4 B = 1.0 MiB > its 512 KiB L2; at S=128 softmax 0.1 of 0.5 ms = 20%
 *   gemm_fake S=4096 T2: repetitions 200, 210, 220 ms: the median one, 210 ms: 63 (30%), 79.8 (38%), 52.5 (25%),
 *     other 14.7 (7%); its attention run (clock off) 190 ms; softmax from 76 ms (blas_fake) to 79.8 ms (gemm_fake),
 *     QK^T from 40 ms (blas_fake) to 63 ms (gemm_fake); bars: the 4 timed entries at T2
 *   the same with blas_fake S=4096 T2 changed to 200 ms, QK^T 50, softmax 100, PV 30: 25%, 50%, 15%, 10%; 2.00x
 * A generated file with 12 implementations: every series keeps one colour in every plot, no two share it.
 * report.html: no http(s) reference, no <img>, <script> or <link>, every plot inline as <svg> with text.
 * usage: test_report MHA_EXE TESTDATA_DIR SCRATCH_DIR
 */
#include "check.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const char *mha, *data, *scratch;

/* Runs mha with args, stdout and stderr into scratch/out.txt; returns the exit status. */
static int run(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s '%s' report %s > '%s/out.txt' 2>&1", exe_wrapper(), mha, args, scratch);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = s ? fread(s, 1, (size_t)n, f) : 0;
    fclose(f);
    if (s)
        s[got] = '\0';
    return s;
}

static int file_has(const char *path, const char *text)
{
    char *s = slurp(path);
    int found = s && strstr(s, text) != NULL;
    if (!found)
        fprintf(stderr, "  %s lacks: %s\n", path, text);
    free(s);
    return found;
}

/* Occurrences of text in s. */
static int count(const char *s, const char *text)
{
    int n = 0;
    for (const char *p = s; s && (p = strstr(p, text)); p += strlen(text))
        n++;
    return n;
}

/* report.html beside the Markdown: self-contained, every plot of the manifest inline. */
static void html_checks(const char *rep)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/report.html", rep);
    char *html = slurp(path);
    CHECK(html != NULL, "no %s", path);
    if (!html)
        return;
    static const char *const banned[] = {"src=\"http", "href=\"http", "src='http", "href='http", "<img", "<script",
                                         "<link", "url(http"};
    for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
        CHECK(!strstr(html, banned[i]), "report.html holds '%s': not self-contained", banned[i]);
    snprintf(path, sizeof path, "%s/manifest.json", rep);
    json_error_t e;
    json_t *m = json_load_file(path, 0, &e), *files = json_object_get(m, "files");
    int plots = 0;
    size_t i;
    json_t *v;
    json_array_foreach(files, i, v) {
        const char *name = json_string_value(v);
        size_t n = strlen(name);
        if (n < 4 || strcmp(name + n - 4, ".svg") != 0)
            continue;
        plots++;
        char want[160];
        snprintf(want, sizeof want, "<figure id=\"%.*s\"><svg", (int)(n - 4), name);
        CHECK(strstr(html, want) != NULL, "report.html lacks %s inline", name);
    }
    json_decref(m);
    CHECK(plots >= 9, "manifest lists %d plots", plots);
    CHECK(count(html, "<svg") == plots, "report.html has %d <svg>, the manifest %d plots", count(html, "<svg"), plots);
    CHECK(count(html, "<text") >= 2 * plots, "the plots' text stays text (a title and a label or message each)");
    CHECK(strstr(html, "<table>") != NULL, "tables rendered");
    free(html);
}

/* The stroke colour of the series titled label in an SVG plot ("" when absent). */
static void series_colour(const char *svg, const char *label, char out[8])
{
    char want[128];
    snprintf(want, sizeof want, "<title>%s</title>", label);
    const char *at = svg ? strstr(svg, want) : NULL, *st = at ? strstr(at, "stroke=\"#") : NULL;
    snprintf(out, 8, "%.7s", st ? st + 8 : "");
}

/* 12 implementations, 2 points each: one colour per implementation, the same in both plots, all different. */
static void twelve(const char *rep_parent)
{
    char path[4096], cmd[8448];
    snprintf(path, sizeof path, "%s/twelve.json", rep_parent);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (!f)
        return;
    fprintf(f, "{\"context\": {\"host_name\": \"twelve\", \"mha_peak_gflops_1\": \"100\", "
               "\"mha_peak_gflops_all\": \"100\"}, \"benchmarks\": [");
    for (int k = 0; k < 24; k++)
        fprintf(f, "%s{\"name\": \"attn/impl_%02d/B:1/H:8/Hkv:8/Sq:%d/Skv:%d/Dh:64/causal:0/threads:1/real_time\", "
                   "\"run_type\": \"iteration\", \"iterations\": 1, \"real_time\": %d, \"time_unit\": \"ms\"}",
                k ? ", " : "", k / 2, k % 2 ? 1024 : 256, k % 2 ? 1024 : 256, 10 + k);
    fprintf(f, "]}\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' -o '%s/twelve'", path, rep_parent);
    CHECK(run(cmd) == 0, "report on 12 implementations failed");
    snprintf(path, sizeof path, "%s/twelve/gflops_vs_s_dh64.svg", rep_parent);
    char *a = slurp(path);
    snprintf(path, sizeof path, "%s/twelve/peak_pct_vs_s.svg", rep_parent);
    char *b = slurp(path);
    char colours[12][8];
    for (int k = 0; k < 12; k++) {
        char label[16], other[8];
        snprintf(label, sizeof label, "impl_%02d", k);
        series_colour(a, label, colours[k]);
        series_colour(b, label, other);
        CHECK(colours[k][0] == '#', "%s: no line in gflops_vs_s_dh64.svg", label);
        CHECK(strcmp(colours[k], other) == 0, "%s: %s in one plot, %s in another", label, colours[k], other);
        for (int j = 0; j < k; j++)
            CHECK(strcmp(colours[j], colours[k]) != 0, "impl_%02d and %s share colour %s", j, label, colours[k]);
    }
    free(a);
    free(b);
}

/* data/sample_breakdown.json with each (from, to) pair of edits applied, written to path; 0 or -1. */
static int edited_sample(const char *path, const char *const edits[][2], int n_edits)
{
    char src[4096];
    snprintf(src, sizeof src, "%s/sample_breakdown.json", data);
    char *s = slurp(src);
    FILE *f = s ? fopen(path, "w") : NULL;
    int rc = f ? 0 : -1;
    for (const char *p = s; f && *p;) {
        int k = 0;
        while (k < n_edits && strncmp(p, edits[k][0], strlen(edits[k][0])) != 0)
            k++;
        if (k < n_edits) {
            fputs(edits[k][1], f);
            p += strlen(edits[k][0]);
        } else {
            fputc(*p++, f);
        }
    }
    if (f && fclose(f) != 0)
        rc = -1;
    free(s);
    return rc;
}

/* The GEMM-path breakdown section: table, paragraph and bars from sample_breakdown.json; its numbers follow the
 * input; malformed phases are refused. */
static void breakdown(void)
{
    char cmd[10240], path[4096], out[4096];
    snprintf(out, sizeof out, "%s/out.txt", scratch);
    snprintf(cmd, sizeof cmd, "'%s/sample_breakdown.json' -o '%s/breakdown'", data, scratch);
    CHECK(run(cmd) == 0, "report on sample_breakdown.json failed");
    snprintf(path, sizeof path, "%s/breakdown/README.md", scratch);
    static const char *const rows[] = {
        "| blas_fake | S=128 H8 Dh=64 MHA T2 | 0.5 ms | 0.2 ms (40%) | 0.1 ms (20%) | 0.15 ms (30%) | 0.05 ms (10%) "
        "| - |",
        "| gemm_fake | S=128 H8 Dh=64 MHA T2 | 0.6 ms | 0.25 ms (42%) | 0.11 ms (18%) | 0.2 ms (33%) | 0.04 ms (7%) "
        "| - |",
        "| blas_fake | S=4096 H8 Dh=64 MHA T2 | 150 ms | 40 ms (27%) | 76 ms (51%) | 30 ms (20%) | 4 ms (3%) | - |",
        "| gemm_fake | S=4096 H8 Dh=64 MHA T2 | 210 ms | 63 ms (30%) | 79.8 ms (38%) | 52.5 ms (25%) | 14.7 ms (7%) | "
        "190 ms |",
        "| blas_fake | S=4096 H8 Dh=64 MHA T1 | skip | - | - | - | - | - |",
        "| gemm_fake | S=4096 H8 Dh=64 MHA T1 | 400 ms | 120 ms (30%) | 150 ms (38%) | 100 ms (25%) | 30 ms (7%) | - |",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        CHECK(file_has(path, rows[i]), "breakdown table row %zu", i);
    char *md = slurp(path);
    CHECK(count(md, "%) |") == 5 * 4 && count(md, "| gemm_fake | S=4096 H8 Dh=64 MHA T2 |") == 1,
          "one row per implementation and point: the median repetition only, the aggregate ignored");
    free(md);
    CHECK(file_has(path, "At S=4096 H8 Dh=64 MHA T2, the largest point timed, the fastest GEMM-path call is "
                         "blas_fake's at 150 ms: QKᵀ 27%, softmax 51%, PV 20% and 3% in no phase"),
          "breakdown paragraph: the shares at the largest point");
    CHECK(file_has(path, "Its softmax share is 20% at S=128 and 51% at S=4096."), "breakdown paragraph: share vs S");
    CHECK(file_has(path, "The softmax takes 1.90x the time of QKᵀ, which does 2·Dh = 128 FLOPs per score") &&
              file_has(path, "is 64 rows x 4096 keys x 4 B = 1.0 MiB, larger than this machine's 512 KiB L2."),
          "breakdown paragraph: softmax against QK^T, the score block against L2");
    CHECK(file_has(path, "here it takes from 76 ms (blas_fake) to 79.8 ms (gemm_fake); QKᵀ, each one's own product, "
                         "from 40 ms (blas_fake) to 63 ms (gemm_fake)."),
          "breakdown paragraph: the shared softmax against the products");
    snprintf(path, sizeof path, "%s/breakdown/breakdown.svg", scratch);
    char *svg = slurp(path);
    CHECK(count(svg, "class=\"bar\"") == 4, "breakdown.svg: %d bars, expected the 4 timed at 2 threads",
          count(svg, "class=\"bar\""));
    CHECK(svg && strstr(svg, "(2 threads)") && strstr(svg, ">QKᵀ<") && strstr(svg, ">other<"),
          "breakdown.svg: the thread count in the title, the phases in the legend");
    CHECK(svg && strstr(svg, "<title>S=4096 H8 Dh=64 MHA T2  blas_fake: softmax 76 ms (51%)</title>"),
          "breakdown.svg: a part's hover text");
    free(svg);
    snprintf(path, sizeof path, "%s/breakdown/report.html", scratch);
    CHECK(file_has(path, "<figure id=\"breakdown\"><svg"), "breakdown.svg inline in report.html");

    /* other numbers in, other numbers out */
    static const char *const changed[][2] = {{"\"real_time\": 150000.0", "\"real_time\": 200000.0"},
                                             {"\"qk_seconds\": 0.04,", "\"qk_seconds\": 0.05,"},
                                             {"\"softmax_seconds\": 0.076", "\"softmax_seconds\": 0.1"}};
    snprintf(path, sizeof path, "%s/breakdown_changed.json", scratch);
    CHECK(edited_sample(path, changed, 3) == 0, "cannot write %s", path);
    snprintf(cmd, sizeof cmd, "'%s' -o '%s/breakdown_changed'", path, scratch);
    CHECK(run(cmd) == 0, "report on %s failed", path);
    snprintf(path, sizeof path, "%s/breakdown_changed/README.md", scratch);
    CHECK(file_has(path, "blas_fake's at 200 ms: QKᵀ 25%, softmax 50%, PV 15% and 10% in no phase") &&
              file_has(path, "The softmax takes 2.00x the time of QKᵀ") &&
              file_has(path, "from 79.8 ms (gemm_fake) to 100 ms (blas_fake); QKᵀ, each one's own product, from 50 ms "
                             "(blas_fake) to 63 ms (gemm_fake)."),
          "the breakdown paragraph follows the input's numbers");

    /* a missing phase; phases longer than the call */
    static const char *const missing[][2] = {{"\"softmax_seconds\": 0.076", "\"softmax\": 0.076"}};
    static const char *const longer[][2] = {{"\"real_time\": 150000.0", "\"real_time\": 100000.0"}};
    snprintf(path, sizeof path, "%s/breakdown_bad.json", scratch);
    CHECK(edited_sample(path, missing, 1) == 0, "cannot write %s", path);
    snprintf(cmd, sizeof cmd, "'%s' -o '%s/never'", path, scratch);
    CHECK(run(cmd) == 1 && file_has(out, "breakdown_bad.json: benchmark \"breakdown/blas_fake/B:1/H:8/Hkv:8/Sq:4096/"
                                         "Skv:4096/Dh:64/causal:0/threads:2/real_time\": expected \"softmax_seconds\", "
                                         "a number of seconds >= 0"),
          "a breakdown without softmax_seconds is refused, naming the file, the benchmark and the key");
    CHECK(edited_sample(path, longer, 1) == 0, "cannot write %s", path);
    CHECK(run(cmd) == 1 && file_has(out, "the phases add up to 0.146 s, more than the call's 0.1 s"),
          "phases longer than the call are refused");
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_report MHA_EXE TESTDATA_DIR SCRATCH_DIR\n");
        return 2;
    }
    mha = argv[1], data = argv[2], scratch = argv[3];
    char cmd[4096], rep[2048], path[4096], out[2048];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/report' '%s/causal' '%s/twelve' '%s'/breakdown* && mkdir -p '%s'", scratch,
             scratch, scratch, scratch, scratch);
    CHECK(system(cmd) == 0, "cannot prepare %s", scratch);
    snprintf(rep, sizeof rep, "%s/report", scratch);
    snprintf(out, sizeof out, "%s/out.txt", scratch);

    /* two machines and a conformance summary */
    snprintf(cmd, sizeof cmd,
             "'%s/sample.json' '%s/sample_arm.json' '%s/sample_run_info.json' --check '%s/sample_check.json' -o '%s'",
             data, data, data, data, rep);
    CHECK(run(cmd) == 0, "report on the sample failed");
    snprintf(path, sizeof path, "%s/README.md", rep);
    CHECK(file_has(path, "| point | naive @ sample-x86 | naive @ sample-arm | flash_fake @ sample-x86 |"),
          "GFLOP/s table header: one column per implementation and machine");
    CHECK(file_has(path, "| S=1024 H8 Dh=64 MHA T2 | 21.47 | 10.74 | **78.09 ~** |"), "GFLOP/s row (median)");
    CHECK(file_has(path, "| S=1024 H8 Dh=64 MHA T2 | 21.5 | **107.4 (!)** | 78.1 ~ |"), "percent of peak row");
    CHECK(file_has(path, "(!) above 100%: faster than the probe's best run"), "the note on figures above 100 percent");
    CHECK(file_has(path, "| S=1024 H8 Dh=64 MHA T2 | 42.9 | **78.1 ~** |"), "percent of own ISA peak row");
    CHECK(file_has(path, "| avx2 (machine peak) | fp32 FMA | 50.0 (49.0, 47.0) | 100.0 (98.0, 90.0) |"),
          "per-ISA peak table");
    CHECK(file_has(path, "L3 32 MiB (assumed)"), "cache size source");
    CHECK(file_has(path, "at the start of the run 1.50 1.00 0.50, at its end 2.50 2.00 1.00"),
          "load average of the run (sample_run_info.json, a file without benchmarks)");
    CHECK(file_has(path, "Peers skipped: torch: not requested"), "skipped peers named");
    CHECK(file_has(path, "OpenBLAS: kernels for core Zen (OpenBLAS 0.3.21 DYNAMIC_ARCH Zen); OPENBLAS_CORETYPE Haswell."),
          "Debian OpenBLAS's core and the OPENBLAS_CORETYPE in effect");
    CHECK(file_has(path, "OpenBLAS from PyPI (blas_scipy): kernels for core Haswell (OpenBLAS 0.3.34.481.3 DYNAMIC_ARCH "
                         "Haswell); OPENBLAS_CORETYPE Haswell."),
          "PyPI OpenBLAS's core");
    CHECK(file_has(path, "oneMKL (blas_mkl): oneMKL 2026.2 sample; code path for Intel(R) Architecture processors."),
          "oneMKL's version and code path");
    CHECK(file_has(path, "| S=1024 H8 Dh=64 MHA T2 | - | **3.6x ~** |"), "speedup row");
    CHECK(file_has(path, "| decode Skv=4096 H8 Dh=128 GQA 8/2 T1 | 8.0 MiB | 8.4 LLC | - | 16.8 LLC |"),
          "decode GB/s row, cache-resident");
    CHECK(file_has(path, "| flash_fake @ sample-x86 | 3 | 0 | 0 | 3 of 3 | 85.90 | S=4096 H8 Dh=64 MHA T2 |"),
          "summary: attention figures only");
    CHECK(file_has(path, "| S=1024 H8 Dh=64 MHA T2 | **214.75** |"), "full layer in its own table");
    CHECK(file_has(path, "| flash_fake @ sample-x86 | S=1024 H8 Dh=64 MHA T2 | 2 | 27.5 ms | 25 ms | 30 ms | 18% |"),
          "wide spread listed");
    CHECK(file_has(path, "| S=4096 H8 Dh=64 MHA T2 | skip |"), "skipped point shown as skip");
    CHECK(file_has(path, "On sample-x86, flash_fake @ sample-x86 is the fastest at 2 of the 2 prefill points timed"),
          "GFLOP/s paragraph: wins");
    CHECK(file_has(path, "The highest share of the measured peak is 107.4%: naive @ sample-arm at S=1024 H8 Dh=64 MHA T2."),
          "peak paragraph");
    CHECK(file_has(path, "The largest speedup over naive is 3.6x: flash_fake @ sample-x86 at S=1024 H8 Dh=64 MHA T2 "
                         "(naive 100 ms, flash_fake @ sample-x86 27.5 ms)."), "speedup paragraph");
    CHECK(file_has(path, "The fastest full layer (projections and attention) is flash_fake @ sample-x86 at S=1024 H8 "
                         "Dh=64 MHA T2: 214.75 GFLOP/s."), "full layer paragraph");
    CHECK(file_has(path, "1 of 2 checked implementations failed a case; the largest error is 1.73 times naive's "
                         "(flash_fake, case gqa_causal_3)."), "accuracy paragraph (naive's skipped bf16 case is no failure)");
    CHECK(file_has(path, "| naive | 2 | 0 | 1.00 |"), "accuracy row of naive: its skipped bf16 case neither counted nor failed");
    CHECK(file_has(path, "| flash_fake | 4 | 1 | 1.73 | gqa_causal_3 | 78.09 | 3.6x |"),
          "accuracy row, with GFLOP/s and the speedup over naive at the headline point (S=1024 T2)");
    CHECK(file_has(path, "| grid H 8 x Dh 64 | 512 | 8 | 64 | 1.05 M |"), "parameter table: 4 D^2 for D 512");
    CHECK(file_has(path, "| seeds' toy | 4 | 64 | 1024 | 16x |"), "the seeds' 16x");
    snprintf(path, sizeof path, "%s/results.csv", rep);
    CHECK(file_has(path, "sample-x86,flash_fake,attn,1,8,8,1024,1024,64,0,2,0.0275,78.0903,"), "CSV row");
    CHECK(file_has(path, "\"ok\",2,0.025,0.03,78.09,1,fp32,,\n"),
          "CSV row: repetitions, fastest, slowest, own-ISA %%, resident, dtype, no error measured");
    snprintf(path, sizeof path, "%s/gflops_vs_s_dh64.svg", rep);
    CHECK(file_has(path, "<polyline") && file_has(path, "flash_fake @ sample-x86"), "GFLOP/s plot with a line");
    snprintf(path, sizeof path, "%s/roofline.svg", rep);
    CHECK(file_has(path, "roof avx2 100 GFLOP/s, 20.0 GB/s") && file_has(path, "roof sse2 50 GFLOP/s"),
          "roofline with a roof per ISA level");
    snprintf(path, sizeof path, "%s/workspace_vs_s.svg", rep);
    CHECK(file_has(path, "KiB"), "workspace plot labels bytes");
    snprintf(path, sizeof path, "%s/peak_pct_vs_s.svg", rep);
    CHECK(file_has(path, "<g id=\"peak_pct_vs_s-hline\"") && file_has(path, "100% of the peak"),
          "a 100%% line on the peak plot");
    CHECK(file_has(path, "(Dh 64, MHA, non-causal, 2 threads)"), "the thread count in the title");
    html_checks(rep);
    snprintf(path, sizeof path, "%s/manifest.json", rep);
    json_error_t e;
    json_t *m = json_load_file(path, 0, &e);
    CHECK(m != NULL, "manifest.json does not parse: %s", e.text);
    if (m) {
        CHECK(json_array_size(json_object_get(m, "machines")) == 2, "manifest lists 2 machines");
        CHECK(json_array_size(json_object_get(m, "results_summary")) == 3, "manifest summarises 3 series");
        json_decref(m);
    }

    /* the paragraphs and the causal table, on a sample with causal twins */
    snprintf(cmd, sizeof cmd, "'%s/sample_causal.json' -o '%s/causal'", data, scratch);
    CHECK(run(cmd) == 0, "report on sample_causal.json failed");
    snprintf(path, sizeof path, "%s/causal/README.md", scratch);
    CHECK(file_has(path, "At S=1024 H8 Dh=64 MHA T2, the largest point timed by two or more implementations, "
                         "flash_fake is the fastest: 78.09 GFLOP/s, 1.8x blas_fake (42.95 GFLOP/s) and 3.6x naive "
                         "(21.47 GFLOP/s)."), "summary paragraph: fastest, its ratios");
    CHECK(file_has(path, "The score matrix QKᵀ of one head is Sq x Skv x 4 bytes = 4.0 MiB here; flash_fake never holds "
                         "the whole score matrix: its workspace is 64 KiB, while blas_fake asks for a 32 MiB workspace"),
          "summary paragraph: the score matrix from the shape against the workspaces");
    CHECK(file_has(path, "A causal mask leaves 524800 of the 1048576 (query, key) pairs visible, so skipping the masked "
                         "ones could make a call 2.00x faster in time. At S=1024 H8 Dh=64 MHA causal T2, causal "
                         "flash_fake takes 16 ms against 27.5 ms non-causal: 1.72x faster; blas_fake is 1.00x"),
          "causal paragraph in time");
    CHECK(file_has(path, "| flash_fake | S=1024 H8 Dh=64 MHA causal T2 | 27.5 ms | 16 ms | 1.72x | 2.00x | 42% | 50% |"),
          "causal table row");
    CHECK(file_has(path, "256.0 FLOPs per byte of Q, K, V and O, above the knee at 5.0"), "roofline paragraph");
    CHECK(file_has(path, "The best scaling: naive takes 190 ms on one thread and 100 ms on 2 at S=1024 H8 Dh=64 MHA T2, "
                         "1.90x faster (ideal 2x)."), "thread scaling paragraph");
    CHECK(file_has(path, "flash_fake is the fastest at 2 of the 3 prefill points"), "wins counted per point");
    CHECK(file_has(path, "The largest speedup over naive is 3.8x: flash_fake at S=1024 H8 Dh=64 MHA causal T2"),
          "speedup paragraph over causal points too");
    snprintf(path, sizeof path, "%s/causal/causal.svg", scratch);
    CHECK(file_has(path, "Causal speedup in time") && file_has(path, "<title>flash_fake</title>"),
          "causal plot in time with a line per implementation");
    twelve(scratch);
    breakdown();

    /* an existing folder is refused without --force and left alone */
    snprintf(path, sizeof path, "%s/sentinel", rep);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (f)
        fclose(f);
    snprintf(cmd, sizeof cmd, "'%s/sample.json' -o '%s'", data, rep);
    CHECK(run(cmd) == 1, "existing folder without --force must fail");
    CHECK(file_has(out, "already exists") && file_has(out, "--force"), "the refusal names --force");
    struct stat st;
    CHECK(stat(path, &st) == 0, "the refused run must not touch the old report");
    snprintf(cmd, sizeof cmd, "'%s/sample.json' -o '%s' --force", data, rep);
    CHECK(run(cmd) == 0, "--force must replace the report");
    CHECK(stat(path, &st) == 0, "--force keeps a file its manifest does not list (the sentinel)");
    snprintf(path, sizeof path, "%s/README.md", rep);
    CHECK(file_has(path, "No conformance summary given"), "--force replaced README.md (no --check this time)");
    CHECK(file_has(path, "No breakdown in these results (`mha-bench --breakdown`"), "no breakdown input: said so");

    /* malformed JSON: file, line, column */
    snprintf(cmd, sizeof cmd, "'%s/malformed.json' -o '%s/never'", data, scratch);
    CHECK(run(cmd) == 1, "malformed JSON must fail");
    CHECK(file_has(out, "malformed.json:4:49: malformed JSON"), "malformed JSON error names file:line:column");
    snprintf(path, sizeof path, "%s/never", scratch);
    CHECK(stat(path, &st) != 0, "no report folder after an error");

    /* a missing file */
    snprintf(cmd, sizeof cmd, "'%s/no-such-file.json' -o '%s/never'", data, scratch);
    CHECK(run(cmd) == 1, "missing file must fail");
    CHECK(file_has(out, "no-such-file.json: cannot open: No such file or directory"), "missing file error");

    /* not benchmark JSON, and usage errors */
    snprintf(cmd, sizeof cmd, "'%s/sample_check.json' -o '%s/never'", data, scratch);
    CHECK(run(cmd) == 1 && file_has(out, "expected Google Benchmark JSON"), "wrong kind of JSON");
    snprintf(cmd, sizeof cmd, "'%s/sample.json'", data);
    CHECK(run(cmd) == 2 && file_has(out, "expected -o DIR"), "missing -o is a usage error");
    CHECK(run("--help") == 0 && file_has(out, "usage: mha report"), "--help");
    return check_summary();
}
