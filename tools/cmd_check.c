/*
 * mha check: parses the options, runs the conformance harness
 * (conformance/harness.h), prints the summary and writes the JSON and
 * JUnit files. The exit statuses are CHECK_* of harness.h.
 */
#include "atomic_file.h"
#include "build_paths.h"
#include "cli.h"
#include "conformance/check_summary.h"
#include "conformance/harness.h"
#include "conformance/hashing.h"
#include "mha.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct check_options {
    harness_options harness;
    const char *json, *junit;
    int64_t timeout; /* 0: not given */
} check_options;

#define STRING_OPTION(name, field, metavar, help) \
    {name, 0, CLI_STRING, offsetof(check_options, field), metavar, help, 0, 0, NULL}
#define FLAG_OPTION(name, field, help) {name, 0, CLI_FLAG, offsetof(check_options, field), NULL, help, 0, 0, NULL}
static const cli_option options[] = {
    STRING_OPTION("impl", harness.impl, "NAMES", "built-in implementations: comma-separated names or globs\n"
                                                 "(e.g. 'flash_*,naive'), or 'all' (default; see 'mha list')"),
    STRING_OPTION("port", harness.port, "LIB.so", "check an out-of-tree implementation exporting " MHA_PORT_SYMBOL "()"),
    STRING_OPTION("exec", harness.exec, "COMMAND", "check a port that runs as its own program (any language; run by\n"
                                                   "/bin/sh -c), answering docs/porting-protocol.md on its stdin and stdout"),
    STRING_OPTION("case", harness.pattern, "PATTERN", "only cases and properties whose id matches one of these\n"
                                                      "comma-separated globs (e.g. 'seqlen_*,prop_*')"),
    STRING_OPTION("level", harness.level, "NAME", "only this CPU-feature level (baseline, avx2, ...)"),
    STRING_OPTION("json", json, "FILE", "also write every result as JSON"),
    STRING_OPTION("junit", junit, "FILE", "also write JUnit XML (a testsuite per implementation@level)"),
    STRING_OPTION("vectors", harness.vectors, "DIR", "golden vectors (default: " MHA_VECTORS_DIR "\n"
                                                     "for this build's mha, " MHA_VECTORS_INSTALL_DIR " once installed)"),
    {"timeout", 0, CLI_INT, offsetof(check_options, timeout), "SECONDS",
                  "limit per implementation and level (default " CLI_STR(HARNESS_DEFAULT_TIMEOUT_S) "); on expiry its\n"
                  "process group is killed and the case that hung is named", 1, 7 * 24 * 3600, NULL},
    FLAG_OPTION("verbose", harness.verbose, "also print passing cases"),
    FLAG_OPTION("no-large", harness.no_large, "skip the large shapes computed on the fly (said in the output;\n"
                                              "about a minute of CPU under qemu, most of it their float64 reference)"),
};

const cli_command cli_check = {
    "check",
    "mha check [--impl NAMES|all] [--port LIB.so] [--exec COMMAND] [--case PATTERN] [--level NAME]\n"
    "                 [--json FILE] [--junit FILE] [--vectors DIR] [--timeout SECONDS]\n"
    "                 [--verbose] [--no-large]",
    "Runs every conformance case (the golden vectors plus large shapes computed on the\n"
    "fly) and every property check on each implementation, under each CPU-feature level\n"
    "this machine supports, each implementation and level in a child process of its own\n"
    "(a port is loaded only there). A crash, an exit, a hang or output on stdout fails\n"
    "that one and the run goes on. A port that needs no CPU feature runs once, at the\n"
    "highest level. The last line is 'N passed, N failed', counted over (case,\n"
    "implementation, level).",
    options,
    sizeof options / sizeof options[0],
    "exit status: 0 all passed, 1 a conformance failure, 2 usage, 3 the check could not judge\n"
    "(vectors missing or corrupt, port failed to load, output unwritable); 130/143 after\n"
    "SIGINT/SIGTERM, which also kill the running child's process group.\n",
    0,
};

