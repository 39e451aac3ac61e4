/* Cache sizes: sysfs, then sysconf, then cpuid, then an assumed constant (cache_info.h). */
#include "cache_info.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* Level (1..3) a sysfs entry or cpuid descriptor stands for, or -1: data and unified caches only. */
static int slot_of(int level, int is_data, int is_unified)
{
    if (level == 1 && is_data)
        return 0;
    if ((level == 2 || level == 3) && (is_unified || is_data))
        return level - 1;
    return -1;
}

int mha_read_first_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

/* First line of dir/name into buf; 0 on success. */
static int read_line(const char *dir, const char *name, char *buf, size_t size)
{
    char path[512];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return -1;
    return mha_read_first_line(path, buf, size);
}

/* "48K", "1024K", "32M", "65536" in bytes; 0 when malformed. */
static size_t parse_size(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s)
        return 0;
    unsigned long long mult = *end == 'K' ? 1ull << 10 : *end == 'M' ? 1ull << 20 : *end == 'G' ? 1ull << 30 : 1;
    if (*end && mult != 1)
        end++;
    if (*end)
        return 0;
    return (size_t)(v * mult);
}

static void from_sysfs(const char *dir, size_t bytes[3])
{
    for (int idx = 0; idx < 16; idx++) {
        char entry[512], level[16], type[32], size[32];
        snprintf(entry, sizeof entry, "%s/index%d", dir, idx);
        if (read_line(entry, "level", level, sizeof level) != 0)
            continue;
        if (read_line(entry, "type", type, sizeof type) != 0 || read_line(entry, "size", size, sizeof size) != 0)
            continue;
        int slot = slot_of(atoi(level), strcmp(type, "Data") == 0, strcmp(type, "Unified") == 0);
        size_t b = parse_size(size);
        if (slot >= 0 && b > 0 && !bytes[slot])
            bytes[slot] = b;
    }
}

static void from_sysconf(size_t bytes[3])
{
#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE) && defined(_SC_LEVEL3_CACHE_SIZE)
    static const int names[3] = {_SC_LEVEL1_DCACHE_SIZE, _SC_LEVEL2_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE};
    for (int i = 0; i < 3; i++) {
        long v = sysconf(names[i]);
        if (v > 0)
            bytes[i] = (size_t)v;
    }
#else
    (void)bytes;
#endif
}

static void from_cpuid(size_t bytes[3])
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d, leaf;
    if (!__get_cpuid(0, &a, &b, &c, &d))
        return;
    char vendor[13];
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = '\0';
    if (strcmp(vendor, "GenuineIntel") == 0 && a >= 4) {
        leaf = 4;
    } else if ((strcmp(vendor, "AuthenticAMD") == 0 || strcmp(vendor, "HygonGenuine") == 0) &&
               __get_cpuid_max(0x80000000u, NULL) >= 0x8000001Du) {
        leaf = 0x8000001Du;
    } else {
        return;
    }
    /* Both leaves: subleaf i describes one cache until the type field is 0. */
    for (unsigned i = 0; i < 16; i++) {
        __cpuid_count(leaf, i, a, b, c, d);
        unsigned type = a & 0x1f, level = (a >> 5) & 7;
        if (type == 0)
            break;
        int slot = slot_of((int)level, type == 1, type == 3);
        size_t size = (size_t)((b >> 22) + 1) * (((b >> 12) & 0x3ff) + 1) * ((b & 0xfff) + 1) * ((size_t)c + 1);
        if (slot >= 0 && !bytes[slot])
            bytes[slot] = size;
    }
#else
    (void)bytes;
#endif
}

/* Levels still 0 in bytes get the sizes found and the source's tag. */
static void fill(mha_cache_info *out, const size_t found[3], mha_cache_source src)
{
    for (int i = 0; i < 3; i++)
        if (!out->bytes[i] && found[i]) {
            out->bytes[i] = found[i];
            out->source[i] = src;
        }
}

void mha_cache_info_read(const char *sysfs_dir, unsigned sources, mha_cache_info *out)
{
    memset(out, 0, sizeof *out);
    size_t found[3] = {0, 0, 0};
    if (sysfs_dir) {
        from_sysfs(sysfs_dir, found);
        fill(out, found, MHA_CACHE_FROM_SYSFS);
    }
    if (sources & MHA_CACHE_USE_SYSCONF) {
        memset(found, 0, sizeof found);
        from_sysconf(found);
        fill(out, found, MHA_CACHE_FROM_SYSCONF);
    }
    if (sources & MHA_CACHE_USE_CPUID) {
        memset(found, 0, sizeof found);
        from_cpuid(found);
        fill(out, found, MHA_CACHE_FROM_CPUID);
    }
    const size_t assumed[3] = {MHA_CACHE_ASSUMED_L1D, MHA_CACHE_ASSUMED_L2, MHA_CACHE_ASSUMED_L3};
    fill(out, assumed, MHA_CACHE_ASSUMED);
}

static mha_cache_info machine_info;
static pthread_once_t machine_once = PTHREAD_ONCE_INIT;

static void read_machine(void)
{
    mha_cache_info_read("/sys/devices/system/cpu/cpu0/cache", MHA_CACHE_USE_SYSCONF | MHA_CACHE_USE_CPUID,
                        &machine_info);
}

const mha_cache_info *mha_cache_info_get(void)
{
    pthread_once(&machine_once, read_machine);
    return &machine_info;
}

const char *mha_cache_source_name(mha_cache_source s)
{
    switch (s) {
    case MHA_CACHE_FROM_SYSFS: return "sysfs";
    case MHA_CACHE_FROM_SYSCONF: return "sysconf";
    case MHA_CACHE_FROM_CPUID: return "cpuid";
    default: return "assumed";
    }
}
