/*
 * The checkasm driver (checkasm.h): options, the CPU levels, one result
 * line per kernel and ISA, and the --bench table.
 *
 * A table is checked at the lowest level of mha_cpu_levels() whose
 * features (what this CPU has, masked by the level) include what its ISA
 * needs; tables no level can run are listed as skipped. The kernels never
 * read the feature mask, so a table gives the same results at every level
 * that can run it: each is checked once.
 */
#include "checkasm.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const checkasm_family *const families[] = {&checkasm_vec,        &checkasm_row,       &checkasm_flash,
                                                   &checkasm_flash_lowp, &checkasm_flash_bf16, &checkasm_sgemm};
enum { FAMILIES = sizeof families / sizeof families[0] };

typedef struct options {
    const char *pattern; /* --test */
    uint64_t seed;       /* --seed */
    int bench;           /* --bench */
    int64_t exp_stride;  /* --exp-stride */
    double bench_ms;     /* --bench-ms */
} options;

/* The kernel being checked and the worst violation seen in it. */
typedef struct current {
    const char *family, *isa, *level, *kernel;
    int64_t failures;
    double worst;     /* excess |got - want| / bound of the reported violation; INFINITY for a hard failure */
    char message[256];
    char note[160];
} current;

static options opt = {NULL, 1, 0, 1, 100.0};
static current cur;
static mha_rng rng;
static int64_t kernels_run, kernels_failed;

/* ---- checking ---------------------------------------------------- */

double checkasm_gamma(int64_t n)
{
    return (double)n * CHECKASM_U / (1.0 - (double)n * CHECKASM_U);
}

int checkasm_begin(const char *kernel)
{
    char name[128];
    snprintf(name, sizeof name, "%s.%s", cur.family, kernel);
    if (opt.pattern && fnmatch(opt.pattern, name, 0) != 0)
        return 0;
    /* the inputs of a kernel depend only on the seed and its name: every
     * ISA gets the same ones, and --test does not change them */
    uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a */
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * UINT64_C(0x100000001b3);
    mha_rng_seed(&rng, opt.seed ^ h);
    cur.kernel = kernel;
    cur.failures = 0;
    cur.worst = 0.0;
    cur.message[0] = '\0';
    cur.note[0] = '\0';
    return 1;
}

/* Keeps the message of the violation with the largest excess (the first of equal ones). */
static void record(double excess, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void record(double excess, const char *fmt, ...)
{
    cur.failures++;
    if (cur.failures > 1 && !(excess > cur.worst))
        return;
    cur.worst = excess;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cur.message, sizeof cur.message, fmt, ap);
    va_end(ap);
}

int checkasm_near(const char *what, int64_t i, float got, double want, double bound)
{
    if (isnan(want) || isinf(want) || isnan(got) || isinf(got)) {
        if ((isnan(want) && isnan(got)) || (double)got == want)
            return 1;
        record(INFINITY, "%s[%" PRId64 "] = %a, expected %a", what, i, got, want);
        return 0;
    }
    const double err = fabs((double)got - want);
    if (err <= bound)
        return 1;
    record(err / bound, "%s[%" PRId64 "] = %.9g, expected %.9g within %.3g (off by %.3g)", what, i, got, want,
           bound, err);
    return 0;
}

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

int checkasm_same(const char *what, int64_t i, float got, float want)
{
    if ((isnan(got) && isnan(want)) || bits_of(got) == bits_of(want))
        return 1;
    record(INFINITY, "%s[%" PRId64 "] = %a, expected exactly %a", what, i, got, want);
    return 0;
}

int checkasm_intact(const char *what, int64_t i, float got)
{
    if (bits_of(got) == bits_of(checkasm_canary()))
        return 1;
    record(INFINITY, "%s[%" PRId64 "] written (%a), must be left alone", what, i, got);
    return 0;
}

void checkasm_fail(const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    record(INFINITY, "%s", text);
}

