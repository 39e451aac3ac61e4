/* Shared pieces of the `mha` program: the subcommand signature and the option parser. */
#ifndef MHA_CLI_H
#define MHA_CLI_H

#include <stddef.h>
#include <stdint.h>

/* Every subcommand: argv[0] is the subcommand name. Returns the exit status. */
#define MHA_CMD_FN(name) int name(int argc, char **argv)

MHA_CMD_FN(cmd_list);
MHA_CMD_FN(cmd_attend);
MHA_CMD_FN(cmd_check);
MHA_CMD_FN(cmd_vectors);
MHA_CMD_FN(cmd_example);
MHA_CMD_FN(cmd_explain);
MHA_CMD_FN(cmd_heatmap);
MHA_CMD_FN(cmd_report);
MHA_CMD_FN(cmd_lab);

/* Exit statuses of every subcommand. */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* What an option stores at its offset in the command's options struct. */
typedef enum cli_kind {
    CLI_FLAG,   /* int, set to 1; takes no value */
    CLI_STRING, /* const char *, the value as given */
    CLI_INT,    /* int64_t, through cli_parse_int with [min, max] */
    CLI_FLOAT,  /* float, through cli_parse_float (0 or normal) */
    CLI_CUSTOM, /* whatever `parse` writes */
} cli_kind;

/*
 * One option of a subcommand. `name` is the long name without "--";
 * `help` may hold '\n' for continuation lines, which --help indents.
 */
typedef struct cli_option {
    const char *name;
    char short_name; /* 0, or the letter of a one-dash alias (e.g. 'o' for -o) */
    cli_kind kind;
    size_t offset;       /* offsetof(the command's options struct, field) */
    const char *metavar; /* the value's placeholder in --help ("FILE"); NULL for CLI_FLAG */
    const char *help;
    int64_t min, max; /* CLI_INT only */
    /* CLI_CUSTOM only: parse text into dst; on error print like cli_parse_int and return nonzero */
    int (*parse)(const char *cmd, const char *opt, const char *text, void *dst);
} cli_option;

/* A subcommand's command line: its options as data and the text of its --help around them. */
typedef struct cli_command {
    const char *name;     /* "attend" */
    const char *usage;    /* after "usage: "; may span lines */
    const char *about;    /* paragraph(s) between the usage and the options, or NULL */
    const cli_option *options;
    size_t option_count;
    const char *epilog;   /* text after the options, or NULL */
    int max_positional;   /* arguments that are not options; more is a usage error */
} cli_command;

/* cli_parse's result when the command should go on and run. */
enum { CLI_RUN = -1 };

/*
 * Parses argv[1..] of subcommand `c` with getopt_long into the struct at
 * `opts` (each option at its offset). "--name VALUE" and "--name=VALUE"
 * both work; -h and --help print the help. Options and positional
 * arguments may come in any order; "--" ends the options. Abbreviated long
 * names are refused. argv is left as it is. Returns CLI_RUN with the
 * positional arguments in positional[0..*npositional) (room for
 * c->max_positional), or the exit status to return: EXIT_OK after --help,
 * EXIT_USAGE after an error printed as "mha CMD: ...".
 */
int cli_parse(const cli_command *c, int argc, char **argv, void *opts, const char **positional, int *npositional);

/* The generated --help of `c`, on stdout. */
void cli_print_help(const cli_command *c);

/*
 * Parse the value of option `opt`. On error print
 * "mha CMD: --opt VALUE: expected ..." to stderr and return nonzero.
 * A float is 0 or a normal float32: a nonzero value that rounds to 0 or to
 * a subnormal is refused rather than silently changed.
 */
int cli_parse_int(const char *cmd, const char *opt, const char *text, int64_t min, int64_t max, int64_t *out);
int cli_parse_float(const char *cmd, const char *opt, const char *text, float *out);

/* True if argv[i] is -h or --help. */
int cli_is_help(const char *arg);

/* Print "mha CMD: message" to stderr plus a pointer to --help; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A macro's value as a string literal, for help texts: CLI_STR(64) is "64". */
#define CLI_STR_(x) #x
#define CLI_STR(x) CLI_STR_(x)

/* The tables of the subcommands that use cli_parse (tests read them). */
extern const cli_command cli_list, cli_attend, cli_check, cli_vectors, cli_example, cli_explain, cli_heatmap,
    cli_report, cli_lab;

#endif
