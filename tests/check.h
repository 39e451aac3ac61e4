/*
 * A minimal test harness: CHECK(cond, fmt, ...) records a pass or a
 * failure with its message; check_summary() prints "N passed, N failed"
 * and returns the exit status.
 */
#ifndef MHA_CHECK_H
#define MHA_CHECK_H

#include <stdio.h>
#include <sys/wait.h>

static int check_passed, check_failed;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (cond) {                                                        \
            check_passed++;                                                \
        } else {                                                           \
            check_failed++;                                                \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

/* Tests that need a CPU feature the machine lacks say so and count nothing. */
#define SKIP(...)                                                          \
    do {                                                                   \
        fprintf(stderr, "SKIP: ");                                         \
        fprintf(stderr, __VA_ARGS__);                                      \
        fputc('\n', stderr);                                               \
    } while (0)

/*
 * max(a, b) for running maxima in tests. Not fmax(): gcc 12 for AArch64
 * crashes (internal compiler error in vect_transform_reduction) when it
 * vectorizes an fmax reduction at -O3.
 */
static inline double max_of(double a, double b)
{
    return b > a ? b : a;
}

/*
 * The command prefix that runs a program of this build: under a cross
 * build meson sets MESON_EXE_WRAPPER (for example "qemu-aarch64 -L ..."),
 * natively it is empty. Tests that start `mha` through the shell use it.
 */
#include <stdlib.h>
static inline const char *exe_wrapper(void)
{
    const char *w = getenv("MESON_EXE_WRAPPER");
    return w ? w : "";
}

/* Runs the shell command `cmd`, keeping up to size - 1 bytes of its stdout in out; its exit status, or -1. */
static inline int check_run(const char *cmd, char *out, size_t size)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static inline int check_summary(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
