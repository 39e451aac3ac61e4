/*
 * CPU feature detection. x86-64: cpuid for what the CPU implements, xgetbv
 * for what the OS saves on a context switch (an AVX-512 CPU under an OS
 * that does not save ZMM state must not run AVX-512 code). AArch64:
 * getauxval(AT_HWCAP) and AT_HWCAP2. The mask lets tests and users force fallbacks; the
 * environment variable MHA_CPU_LEVEL (a level name from mha_cpu_levels())
 * sets the initial mask.
 */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t read_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static uint32_t detect(void)
{
    unsigned a, b, c, d;
    uint32_t f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    int has_fma = (c >> 12) & 1, has_osxsave = (c >> 27) & 1, has_avx = (c >> 28) & 1;
    int has_f16c = (c >> 29) & 1;
    if (!has_osxsave || !has_avx)
        return 0;
    uint64_t xcr0 = read_xcr0();
    int os_ymm = (xcr0 & 0x6) == 0x6;      /* XMM and YMM state */
    int os_zmm = (xcr0 & 0xe6) == 0xe6;    /* plus opmask, ZMM_Hi256, Hi16_ZMM */
    if (!os_ymm)
        return 0;
    if (has_fma)
        f |= MHA_CPU_FMA;
    if (has_f16c)
        f |= MHA_CPU_F16C; /* VEX-encoded: needs only the YMM state checked above */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return f;
    if ((b >> 5) & 1)
        f |= MHA_CPU_AVX2;
    if (os_zmm && ((b >> 16) & 1)) {
        f |= MHA_CPU_AVX512F;
        if ((b >> 17) & 1) f |= MHA_CPU_AVX512DQ;
        if ((b >> 30) & 1) f |= MHA_CPU_AVX512BW;
        if ((b >> 31) & 1) f |= MHA_CPU_AVX512VL;
        if ((d >> 23) & 1) f |= MHA_CPU_AVX512FP16;
        unsigned a1, b1, c1, d1;
        if (__get_cpuid_count(7, 1, &a1, &b1, &c1, &d1) && ((a1 >> 5) & 1))
            f |= MHA_CPU_AVX512BF16;
    }
    return f;
}

static const char *const level_names[] = {"baseline", "avx2", "avx512"};
static const uint32_t level_masks[] = {
    0,
    MHA_CPU_AVX2 | MHA_CPU_FMA | MHA_CPU_F16C, /* every AVX2 CPU has F16C */
    MHA_CPU_ALL,
};

#elif defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
#ifndef HWCAP_ASIMDFHM
#define HWCAP_ASIMDFHM (1 << 23)
#endif
#ifndef AT_HWCAP2
#define AT_HWCAP2 26
#endif
#ifndef HWCAP2_BF16
#define HWCAP2_BF16 (1 << 14)
#endif

static uint32_t detect(void)
{
    const unsigned long hwcap = getauxval(AT_HWCAP), hwcap2 = getauxval(AT_HWCAP2);
    if (!(hwcap & HWCAP_ASIMD))
        return 0;
    uint32_t f = MHA_CPU_NEON;
    if (hwcap & HWCAP_ASIMDFHM)
        f |= MHA_CPU_NEON_FHM;
    if (hwcap2 & HWCAP2_BF16)
        f |= MHA_CPU_NEON_BF16;
    return f;
}

static const char *const level_names[] = {"baseline", "neon"};
static const uint32_t level_masks[] = {0, MHA_CPU_ALL};

#else
static uint32_t detect(void)
{
    return 0;
}

static const char *const level_names[] = {"baseline"};
static const uint32_t level_masks[] = {MHA_CPU_ALL};
#endif

enum { LEVEL_COUNT = sizeof level_names / sizeof level_names[0] };

static uint32_t detected;
/* Read and written with atomics: mha_cpu_set_mask() may race with callers. */
static uint32_t mask = MHA_CPU_ALL;
static pthread_once_t detect_once = PTHREAD_ONCE_INIT;

/*
 * Runs once per process (pthread_once): cpuid/getauxval, then the
 * MHA_CPU_LEVEL environment variable. An unknown level name is ignored
 * (the library prints nothing); the `mha` program reports it.
 */
static void detect_now(void)
{
    detected = detect();
    const char *env = getenv("MHA_CPU_LEVEL");
    if (env && *env)
        for (int i = 0; i < LEVEL_COUNT; i++)
            if (strcmp(env, level_names[i]) == 0)
                __atomic_store_n(&mask, level_masks[i], __ATOMIC_RELAXED);
}

static void init_once(void)
{
    pthread_once(&detect_once, detect_now);
}

uint32_t mha_cpu_detected(void)
{
    init_once();
    return detected;
}

uint32_t mha_cpu_features(void)
{
    init_once();
    return detected & __atomic_load_n(&mask, __ATOMIC_RELAXED);
}

void mha_cpu_set_mask(uint32_t new_mask)
{
    init_once();
    __atomic_store_n(&mask, new_mask, __ATOMIC_RELAXED);
}

int mha_cpu_levels(const char *const **names, const uint32_t **masks)
{
    if (names)
        *names = level_names;
    if (masks)
        *masks = level_masks;
    return LEVEL_COUNT;
}

const char *mha_cpu_feature_names(uint32_t features, char *buf, size_t size)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        {MHA_CPU_AVX2, "avx2"},         {MHA_CPU_FMA, "fma"},
        {MHA_CPU_AVX512F, "avx512f"},   {MHA_CPU_AVX512BW, "avx512bw"},
        {MHA_CPU_AVX512DQ, "avx512dq"}, {MHA_CPU_AVX512VL, "avx512vl"},
        {MHA_CPU_AVX512BF16, "avx512bf16"}, {MHA_CPU_NEON, "neon"},
        {MHA_CPU_F16C, "f16c"},         {MHA_CPU_AVX512FP16, "avx512fp16"},
        {MHA_CPU_NEON_BF16, "neon_bf16"}, {MHA_CPU_NEON_FHM, "neon_fhm"},
    };
    if (!buf || size == 0)
        return "";
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(features & names[i].bit))
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? " " : "", names[i].name);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
    if (used == 0)
        snprintf(buf, size, "none");
    return buf;
}
