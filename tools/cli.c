/* The option parser of the subcommands (getopt_long over each one's table) and its value parsers. */
#include "cli.h"

#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* getopt_long returns CLI_LONG_BASE + i for the table's option i (above every letter). */
#define CLI_LONG_BASE 256
#define CLI_MAX_OPTIONS 32

int cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "mha %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'mha %s --help')\n", cmd);
    return EXIT_USAGE;
}

int cli_parse_int(const char *cmd, const char *opt, const char *text, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = text ? strtoll(text, &end, 10) : 0;
    if (!text || *text == '\0' || *end != '\0' || errno == ERANGE || v < min || v > max) {
        cli_usage_error(cmd, "%s %s: expected an integer from %lld to %lld", opt, text ? text : "(missing)",
                        (long long)min, (long long)max);
        return 1;
    }
    *out = v;
    return 0;
}

int cli_parse_float(const char *cmd, const char *opt, const char *text, float *out)
{
    char *end;
    errno = 0;
    double v = text ? strtod(text, &end) : 0;
    if (!text || *text == '\0' || *end != '\0' || (errno != ERANGE && !isfinite(v))) {
        cli_usage_error(cmd, "%s %s: expected a finite number", opt, text ? text : "(missing)");
        return 1;
    }
    if ((errno == ERANGE && fabs(v) > 1) || fabs(v) > FLT_MAX) {
        cli_usage_error(cmd, "%s %s: out of float range (the largest float magnitude is %g)", opt, text,
                        (double)FLT_MAX);
        return 1;
    }
    if (errno == ERANGE) {
        cli_usage_error(cmd, "%s %s: out of float range (too small: the smallest nonzero float magnitude is %g)", opt,
                        text, (double)FLT_TRUE_MIN);
        return 1;
    }
    const float f = (float)v;
    if (v != 0.0 && fabsf(f) < FLT_MIN) {
        cli_usage_error(cmd, "%s %s: in float32 it %s; expected a magnitude between %g and %g", opt, text,
                        f == 0.0f ? "rounds to 0" : "is subnormal (digits lost)", (double)FLT_MIN, (double)FLT_MAX);
        return 1;
    }
    *out = f;
    return 0;
}

/* "--name" or "-c": how the option that getopt_long returned was spelled. */
static const char *spelled(const cli_option *o, int long_form, char *buf, size_t size)
{
    if (long_form)
        snprintf(buf, size, "--%s", o->name);
    else
        snprintf(buf, size, "-%c", o->short_name);
    return buf;
}

/* True if `arg` is "--NAME" or "--NAME=..." exactly (getopt_long also takes abbreviations). */
static int spelled_in_full(const char *arg, const char *name)
{
    const size_t n = strlen(name);
    return strncmp(arg, "--", 2) == 0 && strncmp(arg + 2, name, n) == 0 && (arg[2 + n] == '\0' || arg[2 + n] == '=');
}

/* Stores the value of option o (already found in the table); 0, or nonzero after printing why. */
static int store(const cli_command *c, const cli_option *o, const char *opt, const char *text, void *opts)
{
    void *dst = (char *)opts + o->offset;
    switch (o->kind) {
    case CLI_FLAG:
        *(int *)dst = 1;
        return 0;
    case CLI_STRING:
        *(const char **)dst = text;
        return 0;
    case CLI_INT:
        return cli_parse_int(c->name, opt, text, o->min, o->max, dst);
    case CLI_FLOAT:
        return cli_parse_float(c->name, opt, text, dst);
    case CLI_CUSTOM:
        return o->parse(c->name, opt, text, dst);
    }
    return 1;
}

/* The usage error for getopt_long's '?' (unknown, ambiguous, a value given to a flag) or ':' (no value). */
static int option_error(const cli_command *c, int r, char **argv, int argc)
{
    const char *arg = optind >= 1 && optind <= argc ? argv[optind - 1] : "";
    char name[64];
    int long_form = 1;
    if (optopt >= CLI_LONG_BASE && optopt < CLI_LONG_BASE + (int)c->option_count)
        spelled(&c->options[optopt - CLI_LONG_BASE], 1, name, sizeof name);
    else if (optopt == 'h' && strncmp(arg, "--", 2) == 0)
        snprintf(name, sizeof name, "--help");
    else if (optopt > 0 && optopt < CLI_LONG_BASE) { /* a letter, maybe inside a group like -xy */
        snprintf(name, sizeof name, "-%c", optopt);
        long_form = 0;
    } else
        return cli_usage_error(c->name, "unknown option '%s'", arg);
    if (long_form && !spelled_in_full(arg, name + 2))
        return cli_usage_error(c->name, "unknown option '%s'", arg);
    if (r == ':')
        return cli_usage_error(c->name, "%s needs a value", name);
    if (long_form)
        return cli_usage_error(c->name, "%s: %s takes no value", arg, name);
    return cli_usage_error(c->name, "unknown option '%s'", name);
}

