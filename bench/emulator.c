/* Emulator detection; the method is described in emulator.h. */
#include "emulator.h"

#include "cache_info.h"

#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* The CPU's brand string as the CPUID instruction reports it (an emulator answers CPUID itself). */
static void cpuid_brand(char *out, size_t size)
{
    unsigned r[12] = {0}, max = __get_cpuid_max(0x80000000u, NULL);
    out[0] = '\0';
    if (max < 0x80000004u || size < 49)
        return;
    for (unsigned i = 0; i < 3; i++)
        __get_cpuid(0x80000002u + i, &r[4 * i], &r[4 * i + 1], &r[4 * i + 2], &r[4 * i + 3]);
    memcpy(out, r, 48);
    out[48] = '\0';
}
#endif

const char *bench_build_arch(void)
{
#if defined(__x86_64__)
    return "x86_64";
#elif defined(__aarch64__)
    return "aarch64";
#elif defined(__riscv) && __riscv_xlen == 64
    return "riscv64";
#elif defined(__i386__)
    return "i686";
#elif defined(__arm__)
    return "arm";
#else
    return "unknown";
#endif
}

/* A key every /proc/cpuinfo of that architecture has, NULL when unknown. */
static const char *cpuinfo_key(const char *arch)
{
    if (strcmp(arch, "x86_64") == 0 || strcmp(arch, "i686") == 0)
        return "vendor_id";
    if (strcmp(arch, "aarch64") == 0 || strcmp(arch, "arm") == 0)
        return "CPU implementer";
    if (strcmp(arch, "riscv64") == 0)
        return "isa";
    return NULL;
}

/* First line of a small file, without the newline; 0 on success. */
/* Whether /proc/cpuinfo contains text (at the start of a line when line_start). */
static int cpuinfo_has(const char *text, int line_start)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return 0;
    char line[1024];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = line_start ? strncmp(line, text, strlen(text)) == 0 : strstr(line, text) != NULL;
    fclose(f);
    return found;
}

static int cpuinfo_readable(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return 0;
    fclose(f);
    return 1;
}

int bench_emulated(char *why, size_t size)
{
    const char *arch = bench_build_arch();
    char kernel_arch[64];
    if (mha_read_first_line("/proc/sys/kernel/arch", kernel_arch, sizeof kernel_arch) == 0) {
        int same = strcmp(kernel_arch, arch) == 0 ||
                   (strcmp(arch, "arm") == 0 && strncmp(kernel_arch, "arm", 3) == 0) ||
                   (strcmp(arch, "i686") == 0 && strcmp(kernel_arch, "x86_64") == 0);
        if (!same) {
            snprintf(why, size, "built for %s but the kernel is %s (/proc/sys/kernel/arch): user-mode emulation "
                                "such as qemu-user", arch, kernel_arch);
            return 1;
        }
    } else {
        const char *key = cpuinfo_key(arch);
        if (key && !cpuinfo_has(key, 1) && cpuinfo_readable()) {
            snprintf(why, size, "built for %s but /proc/cpuinfo lacks '%s': another architecture's kernel, "
                                "user-mode emulation such as qemu-user", arch, key);
            return 1;
        }
    }
#if defined(__x86_64__) || defined(__i386__)
    char brand[64];
    cpuid_brand(brand, sizeof brand);
    if (strstr(brand, "QEMU")) {
        snprintf(why, size, "the CPUID brand string is '%s': an emulated CPU (qemu-user or a QEMU guest)", brand);
        return 1;
    }
#endif
    if (cpuinfo_has("QEMU", 0)) {
        snprintf(why, size, "/proc/cpuinfo names a QEMU CPU model: an emulated machine");
        return 1;
    }
    return 0;
}