void checkasm_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cur.note, sizeof cur.note, fmt, ap);
    va_end(ap);
}

void checkasm_end(void)
{
    char name[128];
    snprintf(name, sizeof name, "%s.%s", cur.family, cur.kernel);
    kernels_run++;
    if (cur.failures == 0) {
        printf("%-24s %-7s %-8s ok%s%s\n", name, cur.isa, cur.level, cur.note[0] ? " " : "", cur.note);
        return;
    }
    kernels_failed++;
    printf("%-24s %-7s %-8s FAIL: %" PRId64 " wrong, worst: %s\n", name, cur.isa, cur.level, cur.failures,
           cur.message);
}

/* ---- inputs and buffers ------------------------------------------ */

mha_rng *checkasm_rng(void)
{
    return &rng;
}

float checkasm_rand(float scale)
{
    return mha_rng_uniform(&rng) * scale;
}

int64_t checkasm_rand_below(int64_t n)
{
    return (int64_t)(mha_rng_next(&rng) % (uint64_t)n);
}

float checkasm_canary(void)
{
    const uint32_t bits = 0x7fa5c3e1u; /* a quiet NaN with a payload */
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

float *checkasm_alloc(int64_t n)
{
    const size_t count = (size_t)(n + CHECKASM_GUARD);
    const size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes);
    if (!p) {
        fprintf(stderr, "checkasm: out of memory (%zu bytes)\n", bytes);
        exit(EXIT_FAILURE);
    }
    for (size_t i = 0; i < count; i++)
        p[i] = checkasm_canary();
    return p;
}

float *checkasm_random_floats(int64_t n, float scale)
{
    float *p = checkasm_alloc(n);
    for (int64_t i = 0; i < n; i++)
        p[i] = checkasm_rand(scale);
    return p;
}

void checkasm_free(void *p)
{
    free(p);
}

void checkasm_check_guard(const char *what, const float *buf, int64_t n)
{
    for (int64_t i = n; i < n + CHECKASM_GUARD; i++)
        checkasm_intact(what, i, buf[i]);
}

double checkasm_bench_ms(void)
{
    return opt.bench_ms;
}

void checkasm_current(char *name, size_t size, const char **isa)
{
    snprintf(name, size, "%s.%s", cur.family, cur.kernel);
    *isa = cur.isa;
}

int64_t checkasm_exp_stride(void)
{
    return opt.exp_stride;
}

/* ---- the driver -------------------------------------------------- */

static const char usage[] =
    "usage: checkasm [--test PATTERN] [--seed N] [--bench [--bench-ms MS]] [--exp-stride N]\n"
    "\n"
    "Calls every kernel of every kernel table (vec, row, flash, sgemm), for each\n"
    "ISA compiled in that this CPU runs, on random inputs and compares it with\n"
    "its reference; prints one line per kernel and ISA and exits 1 on any\n"
    "failure (docs/kernel-tests.md).\n"
    "\n"
    "  --test PATTERN   only kernels whose name (family.kernel, e.g. flash.qk_tile)\n"
    "                   matches the shell pattern, e.g. 'flash.*' or '*exp*'\n"
    "  --seed N         seed of the random inputs (default 1), 0 .. 2^64-1\n"
    "  --bench          also time each kernel against its C version (ns per call,\n"
    "                   median of alternating batches of at least 1 ms)\n"
    "  --bench-ms MS    time spent per kernel and ISA with --bench (default 100), 1 .. 60000\n"
    "  --exp-stride N   the exp sweep checks every N-th block of 256 consecutive\n"
    "                   floats in [-104, 89] (default 1: every float), 1 .. 65536\n"
    "  -h, --help       this help\n";

/* An integer option's value in [min, max], or exit 2 with the reason. */
static uint64_t parse_uint(const char *name, const char *text, uint64_t min, uint64_t max)
{
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(text, &end, 10);
    if (*text == '\0' || *text == '-' || *end != '\0' || errno == ERANGE || v < min || v > max) {
        fprintf(stderr, "checkasm: --%s %s: expected an integer from %" PRIu64 " to %" PRIu64 "\n", name, text, min,
                max);
        exit(2);
    }
    return v;
}

