/*
 * mha check: every conformance case and property on every implementation
 * this CPU can run, under every CPU-feature level, each (implementation,
 * level) in its own forked child so a crash fails that one and the run
 * goes on. Ends with a summary table; exit 0 only when everything passed.
 */
#include "check_report.h"
#include "cli.h"
#include "conformance/exec_port.h"
#include "conformance/port.h"
#include "conformance/runner.h"
#include "mha.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void help(void)
{
    printf("usage: mha check [--impl NAMES|all] [--port LIB.so] [--exec COMMAND] [--case PATTERN]\n"
           "                 [--level NAME] [--json FILE] [--vectors DIR] [--verbose] [--no-large]\n\n"
           "Runs every conformance case (the golden vectors plus large shapes computed on the\n"
           "fly) and every property check on each implementation, under each CPU-feature level\n"
           "this machine supports. Each implementation and level runs in a forked child: a\n"
           "crash fails that one and the run goes on. Exit 0 only when everything passes.\n\n"
           "  --impl NAMES     built-in implementations: comma-separated names or globs\n"
           "                   (e.g. 'flash_*,naive'), or 'all' (default; see 'mha list')\n"
           "  --port LIB.so    check an out-of-tree implementation exporting %s()\n"
           "  --exec COMMAND   check a port in any language: /bin/sh -c COMMAND answers\n"
           "                   requests on stdin/stdout (protocol: docs/porting-protocol.md)\n"
           "  --case PATTERN   only cases and properties whose id matches one of these\n"
           "                   comma-separated globs (e.g. 'seqlen_*,prop_*')\n"
           "  --level NAME     only this CPU-feature level (baseline, avx2, ...)\n"
           "  --json FILE      also write every result as JSON\n"
           "  --vectors DIR    golden vectors (default %s,\n"
           "                   or %s when that does not exist)\n"
           "  --verbose        also print passing cases\n"
           "  --no-large       skip the large shapes computed on the fly (said in the output;\n"
           "                   about a minute of CPU under qemu, most of it their float64 reference)\n",
           MHA_PORT_SYMBOL, MHA_VECTORS_DIR, MHA_VECTORS_INSTALL_DIR);
}

typedef struct options {
    const char *impl, *port, *exec, *pattern, *level, *json, *vectors;
    int verbose;
    int no_large; /* skip the large shapes computed on the fly */
} options;

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV (invalid memory access)";
    case SIGILL: return "SIGILL (illegal instruction: an ISA the CPU lacks?)";
    case SIGFPE: return "SIGFPE (arithmetic exception)";
    case SIGBUS: return "SIGBUS (bus error: misaligned or unmapped access)";
    case SIGABRT: return "SIGABRT (abort)";
    case SIGALRM: return "SIGALRM (timed out after 600 s)";
    default: return strsignal(sig);
    }
}

/* s in single quotes for a shell ('\\'' for each quote inside). */
static const char *shell_quote(const char *s, char *buf, size_t size)
{
    size_t o = 0;
    buf[o++] = '\'';
    for (; *s && o + 6 < size; s++)
        o += (size_t)snprintf(buf + o, size - o, *s == '\'' ? "'\\''" : "%c", *s);
    snprintf(buf + o, size - o, "'");
    return buf;
}

/* Loads the stored cases that match; problems are printed and counted. */
static case_data *load_cases(const options *o, const char *dir, int with_large, size_t *count, int *problems,
                             double *factor, double *floor)
{
    char err[1024];
    manifest m;
    *count = 0;
    if (vectors_load_manifest(dir, &m, err, sizeof err)) {
        printf("VECTORS  %s\n", err);
        (*problems)++;
        return NULL;
    }
    *factor = m.factor;
    *floor = m.floor;
    size_t ntable;
    const conf_case *table = cases_all(&ntable);
    case_data *cases = calloc(m.count + ntable, sizeof *cases);
    if (!cases) {
        manifest_free(&m);
        return NULL;
    }
    for (size_t i = 0; i < m.count; i++) {
        if (!pattern_match(o->pattern, m.cases[i].c.id))
            continue;
        if (vectors_load_case(dir, &m, &m.cases[i], &cases[*count], err, sizeof err)) {
            printf("VECTORS  %s\n", err);
            (*problems)++;
            continue;
        }
        (*count)++;
    }
    manifest_free(&m);
    /* large shapes (run at the top level only): reference and naive's error computed now */
    size_t skipped = 0;
    for (size_t i = 0; i < ntable; i++) {
        if (!table[i].large || !pattern_match(o->pattern, table[i].id))
            continue;
        if (!with_large) { /* never silent: the run checks less than a full one */
            printf("%s%s", skipped++ ? ", " : "mha check: large shapes NOT checked in this run: ", table[i].id);
            continue;
        }
        printf("computing the float64 reference of %s on the fly\n", table[i].id);
        fflush(stdout);
        if (case_compute(&table[i], &cases[*count], err, sizeof err)) {
            printf("ERROR    %s\n", err);
            (*problems)++;
            continue;
        }
        (*count)++;
    }
    if (skipped)
        printf(" (%s)\n", o->no_large ? "--no-large" : "they run at the highest level only; see --level");
    return cases;
}

