/*
 * Arguments of the small measuring programs under bench/ (flash_bench,
 * flash_ab, sgemm_bench): --help, and whole numbers checked
 * instead of atoi's silent 0 for "abc".
 */
#ifndef MHA_BENCH_ARGS_H
#define MHA_BENCH_ARGS_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints usage and exits 0 when any argument is -h or --help. */
static inline void bench_help(int argc, char **argv, const char *usage)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        }
}

/* argv[i] as an int >= min (default dflt when absent); exits 2 naming the argument otherwise. */
static inline int bench_int_arg(int argc, char **argv, int i, int dflt, int min, const char *what,
                                const char *usage)
{
    if (i >= argc)
        return dflt;
    char *end;
    errno = 0;
    long v = strtol(argv[i], &end, 10);
    if (end == argv[i] || *end != '\0' || errno != 0 || v < min || v > INT_MAX) {
        fprintf(stderr, "%s: %s must be a whole number >= %d, got '%s'\n%s", argv[0], what, min, argv[i], usage);
        exit(2);
    }
    return (int)v;
}

#endif
