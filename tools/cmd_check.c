/*
 * mha check: parses the options, runs the conformance harness
 * (conformance/harness.h), prints the summary and writes the JSON and
 * JUnit files. The exit statuses are CHECK_* of harness.h.
 */
#include "atomic_file.h"
#include "cli.h"
#include "conformance/check_summary.h"
#include "conformance/harness.h"
#include "conformance/hashing.h"
#include "mha.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void help(void)
{
    printf("usage: mha check [--impl NAMES|all] [--port LIB.so] [--exec COMMAND] [--case PATTERN] [--level NAME]\n"
           "                 [--json FILE] [--junit FILE] [--vectors DIR] [--timeout SECONDS]\n"
           "                 [--verbose] [--no-large]\n\n"
           "Runs every conformance case (the golden vectors plus large shapes computed on the\n"
           "fly) and every property check on each implementation, under each CPU-feature level\n"
           "this machine supports, each implementation and level in a child process of its own\n"
           "(a port is loaded only there). A crash, an exit, a hang or output on stdout fails\n"
           "that one and the run goes on. A port that needs no CPU feature runs once, at the\n"
           "highest level. The last line is 'N passed, N failed', counted over (case,\n"
           "implementation, level).\n\n"
           "  --impl NAMES       built-in implementations: comma-separated names or globs\n"
           "                     (e.g. 'flash_*,naive'), or 'all' (default; see 'mha list')\n"
           "  --port LIB.so      check an out-of-tree implementation exporting %s()\n"
           "  --case PATTERN     only cases and properties whose id matches one of these\n"
           "                     comma-separated globs (e.g. 'seqlen_*,prop_*')\n"
           "  --level NAME       only this CPU-feature level (baseline, avx2, ...)\n"
           "  --json FILE        also write every result as JSON\n"
           "  --junit FILE       also write JUnit XML (a testsuite per implementation@level)\n"
           "  --vectors DIR      golden vectors (default: %s\n"
           "                     for this build's mha, %s once installed)\n"
           "  --timeout SECONDS  limit per implementation and level (default %d); on expiry its\n"
           "                     process group is killed and the case that hung is named\n"
           "  --verbose          also print passing cases\n"
           "  --no-large         skip the large shapes computed on the fly (said in the output;\n"
           "                     about a minute of CPU under qemu, most of it their float64 reference)\n\n"
           "exit status: 0 all passed, 1 a conformance failure, 2 usage, 3 the check could not judge\n"
           "(vectors missing or corrupt, port failed to load, output unwritable); 130/143 after\n"
           "SIGINT/SIGTERM, which also kill the running child's process group.\n",
           MHA_PORT_SYMBOL, MHA_VECTORS_DIR, MHA_VECTORS_INSTALL_DIR, HARNESS_DEFAULT_TIMEOUT_S);
}

/* The source tree's vectors for the mha of a build folder, the installed ones for an installed mha. */
static const char *default_vectors(void)
{
    char exe[PATH_MAX], build[PATH_MAX];
    if (!realpath("/proc/self/exe", exe) || !realpath(MHA_BUILD_ROOT, build))
        return MHA_VECTORS_INSTALL_DIR;
    const size_t n = strlen(build);
    return strncmp(exe, build, n) == 0 && exe[n] == '/' ? MHA_VECTORS_DIR : MHA_VECTORS_INSTALL_DIR;
}

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
    harness_options o = {.timeout_s = HARNESS_DEFAULT_TIMEOUT_S};
    const char *json = NULL, *junit = NULL, *timeout = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            help();
            return CHECK_PASSED;
        }
        if (strcmp(a, "--verbose") == 0 || strcmp(a, "--no-large") == 0) {
            *(a[2] == 'v' ? &o.verbose : &o.no_large) = 1;
            continue;
        }
        const char **dst = strcmp(a, "--impl") == 0      ? &o.impl
                           : strcmp(a, "--port") == 0    ? &o.port
                           : strcmp(a, "--exec") == 0    ? &o.exec
                           : strcmp(a, "--case") == 0    ? &o.pattern
                           : strcmp(a, "--level") == 0   ? &o.level
                           : strcmp(a, "--json") == 0    ? &json
                           : strcmp(a, "--junit") == 0   ? &junit
                           : strcmp(a, "--vectors") == 0 ? &o.vectors
                           : strcmp(a, "--timeout") == 0 ? &timeout
                                                         : NULL;
        if (!dst)
            return cli_usage_error("check", "unknown option '%s'", a);
        if (i + 1 >= argc)
            return cli_usage_error("check", "%s needs a value", a);
        *dst = argv[++i];
    }
    if (!!o.impl + !!o.port + !!o.exec > 1)
        return cli_usage_error("check", "--impl, --port and --exec exclude each other");
    int64_t seconds = HARNESS_DEFAULT_TIMEOUT_S;
    if (timeout && cli_parse_int("check", "--timeout", timeout, 1, 7 * 24 * 3600, &seconds))
        return CHECK_USAGE;
    o.timeout_s = (unsigned)seconds;

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
    if (timeout)
        snprintf(rerun + strlen(rerun), sizeof rerun - strlen(rerun), " --timeout %u", o.timeout_s);
    o.rerun = rerun;
    if (!o.vectors)
        o.vectors = default_vectors();

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
    size_t passed, failed;
    summary_totals(&rep, &passed, &failed);
    static const char *const verdicts[] = {"all passed", "FAILED", "usage error", "could not judge (exit status 3)"};
    printf("mha check: %s%s\n%zu passed, %zu failed\n", verdicts[status],
           meta.partial ? " (a partial run: filters narrowed it)" : "", passed, failed);
    summary_free(&rep);
    return status;
}
