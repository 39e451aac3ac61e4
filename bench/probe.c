/* The machine probe; see probe.h. */
#include "probe.h"
#include "cache_info.h"
#include "mha.h"
#include "omp_settle.h"
#include "probe_loops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static double wall_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU time of the calling thread: unlike wall time, it does not grow while
 * the thread waits for a core another process holds. */
static double thread_cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static volatile float sink;

typedef float loop_fn(long iters);

/* Sum over `threads` threads of each one's GFLOP/s while it ran. */
static double loop_rate(loop_fn *loop, long iters, double flops_per_iter, int threads)
{
    double total = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : total)
#endif
    {
        double t0 = thread_cpu_seconds();
        float r = loop(iters);
        double dt = thread_cpu_seconds() - t0;
        total += (double)iters * flops_per_iter / dt * 1e-9;
#ifdef _OPENMP
#pragma omp critical
#endif
        sink += r;
    }
    (void)threads;
    return total;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define PEAK_RUNS 5

/* PEAK_RUNS runs of about 0.05 s each on `threads` threads: best, median, slowest. */
static void loop_peak(loop_fn *loop, double flops_per_iter, int threads, double *best, double *median, double *min)
{
    long iters = 1000;
    while (1) {
        double t0 = wall_seconds();
        sink += loop(iters);
        if (wall_seconds() - t0 > 0.01 || iters > (1L << 40))
            break;
        iters *= 4;
    }
    iters *= 5;
    double g[PEAK_RUNS];
    for (int r = 0; r < PEAK_RUNS; r++)
        g[r] = loop_rate(loop, iters, flops_per_iter, threads);
    qsort(g, PEAK_RUNS, sizeof g[0], cmp_double);
    *min = g[0];
    *median = g[PEAK_RUNS / 2];
    *best = g[PEAK_RUNS - 1];
}

static void add_level(bench_machine *m, const probe_level *l)
{
    bench_isa_peak *p = &m->isa[m->n_isa++];
    memset(p, 0, sizeof *p);
    p->isa = l->isa;
    p->op = l->op;
    p->lanes = l->lanes;
    p->bf16 = l->bf16;
    const double flops = probe_level_flops(l);
    loop_peak(l->loop, flops, 1, &p->gflops_1, &p->median_1, &p->min_1);
    if (m->cores > 1)
        loop_peak(l->loop, flops, m->cores, &p->gflops_all, &p->median_all, &p->min_all);
    else
        p->gflops_all = p->gflops_1, p->median_all = p->median_1, p->min_all = p->min_1;
}

/* Every level this build has and this CPU runs. */
static void probe_peaks(bench_machine *m)
{
    probe_level levels[PROBE_MAX_LEVELS];
    const int n = probe_levels(levels);
    for (int i = 0; i < n && m->n_isa < BENCH_MAX_ISA; i++)
        add_level(m, &levels[i]);
    m->widest = 0;
    for (int i = 1; i < m->n_isa; i++)
        if (!m->isa[i].bf16 && m->isa[i].gflops_1 > m->isa[m->widest].gflops_1)
            m->widest = i;
    if (m->n_isa) {
        m->peak_gflops_1 = m->isa[m->widest].gflops_1;
        m->peak_gflops_all = m->isa[m->widest].gflops_all;
    }
}

/* Sum over `threads` threads of each one's bytes / its CPU time, each summing its share of buf. */
static double read_pass(const float *buf, size_t n, int threads)
{
    typedef float v4f __attribute__((vector_size(16)));
    const v4f *v = (const v4f *)buf;
    size_t nv = n / 4;
    float total = 0;
    double rate = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : total, rate)
#endif
    {
        int t = 0, nt = 1;
#ifdef _OPENMP
        t = omp_get_thread_num();
        nt = omp_get_num_threads();
#endif
        size_t lo = nv / 4 * (size_t)t / (size_t)nt * 4, hi = nv / 4 * (size_t)(t + 1) / (size_t)nt * 4;
        double t0 = thread_cpu_seconds();
        v4f s0 = {0, 0, 0, 0}, s1 = s0, s2 = s0, s3 = s0;
        for (size_t i = lo; i < hi; i += 4) {
            s0 += v[i];
            s1 += v[i + 1];
            s2 += v[i + 2];
            s3 += v[i + 3];
        }
        v4f s = s0 + s1 + s2 + s3;
        total += s[0] + s[1] + s[2] + s[3];
        double dt = thread_cpu_seconds() - t0;
        if (dt > 0)
            rate += (double)(hi - lo) * sizeof(v4f) / dt * 1e-9;
    }
    (void)threads;
    sink += total;
    return rate;
}

/* Best and slowest of 5 passes after one that faults the pages in. */
static void read_bandwidth(const float *buf, size_t n, int threads, double *best, double *slowest)
{
    *best = 0;
    *slowest = 1e300;
    read_pass(buf, n, threads);
    for (int r = 0; r < 5; r++) {
        double g = read_pass(buf, n, threads);
        *best = g > *best ? g : *best;
        *slowest = g < *slowest ? g : *slowest;
    }
}

