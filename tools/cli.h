/* Shared pieces of the `mha` program: the subcommand signature and option parsing. */
#ifndef MHA_CLI_H
#define MHA_CLI_H

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

/* Exit statuses of every subcommand. */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/*
 * Parse the value of option `opt`. On error print
 * "mha CMD: --opt VALUE: expected ..." to stderr and return nonzero.
 */
int cli_parse_int(const char *cmd, const char *opt, const char *text, int64_t min, int64_t max, int64_t *out);
int cli_parse_float(const char *cmd, const char *opt, const char *text, float *out);

/* True if argv[i] is -h or --help. */
int cli_is_help(const char *arg);

/* Print "mha CMD: message" to stderr plus a pointer to --help; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
