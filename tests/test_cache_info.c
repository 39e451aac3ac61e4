/*
 * impl/core/cache_info.c: sizes from a fake sysfs tree (its root is a
 * parameter), the order of the sources, and the assumed constants when
 * no source knows a level.
 */
#include "cache_info.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[256];

/* A new empty root under $TMPDIR (or /tmp). */
static void make_root(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/cache_info.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        exit(1);
    }
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

/* root/indexN/{level,type,size} */
static void entry(int n, const char *level, const char *type, const char *size)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/index%d", root, n);
    mkdir(dir, 0755);
    write_file(dir, "level", level);
    write_file(dir, "type", type);
    if (size)
        write_file(dir, "size", size);
}

static void remove_tree(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

int main(void)
{
    make_root();
    mha_cache_info c;

    /* A Zen 5 like tree: the instruction cache and an index gap are skipped, units K and M parsed. */
    entry(0, "1\n", "Data\n", "48K\n");
    entry(1, "1\n", "Instruction\n", "32K\n");
    entry(2, "2\n", "Unified\n", "1024K\n");
    entry(4, "3\n", "Unified\n", "32M\n");
    mha_cache_info_read(root, 0, &c);
    CHECK(c.bytes[0] == 48u << 10 && c.source[0] == MHA_CACHE_FROM_SYSFS, "L1d %zu from %s", c.bytes[0],
          mha_cache_source_name(c.source[0]));
    CHECK(c.bytes[1] == 1u << 20 && c.source[1] == MHA_CACHE_FROM_SYSFS, "L2 %zu", c.bytes[1]);
    CHECK(c.bytes[2] == 32u << 20 && c.source[2] == MHA_CACHE_FROM_SYSFS, "L3 %zu", c.bytes[2]);

    /* No L3 entry and a malformed L2 size: those levels are assumed when no other source is allowed. */
    remove_tree();
    make_root();
    entry(0, "1\n", "Data\n", "64K\n");
    entry(1, "2\n", "Unified\n", "lots\n");
    mha_cache_info_read(root, 0, &c);
    CHECK(c.bytes[0] == 64u << 10 && c.source[0] == MHA_CACHE_FROM_SYSFS, "L1d %zu", c.bytes[0]);
    CHECK(c.bytes[1] == MHA_CACHE_ASSUMED_L2 && c.source[1] == MHA_CACHE_ASSUMED, "L2 %zu from %s", c.bytes[1],
          mha_cache_source_name(c.source[1]));
    CHECK(c.bytes[2] == MHA_CACHE_ASSUMED_L3 && c.source[2] == MHA_CACHE_ASSUMED, "L3 %zu from %s", c.bytes[2],
          mha_cache_source_name(c.source[2]));

    /* sysfs fills what it knows before sysconf is asked. */
    mha_cache_info_read(root, MHA_CACHE_USE_SYSCONF, &c);
    CHECK(c.bytes[0] == 64u << 10 && c.source[0] == MHA_CACHE_FROM_SYSFS, "L1d with sysconf allowed: %zu from %s",
          c.bytes[0], mha_cache_source_name(c.source[0]));
    long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (l2 > 0)
        CHECK(c.bytes[1] == (size_t)l2 && c.source[1] == MHA_CACHE_FROM_SYSCONF, "L2 %zu from %s, sysconf %ld",
              c.bytes[1], mha_cache_source_name(c.source[1]), l2);
    remove_tree();

    /* sysfs absent: every level still has a size, from a later source or assumed. */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no-such-dir", root); /* root was removed above */
    mha_cache_info_read(missing, 0, &c);
    for (int i = 0; i < 3; i++)
        CHECK(c.source[i] == MHA_CACHE_ASSUMED, "level %d without any source: from %s", i + 1,
              mha_cache_source_name(c.source[i]));
    mha_cache_info_read(missing, MHA_CACHE_USE_SYSCONF | MHA_CACHE_USE_CPUID, &c);
    for (int i = 0; i < 3; i++)
        CHECK(c.bytes[i] > 0 && c.source[i] != MHA_CACHE_FROM_SYSFS, "level %d without sysfs: %zu from %s", i + 1,
              c.bytes[i], mha_cache_source_name(c.source[i]));
#if defined(__x86_64__)
    /* cpuid alone reports the L1d of every x86-64 CPU made since 2005 (Intel leaf 4, AMD Zen leaf 0x8000001D). */
    mha_cache_info_read(NULL, MHA_CACHE_USE_CPUID, &c);
    fprintf(stderr, "cpuid: L1d %zu (%s), L2 %zu (%s), L3 %zu (%s)\n", c.bytes[0], mha_cache_source_name(c.source[0]),
            c.bytes[1], mha_cache_source_name(c.source[1]), c.bytes[2], mha_cache_source_name(c.source[2]));
#endif

    /* This machine's: never 0. */
    const mha_cache_info *m = mha_cache_info_get();
    for (int i = 0; i < 3; i++)
        CHECK(m->bytes[i] > 0, "machine level %d: 0 bytes", i + 1);
    return check_summary();
}