/* CPUs in a sysfs list such as "0-7,64-71"; 0 when unreadable. */
static int cpus_in_list(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char text[1024];
    int n = 0;
    if (fgets(text, sizeof text, f)) {
        char *p = text;
        while (*p && *p != '\n') {
            long a = strtol(p, &p, 10), b = a;
            if (*p == '-')
                b = strtol(p + 1, &p, 10);
            n += (int)(b - a + 1);
            if (*p == ',')
                p++;
            else
                break;
        }
    }
    fclose(f);
    return n;
}

/* L3 instances: online CPUs / CPUs sharing cpu0's L3 (sysfs), rounded up; 1 when unknown. */
static int llc_instances(int cores)
{
    for (int idx = 0; idx < 16; idx++) {
        char path[128];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", idx);
        FILE *f = fopen(path, "r");
        int level = 0;
        if (!f)
            continue;
        if (fscanf(f, "%d", &level) != 1)
            level = 0;
        fclose(f);
        if (level != 3)
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/shared_cpu_list", idx);
        int sharers = cpus_in_list(path);
        return sharers > 0 ? (cores + sharers - 1) / sharers : 1;
    }
    return 1;
}

static void cpu_model(char *out, size_t size)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    snprintf(out, size, "unknown");
    if (!f)
        return;
    static const char *const keys[] = {"model name", "Model", "uarch", "CPU part"};
    int found = 99;
    while (fgets(line, sizeof line, f)) {
        for (int k = 0; k < 4 && k < found; k++) {
            size_t n = strlen(keys[k]);
            char *colon = strchr(line, ':');
            if (strncmp(line, keys[k], n) == 0 && colon) {
                colon++;
                while (*colon == ' ')
                    colon++;
                colon[strcspn(colon, "\n")] = '\0';
                snprintf(out, size, "%s%s", k == 3 ? "CPU part " : "", colon);
                found = k;
            }
        }
    }
    fclose(f);
}

void bench_probe_machine(bench_machine *m)
{
    memset(m, 0, sizeof *m);
    if (getloadavg(m->load_start, 3) != 3)
        m->load_start[0] = m->load_start[1] = m->load_start[2] = -1;
    cpu_model(m->cpu_model, sizeof m->cpu_model);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    m->cores = n > 0 ? (int)n : 1;
    const mha_cache_info *c = mha_cache_info_get();
    for (int i = 0; i < 3; i++) {
        m->cache_bytes[i] = (long)c->bytes[i];
        m->cache_source[i] = mha_cache_source_name(c->source[i]);
    }
    m->llc_total_bytes = m->cache_bytes[2] * llc_instances(m->cores);
    probe_peaks(m);
    /* 4 x every L3 together, at least 64 MiB, at most a quarter of the memory */
    long bytes = 4 * m->llc_total_bytes;
    if (bytes < (64L << 20))
        bytes = 64L << 20;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0 && bytes > pages / 4 * page)
        bytes = pages / 4 * page;
    size_t floats = (size_t)bytes / sizeof(float) / 16 * 16;
    float *buf = aligned_alloc(64, floats * sizeof(float));
    if (!buf) {
        bench_omp_settle();
        return;
    }
    for (size_t i = 0; i < floats; i++)
        buf[i] = (float)(i & 7);
    m->read_buffer_bytes = (long)(floats * sizeof(float));
    read_bandwidth(buf, floats, 1, &m->read_gbs_1, &m->read_min_1);
    read_bandwidth(buf, floats, m->cores, &m->read_gbs, &m->read_min);
    free(buf);
    bench_omp_settle();
}

double bench_peak_gflops(const bench_machine *m, int threads)
{
    if (threads <= 1)
        return m->peak_gflops_1;
    if (threads >= m->cores)
        return m->peak_gflops_all;
    return m->peak_gflops_1 * threads;
}

double bench_isa_peak_gflops(const bench_machine *m, const char *isa, int threads)
{
    for (int i = 0; isa && i < m->n_isa; i++)
        if (strcmp(m->isa[i].isa, isa) == 0)
            return threads <= 1 ? m->isa[i].gflops_1
                   : threads >= m->cores ? m->isa[i].gflops_all
                                         : m->isa[i].gflops_1 * threads;
    return 0;
}

const char *bench_isa_level(const char *impl_isa)
{
    if (!impl_isa)
        return NULL;
    if (strcmp(impl_isa, "c") == 0) {
#if defined(__x86_64__) || defined(__i386__)
        return "sse2";
#elif defined(__aarch64__)
        return "neon";
#else
        return NULL;
#endif
    }
    /* avx512_bf16 (flash_avx512bf16): its isa_peak% is against the bf16 dot-product (vdpbf16ps) peak */
    if (strcmp(impl_isa, "avx2") == 0 || strcmp(impl_isa, "avx512") == 0 || strcmp(impl_isa, "neon") == 0 ||
        strcmp(impl_isa, "avx512_bf16") == 0)
        return impl_isa;
    return NULL;
}
