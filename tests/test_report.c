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

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_report MHA_EXE TESTDATA_DIR SCRATCH_DIR\n");
        return 2;
    }
    mha = argv[1], data = argv[2], scratch = argv[3];
    char cmd[4096], rep[2048], path[4096], out[2048];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/report' && mkdir -p '%s'", scratch, scratch);
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
    CHECK(file_has(path, "| flash_fake | 4 | 1 | 1.73 | gqa_causal_3 |"), "accuracy row");
    CHECK(file_has(path, "| grid H 8 x Dh 64 | 512 | 8 | 64 | 1.05 M |"), "parameter table: 4 D^2 for D 512");
    CHECK(file_has(path, "| seeds' toy | 4 | 64 | 1024 | 16x |"), "the seeds' 16x");
    snprintf(path, sizeof path, "%s/results.csv", rep);
    CHECK(file_has(path, "sample-x86,flash_fake,attn,1,8,8,1024,1024,64,0,2,0.0275,78.0903,"), "CSV row");
    CHECK(file_has(path, "\"ok\",2,0.025,0.03,78.09,1\n"), "CSV row: repetitions, fastest, slowest, own-ISA %%, resident");
    snprintf(path, sizeof path, "%s/gflops_vs_s_dh64.svg", rep);
    CHECK(file_has(path, "<polyline") && file_has(path, "flash_fake @ sample-x86"), "GFLOP/s plot with a line");
    snprintf(path, sizeof path, "%s/roofline.svg", rep);
    CHECK(file_has(path, "roof avx2 100 GFLOP/s, 20.0 GB/s") && file_has(path, "roof sse2 50 GFLOP/s"),
          "roofline with a roof per ISA level");
    snprintf(path, sizeof path, "%s/workspace_vs_s.svg", rep);
    CHECK(file_has(path, "KiB"), "workspace plot labels bytes");
    snprintf(path, sizeof path, "%s/manifest.json", rep);
    json_error_t e;
    json_t *m = json_load_file(path, 0, &e);
    CHECK(m != NULL, "manifest.json does not parse: %s", e.text);
    if (m) {
        CHECK(json_array_size(json_object_get(m, "machines")) == 2, "manifest lists 2 machines");
        CHECK(json_array_size(json_object_get(m, "results_summary")) == 3, "manifest summarises 3 series");
        json_decref(m);
    }

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
