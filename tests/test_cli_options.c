/*
 * The option parser of the `mha` program, driven by the commands' own
 * option tables (linked in from tools/): every subcommand's --help exits 0
 * and lists every option of its table; a bad number, an unknown option, an
 * abbreviation, a missing value, a value given to a flag and a nonzero float
 * that float32 rounds to 0 or a subnormal exit 2 and name the option;
 * "--opt=value" and options after positional arguments work.
 * Usage: test_cli_options MHA_BINARY SCRATCH_DIR
 */
#include "check.h"
#include "cli.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const char *mha, *scratch;
static char out[1 << 16];

/* Runs "mha ARGS", keeping stdout (stream 1) or stderr (stream 2) in out; returns the exit status. */
static int run(int stream, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run(int stream, const char *fmt, ...)
{
    char args[1024], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd '%s' && %s '%s' %s %s", scratch, exe_wrapper(), mha, args,
             stream == 1 ? "2>/dev/null" : "2>&1 >/dev/null");
    return check_run(cmd, out, sizeof out);
}

/* True if the help text in out has a line listing the option: "  --name", "  -c, --name", then " METAVAR". */
static int help_lists(const cli_option *o)
{
    char want[128];
    if (o->short_name)
        snprintf(want, sizeof want, "\n  -%c, --%s%s%s", o->short_name, o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
    else
        snprintf(want, sizeof want, "\n  --%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
    const char *at = strstr(out, want);
    if (!at)
        return 0;
    const char after = at[strlen(want)];
    return after == ' ' || after == '\n';
}

static void help(const cli_command *c)
{
    CHECK(run(1, "%s --help", c->name) == 0, "mha %s --help: exit status not 0", c->name);
    char usage[64];
    snprintf(usage, sizeof usage, "usage: mha %s", c->name);
    CHECK(strncmp(out, usage, strlen(usage)) == 0, "mha %s --help does not start with '%s': %.80s", c->name, usage,
          out);
    for (size_t i = 0; i < c->option_count; i++) {
        const cli_option *o = &c->options[i];
        CHECK(help_lists(o), "mha %s --help does not list --%s%s%s", c->name, o->name, o->metavar ? " " : "",
              o->metavar ? o->metavar : "");
        /* the first line of its help text stands next to it */
        char first[160];
        snprintf(first, sizeof first, "%.*s", (int)strcspn(o->help, "\n"), o->help);
        CHECK(strstr(out, first) != NULL, "mha %s --help lacks the text of --%s: %s", c->name, o->name, first);
    }
    char with_h[sizeof out];
    memcpy(with_h, out, sizeof out);
    CHECK(run(1, "%s -h", c->name) == 0 && strcmp(out, with_h) == 0, "mha %s -h differs from --help", c->name);
}

/* Runs a command line that must be refused: exit 2 and every `expect` (NULL-ended) in stderr. */
static void refused(const char *args, ...)
{
    const int rc = run(2, "%s", args);
    CHECK(rc == 2, "'mha %s' exited %d, expected 2 (stderr: %s)", args, rc, out);
    va_list ap;
    va_start(ap, args);
    for (const char *e; (e = va_arg(ap, const char *));)
        CHECK(strstr(out, e) != NULL, "'mha %s' said \"%s\", expected it to mention \"%s\"", args, out, e);
    va_end(ap);
}

static void out_of_range(const cli_command *c, const cli_option *o, long long value)
{
    char args[256], want[256];
    snprintf(args, sizeof args, "%s --%s %lld", c->name, o->name, value);
    snprintf(want, sizeof want, "--%s %lld: expected an integer from %lld to %lld", o->name, value, (long long)o->min,
             (long long)o->max);
    refused(args, want, NULL);
}

static void bad_values(const cli_command *c)
{
    char args[512], name[80], want[160];
    snprintf(args, sizeof args, "%s --no-such-option", c->name);
    refused(args, "unknown option '--no-such-option'", NULL);
    for (size_t i = 0; i < c->option_count; i++) {
        const cli_option *o = &c->options[i];
        snprintf(name, sizeof name, "--%s", o->name);
        if (o->kind == CLI_FLAG) {
            snprintf(args, sizeof args, "%s %s=1", c->name, name);
            snprintf(want, sizeof want, "%s takes no value", name);
            refused(args, want, NULL);
            continue;
        }
        snprintf(args, sizeof args, "%s %s", c->name, name);
        snprintf(want, sizeof want, "%s needs a value", name);
        refused(args, want, NULL);
        /* an abbreviation (getopt_long would take it) names the option as typed */
        const size_t n = strlen(o->name);
        int prefix_is_option = 0;
        for (size_t j = 0; j < c->option_count; j++)
            prefix_is_option |= strlen(c->options[j].name) == n - 1 && strncmp(c->options[j].name, o->name, n - 1) == 0;
        if (n > 1 && !prefix_is_option) {
            snprintf(args, sizeof args, "%s --%.*s x", c->name, (int)(n - 1), o->name);
            snprintf(want, sizeof want, "unknown option '--%.*s'", (int)(n - 1), o->name);
            refused(args, want, NULL);
        }
        if (o->kind == CLI_STRING)
            continue;
        /* a number that is not one, in both spellings */
        snprintf(args, sizeof args, "%s %s 12abc", c->name, name);
        snprintf(want, sizeof want, "%s 12abc: expected", name);
        refused(args, want, NULL);
        snprintf(args, sizeof args, "%s %s=12abc", c->name, name);
        refused(args, want, NULL);
        if (o->kind == CLI_FLOAT) { /* what float32 holds only as 0 or a subnormal */
            snprintf(args, sizeof args, "%s %s 1e-50", c->name, name);
            snprintf(want, sizeof want, "%s 1e-50: in float32 it rounds to 0", name);
            refused(args, want, NULL);
            snprintf(args, sizeof args, "%s %s -1e-40", c->name, name);
            snprintf(want, sizeof want, "%s -1e-40: in float32 it is subnormal", name);
            refused(args, want, NULL);
        }
        if (o->kind == CLI_INT) { /* one past each end of the range */
            if (o->min > INT64_MIN)
                out_of_range(c, o, (long long)o->min - 1);
            if (o->max < INT64_MAX)
                out_of_range(c, o, (long long)o->max + 1);
        }
    }
}

/* "--opt=value" means "--opt value"; options may follow positional arguments. */
static void spellings(void)
{
    char spaced[sizeof out];
    CHECK(run(1, "explain --batch 2 --seq 8 --d-model 32 --heads 4 --json") == 0, "explain, spaced values");
    memcpy(spaced, out, sizeof out);
    CHECK(run(1, "explain --json --batch=2 --seq=8 --d-model=32 --heads=4") == 0 && strcmp(out, spaced) == 0,
          "explain with --opt=value differs from --opt value");
    /* the same error, whichever order the action and its options come in */
    CHECK(run(2, "vectors verify --dir no-such-dir") == 1 && strstr(out, "no-such-dir"), "vectors verify --dir: %s",
          out);
    memcpy(spaced, out, sizeof out);
    CHECK(run(2, "vectors --dir=no-such-dir verify") == 1 && strcmp(out, spaced) == 0,
          "vectors --dir=DIR verify differs from vectors verify --dir DIR: %s", out);
    /* POSIXLY_CORRECT would stop getopt_long at the first positional argument; the parser keeps the order free */
    setenv("POSIXLY_CORRECT", "1", 1);
    CHECK(run(2, "vectors verify --dir no-such-dir") == 1 && strcmp(out, spaced) == 0,
          "vectors verify --dir DIR under POSIXLY_CORRECT: %s", out);
    unsetenv("POSIXLY_CORRECT");
    refused("vectors verify extra", "unknown argument 'extra'", NULL);
    refused("list extra", "unknown argument 'extra'", NULL);
    refused("heatmap -x", "unknown option '-x'", NULL);
    refused("heatmap -o", "-o needs a value", NULL);
    /* a custom parser built on cli_parse_float keeps its rules */
    refused("heatmap --scale 1e-40 -o x.svg", "--scale 1e-40: in float32 it is subnormal", NULL);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_cli_options MHA_BINARY SCRATCH_DIR\n");
        return 2;
    }
    static char mha_abs[PATH_MAX], scratch_abs[PATH_MAX];
    if (!realpath(argv[1], mha_abs) || !realpath(argv[2], scratch_abs)) {
        fprintf(stderr, "test_cli_options: cannot resolve %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    mha = mha_abs;
    scratch = scratch_abs;
    const cli_command *const commands[] = {&cli_list,    &cli_attend,  &cli_check,  &cli_vectors,
                                           &cli_example, &cli_explain, &cli_heatmap, &cli_report, &cli_lab};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        help(commands[i]);
        bad_values(commands[i]);
    }
    spellings();
    return check_summary();
}
