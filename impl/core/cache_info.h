/*
 * Data-cache sizes of the CPU the library runs on, for the flash tile
 * planner and the benchmark's machine probe. Each level is taken from the
 * first source that knows it:
 *   1. sysfs: <dir>/indexN/{level,type,size}, dir normally
 *      /sys/devices/system/cpu/cpu0/cache
 *   2. sysconf(_SC_LEVEL1_DCACHE_SIZE, _SC_LEVEL2_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE)
 *   3. cpuid (x86): leaf 4 on Intel, leaf 0x8000001D on AMD and Hygon
 *   4. an assumed constant: MHA_CACHE_ASSUMED_L1D / _L2 / _L3
 * A size is never 0; its source says whether it was measured or assumed.
 * Not part of the public interface (mha.h); exported from libmha for the
 * benchmark programs.
 */
#ifndef MHA_CACHE_INFO_H
#define MHA_CACHE_INFO_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Assumed when no source knows a level: a common size of each level on
 * current x86 and Arm server cores. */
#define MHA_CACHE_ASSUMED_L1D ((size_t)32 << 10)
#define MHA_CACHE_ASSUMED_L2 ((size_t)512 << 10)
#define MHA_CACHE_ASSUMED_L3 ((size_t)8 << 20)

typedef enum mha_cache_source {
    MHA_CACHE_FROM_SYSFS,
    MHA_CACHE_FROM_SYSCONF,
    MHA_CACHE_FROM_CPUID,
    MHA_CACHE_ASSUMED
} mha_cache_source;

typedef struct mha_cache_info {
    size_t bytes[3];               /* L1 data, L2, L3 (the last level); never 0 */
    mha_cache_source source[3];
} mha_cache_info;

/* Which sources mha_cache_info_read may use besides sysfs. */
enum { MHA_CACHE_USE_SYSCONF = 1, MHA_CACHE_USE_CPUID = 2 };

/* Reads the sizes; sysfs_dir NULL skips sysfs, sources is a mask of MHA_CACHE_USE_*. */
void mha_cache_info_read(const char *sysfs_dir, unsigned sources, mha_cache_info *out);

/* This machine's sizes (sysfs of cpu0, sysconf, cpuid), read once. */
const mha_cache_info *mha_cache_info_get(void);

/* First line of the file at path, without its newline, into buf; 0 on success, -1 otherwise. */
int mha_read_first_line(const char *path, char *buf, size_t size);

/* "sysfs", "sysconf", "cpuid" or "assumed". */
const char *mha_cache_source_name(mha_cache_source s);

#ifdef __cplusplus
}
#endif

#endif