static void parse_options(int argc, char **argv)
{
    static const struct option longs[] = {
        {"test", required_argument, NULL, 't'},     {"seed", required_argument, NULL, 's'},
        {"bench", no_argument, NULL, 'b'},          {"bench-ms", required_argument, NULL, 'm'},
        {"exp-stride", required_argument, NULL, 'e'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    opterr = 0; /* the messages are ours */
    int c;
    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        switch (c) {
        case 't': opt.pattern = optarg; break;
        case 's': opt.seed = parse_uint("seed", optarg, 0, UINT64_MAX); break;
        case 'b': opt.bench = 1; break;
        case 'm': opt.bench_ms = (double)parse_uint("bench-ms", optarg, 1, 60000); break;
        case 'e': opt.exp_stride = (int64_t)parse_uint("exp-stride", optarg, 1, 65536); break;
        case 'h': fputs(usage, stdout); exit(0);
        case ':':
            fprintf(stderr, "checkasm: %s needs a value (see checkasm --help)\n", argv[optind - 1]);
            exit(2);
        default:
            fprintf(stderr, "checkasm: unknown option '%s' (see checkasm --help)\n", argv[optind - 1]);
            exit(2);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "checkasm: unexpected argument '%s' (see checkasm --help)\n", argv[optind]);
        exit(2);
    }
}

/* The lowest level whose features cover `need`; -1 if none. */
static int lowest_level(uint32_t need, uint32_t detected, const uint32_t *masks, int levels)
{
    for (int l = 0; l < levels; l++)
        if ((detected & masks[l] & need) == need)
            return l;
    return -1;
}

int main(int argc, char **argv)
{
    parse_options(argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0); /* each result line as it is known */
    const char *const *names;
    const uint32_t *masks;
    const int levels = mha_cpu_levels(&names, &masks);
    const uint32_t detected = mha_cpu_detected();
    char buf[256];
    printf("checkasm: seed %" PRIu64 ", CPU features: %s\n", opt.seed,
           detected ? mha_cpu_feature_names(detected, buf, sizeof buf) : "(baseline only)");

    for (int l = 0; l < levels; l++)
        for (int f = 0; f < FAMILIES; f++)
            for (int t = 0; t < families[f]->count; t++) {
                const checkasm_table *table = &families[f]->tables[t];
                if (lowest_level(table->features, detected, masks, levels) != l)
                    continue;
                cur = (current){.family = families[f]->name, .isa = table->isa, .level = names[l]};
                families[f]->check(table);
                if (opt.bench && families[f]->bench) {
                    const checkasm_table *first = &families[f]->tables[0];
                    families[f]->bench(table, first->isa && strcmp(first->isa, "c") == 0 ? first : NULL);
                }
            }
    for (int f = 0; f < FAMILIES; f++)
        for (int t = 0; t < families[f]->count; t++) {
            const checkasm_table *table = &families[f]->tables[t];
            if (lowest_level(table->features, detected, masks, levels) >= 0)
                continue;
            char name[64];
            snprintf(name, sizeof name, "%s.*", families[f]->name);
            printf("%-24s %-7s %-8s skipped: CPU lacks %s\n", name, table->isa, "-",
                   mha_cpu_feature_names(table->features & ~detected, buf, sizeof buf));
        }
    if (opt.pattern && kernels_run == 0) {
        fprintf(stderr, "checkasm: --test %s matches no kernel this CPU runs (see checkasm --help)\n", opt.pattern);
        return 2;
    }
    printf("checkasm: %" PRId64 " kernels checked, %" PRId64 " failed\n", kernels_run, kernels_failed);
    if (opt.bench)
        checkasm_bench_table();
    return kernels_failed ? 1 : 0;
}