int cli_parse(const cli_command *c, int argc, char **argv, void *opts, const char **positional, int *npositional)
{
    struct option longs[CLI_MAX_OPTIONS + 2];
    char shorts[2 * CLI_MAX_OPTIONS + 8] = "-:h"; /* '-': positionals in order; ':': a missing value returns ':' */
    size_t ns = strlen(shorts);
    if (c->option_count > CLI_MAX_OPTIONS) {
        fprintf(stderr, "mha %s: %zu options in its table, at most %d\n", c->name, c->option_count, CLI_MAX_OPTIONS);
        return EXIT_FAILED;
    }
    for (size_t i = 0; i < c->option_count; i++) {
        const cli_option *o = &c->options[i];
        const int valued = o->kind != CLI_FLAG;
        longs[i] = (struct option){o->name, valued ? required_argument : no_argument, NULL, CLI_LONG_BASE + (int)i};
        if (o->short_name) {
            shorts[ns++] = o->short_name;
            if (valued)
                shorts[ns++] = ':';
        }
    }
    shorts[ns] = '\0';
    longs[c->option_count] = (struct option){"help", no_argument, NULL, 'h'};
    longs[c->option_count + 1] = (struct option){NULL, 0, NULL, 0};
    *npositional = 0;
    optind = 0; /* 0 (not 1) makes glibc start afresh */
    opterr = 0; /* the messages are ours */
    for (;;) {
        int index = -1;
        const int r = getopt_long(argc, argv, shorts, longs, &index);
        if (r == -1)
            break;
        if (r == '?' || r == ':')
            return option_error(c, r, argv, argc);
        if (r == 1) { /* a positional argument */
            if (*npositional >= c->max_positional)
                return cli_usage_error(c->name, "unknown argument '%s'", optarg);
            positional[(*npositional)++] = optarg;
            continue;
        }
        /* the element that named the option: before its value when that came separately */
        const char *arg = optarg && optind >= 2 && optarg == argv[optind - 1] ? argv[optind - 2] : argv[optind - 1];
        if (index >= 0 && !spelled_in_full(arg, longs[index].name))
            return cli_usage_error(c->name, "unknown option '%s'", arg);
        if (r == 'h') {
            cli_print_help(c);
            return EXIT_OK;
        }
        const cli_option *o = NULL;
        if (r >= CLI_LONG_BASE)
            o = &c->options[r - CLI_LONG_BASE];
        for (size_t i = 0; !o && i < c->option_count; i++)
            if (c->options[i].short_name == r)
                o = &c->options[i];
        char name[64];
        if (!o || store(c, o, spelled(o, index >= 0, name, sizeof name), optarg, opts))
            return EXIT_USAGE;
    }
    for (; optind < argc; optind++) { /* what follows "--" */
        if (*npositional >= c->max_positional)
            return cli_usage_error(c->name, "unknown argument '%s'", argv[optind]);
        positional[(*npositional)++] = argv[optind];
    }
    return CLI_RUN;
}

/* "  -o, --output FILE": the left column of an option in --help; returns its length. */
static int left_column(const cli_option *o, char *buf, size_t size)
{
    int n = o->short_name ? snprintf(buf, size, "  -%c, --%s", o->short_name, o->name)
                          : snprintf(buf, size, "  --%s", o->name);
    if (o->metavar && n >= 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, " %s", o->metavar);
    return n;
}

void cli_print_help(const cli_command *c)
{
    static const cli_option help = {"help", 'h', CLI_FLAG, 0, NULL, "this help", 0, 0, NULL};
    char left[128];
    int width = left_column(&help, left, sizeof left);
    for (size_t i = 0; i < c->option_count; i++) {
        const int w = left_column(&c->options[i], left, sizeof left);
        width = w > width ? w : width;
    }
    printf("usage: %s\n\n", c->usage);
    if (c->about)
        printf("%s\n\n", c->about);
    for (size_t i = 0; i <= c->option_count; i++) {
        const cli_option *o = i < c->option_count ? &c->options[i] : &help;
        left_column(o, left, sizeof left);
        printf("%-*s  ", width, left);
        for (const char *p = o->help; *p; p++) {
            putchar(*p);
            if (*p == '\n')
                printf("%-*s  ", width, "");
        }
        putchar('\n');
    }
    if (c->epilog)
        printf("\n%s", c->epilog);
}
