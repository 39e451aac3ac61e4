/* Option parsing helpers shared by the subcommands. */
#include "cli.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    *out = (float)v;
    return 0;
}