/* Runs one implementation at one level in a child; fills run. */
static void run_child(const mha_impl *impl, uint32_t mask, const case_data *cases, size_t n, run_opts *ro,
                      impl_run *run)
{
    int fds[2];
    fflush(stdout);
    fflush(stderr);
    if (pipe(fds)) {
        run->status = RUN_FAIL;
        snprintf(run->note, sizeof run->note, "pipe: %s", strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        run->status = RUN_FAIL;
        snprintf(run->note, sizeof run->note, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        ro->fd = fds[1];
        alarm(600);
        mha_cpu_set_mask(mask);
        int failures = run_impl(impl, cases, n, ro);
        fflush(stdout);
        _exit(failures ? 1 : 0);
    }
    close(fds[1]);
    run_result r;
    char started[48] = "";
    for (;;) {
        ssize_t got = read(fds[0], &r, sizeof r);
        if (got < 0 && errno == EINTR)
            continue;
        if (got != (ssize_t)sizeof r)
            break;
        if (r.started) {
            snprintf(started, sizeof started, "%s", r.id);
            continue;
        }
        started[0] = '\0';
        impl_run_add(run, &r);
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status)) {
        run->status = RUN_CRASH;
        snprintf(run->note, sizeof run->note, "crashed with %s%s%s", signal_name(WTERMSIG(status)),
                 started[0] ? " during " : "", started);
        printf("CRASH %s  %s\n      rerun: %s%s%s\n", run->label, run->note, ro->rerun, started[0] ? " --case " : "",
               started);
        if (started[0]) { /* the case it died in counts as failed */
            run_result dead;
            memset(&dead, 0, sizeof dead);
            snprintf(dead.id, sizeof dead.id, "%s", started);
            const conf_case *c = cases_find(started);
            snprintf(dead.group, sizeof dead.group, "%s", c ? c->group : "property");
            snprintf(dead.reason, sizeof dead.reason, "%.200s", run->note);
            impl_run_add(run, &dead);
        }
    } else if (WEXITSTATUS(status) != 0 || run->failed) {
        run->status = RUN_FAIL;
        if (!run->failed)
            snprintf(run->note, sizeof run->note, "child exited with status %d during %s", WEXITSTATUS(status),
                     started[0] ? started : "the run");
    } else {
        run->status = RUN_PASS;
    }
}

static int run_all(const options *o)
{
    const char *dir = o->vectors;
    struct stat st;
    char path[4096];
    if (!dir) {
        snprintf(path, sizeof path, "%s/MANIFEST", MHA_VECTORS_DIR);
        dir = stat(path, &st) == 0 ? MHA_VECTORS_DIR : MHA_VECTORS_INSTALL_DIR;
    }

    /* implementations: the port, or the registry */
    const mha_impl *impls[64];
    size_t nimpl = 0;
    if (o->port || o->exec) {
        char err[1024];
        impls[0] = o->port ? port_load(o->port, err, sizeof err) : exec_port_load(o->exec, err, sizeof err);
        if (!impls[0]) {
            fprintf(stderr, "mha check: %s\n", err);
            return EXIT_FAILED;
        }
        nimpl = 1;
    } else {
        for (size_t i = 0; i < mha_impl_count() && nimpl < 64; i++) {
            const mha_impl *impl = mha_impl_get(i);
            if (!o->impl || strcmp(o->impl, "all") == 0 || pattern_match(o->impl, impl->name))
                impls[nimpl++] = impl;
        }
        if (!nimpl) {
            fprintf(stderr, "mha check: --impl %s: no such implementation in this build (see 'mha list')\n", o->impl);
            return EXIT_USAGE;
        }
    }

    /* levels: distinct effective feature sets, lowest first */
    const char *const *lnames;
    const uint32_t *lmasks;
    const int nlevels = mha_cpu_levels(&lnames, &lmasks);
    const uint32_t detected = mha_cpu_detected();
    int use[16] = {0}, top = -1, nuse = 0;
    uint32_t prev = 0xffffffffu;
    for (int l = 0; l < nlevels && l < 16; l++) {
        const uint32_t eff = detected & lmasks[l];
        if (eff == prev)
            continue; /* this CPU lacks what the level adds */
        prev = eff;
        top = l;
        if (!o->level || strcmp(o->level, lnames[l]) == 0) {
            use[l] = 1;
            nuse++;
        }
    }
    if (!nuse) {
        fprintf(stderr, "mha check: --level %s: not a level this CPU supports (levels:", o->level);
        for (int l = 0; l < nlevels; l++)
            fprintf(stderr, " %s", lnames[l]);
        fprintf(stderr, ")\n");
        return EXIT_USAGE;
    }

    int problems = 0;
    size_t ncases = 0;
    double factor = TOL_FACTOR, floor = TOL_FLOOR;
    case_data *cases = load_cases(o, dir, use[top] && !o->no_large, &ncases, &problems, &factor, &floor);
    if (!problems && ncases == 0 && props_matching(o->pattern) == 0) {
        fprintf(stderr, "mha check: --case %s: no case or property id matches (ids are in %s/MANIFEST, "
                "large_* and prop_* ids in the README section Conformance)\n", o->pattern, dir);
        free(cases);
        return EXIT_USAGE;
    }
    printf("mha check: %zu cases from %s, tolerance = %g x err_fp32 + %g x max|V| x eps\n", ncases, dir, factor,
           floor);

    props_prepare(o->pattern); /* once here, not in every forked child */
    report rep;
    report_init(&rep);
    for (size_t i = 0; i < nimpl; i++)
        for (int l = 0; l < nlevels; l++) {
            if (!use[l])
                continue;
            impl_run *run = report_add(&rep, impls[i]->name, lnames[l]);
            if (!run)
                break;
            char rerun[4096], quoted[2048];
            snprintf(rerun, sizeof rerun, "mha check %s %s --level %s%s%s",
                     o->port ? "--port" : o->exec ? "--exec" : "--impl",
                     o->port ? o->port : o->exec ? shell_quote(o->exec, quoted, sizeof quoted) : impls[i]->name,
                     lnames[l], o->vectors ? " --vectors " : "", o->vectors ? o->vectors : "");
            run_opts ro = {run->label, rerun, factor, floor, l == top, 1, o->pattern, -1, o->verbose};
            char why[256];
            mha_cpu_set_mask(lmasks[l]);
            const int runnable = mha_impl_runnable(impls[i], why, sizeof why);
            mha_cpu_set_mask(MHA_CPU_ALL);
            if (!runnable) {
                run->status = RUN_SKIP;
                snprintf(run->note, sizeof run->note, "not runnable at level %s: %s", lnames[l], why);
                printf("== %s: skipped, %s\n", run->label, run->note);
                continue;
            }
            printf("== %s: %s\n", run->label, impls[i]->summary ? impls[i]->summary : "");
            run_child(impls[i], lmasks[l], cases, ncases, &ro, run);
            printf("   %s: %s, %zu passed, %zu failed%s%s\n", run->label, run_status_name(run->status), run->passed,
                   run->failed, run->note[0] ? "; " : "", run->note);
        }

    report_print_table(&rep, stdout);
    int failed = problems > 0 || report_failed(&rep);
    if (problems)
        printf("%d problem(s) with the vectors (see VECTORS lines above; 'mha vectors verify --dir %s')\n", problems,
               dir);
    if (o->json && report_write_json(&rep, o->json, dir, problems)) {
        fprintf(stderr, "mha check: --json %s: %s\n", o->json, strerror(errno));
        failed = 1;
    }
    printf("mha check: %s\n", failed ? "FAILED" : "all passed");
    report_free(&rep);
    props_release();
    for (size_t i = 0; i < ncases; i++)
        case_data_free(&cases[i]);
    free(cases);
    return failed ? EXIT_FAILED : EXIT_OK;
}

MHA_CMD_FN(cmd_check)
{
    options o = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            help();
            return EXIT_OK;
        }
        if (strcmp(a, "--verbose") == 0) {
            o.verbose = 1;
            continue;
        }
        if (strcmp(a, "--no-large") == 0) {
            o.no_large = 1;
            continue;
        }
        const char **dst = strcmp(a, "--impl") == 0      ? &o.impl
                           : strcmp(a, "--port") == 0    ? &o.port
                           : strcmp(a, "--exec") == 0    ? &o.exec
                           : strcmp(a, "--case") == 0    ? &o.pattern
                           : strcmp(a, "--level") == 0   ? &o.level
                           : strcmp(a, "--json") == 0    ? &o.json
                           : strcmp(a, "--vectors") == 0 ? &o.vectors
                                                         : NULL;
        if (!dst)
            return cli_usage_error("check", "unknown option '%s'", a);
        if (i + 1 >= argc)
            return cli_usage_error("check", "%s needs a value", a);
        *dst = argv[++i];
    }
    if (!!o.impl + !!o.port + !!o.exec > 1)
        return cli_usage_error("check", "--impl, --port and --exec exclude each other");
    return run_all(&o);
}
