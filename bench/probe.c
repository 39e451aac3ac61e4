/* The machine probe; see probe.h. */
#include "probe.h"
#include "mha.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* 8 floats with the compiler's generic vectors: whatever SIMD the baseline has. */
typedef float v8f __attribute__((vector_size(32)));

float bench_fma_loop_generic(long iters)
{
    v8f acc[12];
    const v8f a = {0.999999f, 0.999999f, 0.999999f, 0.999999f, 0.999999f, 0.999999f, 0.999999f, 0.999999f};
    const v8f b = {1e-6f, 1e-6f, 1e-6f, 1e-6f, 1e-6f, 1e-6f, 1e-6f, 1e-6f};
    for (int i = 0; i < 12; i++)
        acc[i] = a * (float)i;
    for (long n = 0; n < iters; n++)
        for (int i = 0; i < 12; i++)
            acc[i] = acc[i] * a + b;   /* acc = acc * a + b, 12 independent chains */
    v8f s = acc[0];
    for (int i = 1; i < 12; i++)
        s += acc[i];
    return s[0] + s[7];
}

static volatile float sink;

/* CPU time of the calling thread: unlike wall time, it does not grow while
 * the thread waits for a core another process holds. */
static double thread_cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Sum over `threads` threads of each one's GFLOP/s while it ran (iters
 * iterations each, timed by its own CPU time). */
static double fma_rate(float (*loop)(long), long iters, int threads)
{
    double total = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : total)
#endif
    {
        double t0 = thread_cpu_seconds();
        float r = loop(iters);
        double dt = thread_cpu_seconds() - t0;
        total += (double)iters * BENCH_FMA_FLOPS_PER_ITER / dt * 1e-9;
#ifdef _OPENMP
#pragma omp critical
#endif
        sink += r;
    }
    (void)threads;
    return total;
}

/* Best of 5 runs of about 0.1 s each. */
static double fma_peak(float (*loop)(long), int threads)
{
    long iters = 1000;
    while (1) {
        double t0 = now();
        sink += loop(iters);
        if (now() - t0 > 0.02 || iters > (1L << 40))
            break;
        iters *= 4;
    }
    iters *= 5;
    double best = 0;
    for (int r = 0; r < 5; r++) {
        double g = fma_rate(loop, iters, threads);
        if (g > best)
            best = g;
    }
    return best;
}

/* Sum of a buffer much larger than the last-level cache, split over the
 * threads; each thread's bytes / its CPU time, summed; best of 3 passes
 * after one that warms the page tables. */
static double read_bandwidth(int threads, long bytes)
{
    typedef float v4f __attribute__((vector_size(16)));
    size_t n = (size_t)bytes / sizeof(v4f) / 4 * 4;
    v4f *buf = aligned_alloc(64, n * sizeof(v4f));
    if (!buf)
        return 0;
    for (size_t i = 0; i < n; i++)
        buf[i] = (v4f){1.0f, 2.0f, 3.0f, 4.0f};
    double best = 0;
    for (int r = 0; r < 4; r++) {
        double rate = 0;
        float total = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : rate, total)
#endif
        {
            int t = 0, nt = 1;
#ifdef _OPENMP
            t = omp_get_thread_num();
            nt = omp_get_num_threads();
#endif
            size_t chunks = n / 4, lo = chunks * (size_t)t / (size_t)nt, hi = chunks * (size_t)(t + 1) / (size_t)nt;
            double t0 = thread_cpu_seconds();
            for (size_t c = lo; c < hi; c++) {
                v4f s = buf[4 * c] + buf[4 * c + 1] + buf[4 * c + 2] + buf[4 * c + 3];
                total += s[0] + s[1] + s[2] + s[3];
            }
            double dt = thread_cpu_seconds() - t0;
            if (dt > 0)
                rate += (double)(hi - lo) * 4.0 * sizeof(v4f) / dt * 1e-9;
        }
        (void)threads;
        sink += total;
        if (r > 0 && rate > best)
            best = rate;
    }
    free(buf);
    return best;
}

static long cache_bytes(int index)
{
    char path[128], text[64];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    long v = 0;
    char unit = 0;
    if (fgets(text, sizeof text, f) && sscanf(text, "%ld%c", &v, &unit) >= 1) {
        if (unit == 'K')
            v *= 1024;
        else if (unit == 'M')
            v *= 1024 * 1024;
    }
    fclose(f);
    return v;
}

/* Level and type of sysfs cache entry index ("Data"/"Unified"); 0 if absent. */
static int cache_level(int index, char *type, size_t size)
{
    char path[128];
    int level = 0;
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    if (fscanf(f, "%d", &level) != 1)
        level = 0;
    fclose(f);
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", index);
    type[0] = '\0';
    f = fopen(path, "r");
    if (f) {
        if (!fgets(type, (int)size, f))
            type[0] = '\0';
        type[strcspn(type, "\n")] = '\0';
        fclose(f);
    }
    return level;
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
    cpu_model(m->cpu_model, sizeof m->cpu_model);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    m->cores = n > 0 ? (int)n : 1;
    for (int i = 0; i < 8; i++) {
        char type[32];
        int level = cache_level(i, type, sizeof type);
        if (level == 1 && strcmp(type, "Data") == 0)
            m->l1d_bytes = cache_bytes(i);
        else if (level == 2)
            m->l2_bytes = cache_bytes(i);
        else if (level == 3)
            m->l3_bytes = cache_bytes(i);
    }
    float (*loop)(long) = bench_fma_loop_generic;
    m->fma_kind = "generic-simd";
#if defined(MHA_BENCH_HAVE_AVX2)
    const uint32_t need = MHA_CPU_AVX2 | MHA_CPU_FMA;
    if ((mha_cpu_detected() & need) == need) {
        loop = bench_fma_loop_avx2;
        m->fma_kind = "avx2-fma";
    }
#endif
    m->peak_gflops_1 = fma_peak(loop, 1);
    m->peak_gflops_all = m->cores > 1 ? fma_peak(loop, m->cores) : m->peak_gflops_1;
    /* 4 x the last-level cache, at least 64 MiB: the sum streams from memory. */
    long bytes = 4 * (m->l3_bytes ? m->l3_bytes : m->l2_bytes);
    if (bytes < (64L << 20))
        bytes = 64L << 20;
    if (bytes > (512L << 20))
        bytes = 512L << 20;
    m->read_buffer_bytes = bytes;
    m->read_gbs = read_bandwidth(m->cores, bytes);
}

double bench_peak_gflops(const bench_machine *m, int threads)
{
    if (threads <= 1)
        return m->peak_gflops_1;
    if (threads >= m->cores)
        return m->peak_gflops_all;
    return m->peak_gflops_1 * threads;
}