/* Writes the JSON or JUnit file through the atomic writer; 0 or -1 (message printed). */
static int write_output(const char *opt, const char *path, const check_summary *rep, const summary_meta *meta)
{
    atomic_file af;
    char err[1024];
    int rc = atomic_open(&af, path, err, sizeof err);
    if (rc == 0) {
        rc = meta ? summary_write_json(rep, meta, af.f) : summary_write_junit(rep, af.f);
        if (rc)
            atomic_abort(&af);
        else
            rc = atomic_commit(&af, err, sizeof err);
        if (rc && !err[0])
            snprintf(err, sizeof err, "%s: write failed: %s", path, strerror(errno));
    }
    if (rc)
        printf("mha check: cannot judge: %s %s: %s\n", opt, path, err);
    return rc;
}

MHA_CMD_FN(cmd_check)
{
    check_options parsed = {.harness = {.timeout_s = HARNESS_DEFAULT_TIMEOUT_S}};
    int npos;
    const int status_parse = cli_parse(&cli_check, argc, argv, &parsed, NULL, &npos);
    if (status_parse != CLI_RUN)
        return status_parse;
    harness_options o = parsed.harness;
    const char *json = parsed.json, *junit = parsed.junit;
    const int timeout_given = parsed.timeout != 0;
    if (!!o.impl + !!o.port + !!o.exec > 1)
        return cli_usage_error("check", "--impl, --port and --exec exclude each other");
    if (timeout_given)
        o.timeout_s = (unsigned)parsed.timeout;

    /* every rerun line starts with this program and the options that change what a rerun sees */
    char rerun[1024] = "", exe[PATH_MAX];
    const ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[len > 0 ? len : 0] = '\0';
    shell_arg_append(rerun, sizeof rerun, len > 0 ? exe : "mha");
    memmove(rerun, rerun + 1, strlen(rerun)); /* no leading space */
    strncat(rerun, " check", sizeof rerun - strlen(rerun) - 1);
    if (o.vectors) {
        strncat(rerun, " --vectors", sizeof rerun - strlen(rerun) - 1);
        shell_arg_append(rerun, sizeof rerun, o.vectors);
    }
    if (timeout_given)
        snprintf(rerun + strlen(rerun), sizeof rerun - strlen(rerun), " --timeout %u", o.timeout_s);
    o.rerun = rerun;
    if (!o.vectors)
        o.vectors = build_paths_vectors();

    check_summary rep;
    summary_init(&rep);
    int status = harness_check(&o, &rep);
    if (status == CHECK_USAGE) {
        summary_free(&rep);
        return status;
    }
    summary_print_table(&rep, stdout);
    char port_hash[33] = "";
    char hash_err[512];
    if (o.port && hash_file(o.port, port_hash, hash_err, sizeof hash_err))
        snprintf(port_hash, sizeof port_hash, "unreadable");
    summary_meta meta = {
        .vectors = o.vectors,
        .port = o.port,
        .port_hash = o.port ? port_hash : NULL,
        .exec = o.exec,
        .impl_filter = o.impl,
        .case_filter = o.pattern,
        .level_filter = o.level,
        .no_large = o.no_large,
        .partial = (o.impl && strcmp(o.impl, "all") != 0) || o.pattern || o.level || o.no_large,
        .timeout_s = o.timeout_s,
        .exit_status = status,
    };
    if (json && write_output("--json", json, &rep, &meta))
        status = CHECK_CANNOT_JUDGE;
    if (junit && write_output("--junit", junit, &rep, NULL))
        status = CHECK_CANNOT_JUDGE;
    size_t passed, failed, skipped;
    summary_totals(&rep, &passed, &failed, &skipped);
    static const char *const verdicts[] = {"all passed", "FAILED", "usage error", "could not judge (exit status 3)"};
    char skip_note[96] = "";
    if (skipped)
        snprintf(skip_note, sizeof skip_note, " (%zu case%s skipped: dtypes not declared)", skipped,
                 skipped == 1 ? "" : "s");
    printf("mha check: %s%s%s\n%zu passed, %zu failed\n", verdicts[status],
           meta.partial ? " (a partial run: filters narrowed it)" : "", skip_note, passed, failed);
    summary_free(&rep);
    return status;
}
