/* Is this process running under an emulator? Benchmarks refuse to time one. */
#ifndef MHA_BENCH_EMULATOR_H
#define MHA_BENCH_EMULATOR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Returns 1 and writes the evidence into why if the process looks emulated:
 * 1. user-mode emulation (qemu-user, binfmt_misc): the kernel's own
 *    architecture (/proc/sys/kernel/arch, which qemu-user passes through
 *    unchanged while it fakes uname()) differs from the architecture this
 *    program was compiled for; when that file is missing, /proc/cpuinfo
 *    written in another architecture's format is the same evidence;
 * 2. on x86, the CPUID brand string contains "QEMU": CPUID is answered by
 *    the emulator (qemu-x86_64 on an x86 host has the same kernel arch);
 * 3. a full-system emulator: /proc/cpuinfo names a "QEMU" CPU model
 *    (a QEMU/TCG guest; a KVM guest given QEMU's default model also says
 *    so, and is then refused too: set MHA_BENCH_ALLOW_EMULATOR=1 there).
 * Returns 0 otherwise.
 */
int bench_emulated(char *why, size_t size);

/* The architecture this program was compiled for ("x86_64", "aarch64", ...). */
const char *bench_build_arch(void);

#ifdef __cplusplus
}
#endif

#endif
