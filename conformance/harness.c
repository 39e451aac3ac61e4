/*
 * The plan of `mha check`: which implementations, which CPU levels, which
 * cases; then one child per (implementation, level), see harness_proc.c.
 */
#include "harness.h"

#include "harness_proc.h"
#include "suites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void shell_arg_append(char *buf, size_t size, const char *s)
{
    size_t len = strlen(buf);
    const int plain = *s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./=,:@%+-") ==
                                strlen(s);
    if (len + 1 < size)
        buf[len++] = ' ';
    if (!plain && len + 1 < size)
        buf[len++] = '\'';
    for (; *s && len + 5 < size; s++) {
        if (*s == '\'' && !plain) { /* close, escaped quote, reopen */
            memcpy(buf + len, "'\\''", 4);
            len += 4;
        } else {
            buf[len++] = *s;
        }
    }
    if (!plain && len + 1 < size)
        buf[len++] = '\'';
    buf[len < size ? len : size - 1] = '\0';
}

/* Loads the stored cases that match, and the large ones when asked; returns the number of problems. */
static int load_cases(const harness_options *o, int with_large, case_data **out, size_t *count, double *factor,
                      double *floor)
{
    char err[1024];
    manifest m;
    *count = 0;
    *out = NULL;
    if (vectors_load_manifest(o->vectors, &m, err, sizeof err)) {
        printf("VECTORS  %s\n", err);
        return 1;
    }
    *factor = m.factor;
    *floor = m.floor;
    size_t ntable;
    const conf_case *table = cases_all(&ntable);
    case_data *cases = calloc(m.count + ntable, sizeof *cases);
    if (!cases) {
        manifest_free(&m);
        printf("ERROR    out of memory for %zu cases\n", m.count + ntable);
        return 1;
    }
    int problems = 0;
    for (size_t i = 0; i < m.count; i++) {
        if (!pattern_match(o->pattern, m.cases[i].c.id))
            continue;
        if (vectors_load_case(o->vectors, &m, &m.cases[i], &cases[*count], err, sizeof err)) {
            printf("VECTORS  %s\n", err);
            problems++;
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
            problems++;
            continue;
        }
        (*count)++;
    }
    if (skipped)
        printf(" (%s)\n", o->no_large ? "--no-large" : "they run at the highest level only; see --level");
    *out = cases;
    return problems;
}

/* The levels this CPU distinguishes, lowest first; use[] marks the ones to run. Returns the top one or -1. */
static int pick_levels(const char *only, int use[16])
{
    const char *const *names;
    const uint32_t *masks;
    const int n = mha_cpu_levels(&names, &masks);
    const uint32_t detected = mha_cpu_detected();
    uint32_t prev = 0xffffffffu;
    int top = -1;
    for (int l = 0; l < n && l < 16; l++) {
        use[l] = 0;
        const uint32_t eff = detected & masks[l];
        if (eff == prev)
            continue; /* this CPU lacks what the level adds */
        prev = eff;
        top = l;
        use[l] = !only || strcmp(only, names[l]) == 0;
    }
    return top;
}

/* The option of `mha check` that selects an implementation of this kind. */
static const char *kind_option(impl_kind kind)
{
    return kind == IMPL_PORT ? "--port" : kind == IMPL_EXEC ? "--exec" : "--impl";
}

/* What names an external implementation until it has named itself: the last part of its path or command. */
static const char *source_base(const impl_source *src)
{
    return strrchr(src->what, '/') ? strrchr(src->what, '/') + 1 : src->what;
}

/* A library port's descriptor, learned in a child. CHECK_PASSED, or the verdict that ends the check. */
static int probe(const harness_options *o, const impl_source *src, check_summary *rep, child_descriptor *desc)
{
    child_job job = {.src = *src, .probe = 1, .ro.fd = -1};
    check_run *run = summary_add_run(rep, source_base(src), "load");
    if (!run)
        return CHECK_CANNOT_JUDGE;
    snprintf(run->rerun, sizeof run->rerun, "%s %s", o->rerun, kind_option(src->kind));
    shell_arg_append(run->rerun, sizeof run->rerun, src->what);
    if (harness_run_child(&job, o->timeout_s, run, desc) == CHILD_LOAD_ERROR) {
        printf("mha check: cannot judge: %s\n", run->note);
        rep->count--; /* not a result: the check did not happen */
        free(run->results);
        return CHECK_CANNOT_JUDGE;
    }
    if (run->status != RUN_PASS) { /* died, hung or printed while loading */
        for (size_t j = 0; j < run->count; j++)
            printf("%s %s  %s\n      rerun: %s\n", run_status_name(run->status), run->label,
                   run->results[j].reason, run->rerun);
        return CHECK_FAILED;
    }
    rep->count--; /* loading is not a result when it works */
    free(run->results);
    return CHECK_PASSED;
}

/* One implementation at one level; returns 1 when the child could not load it (the check cannot judge). */
static int run_one(const harness_options *o, const impl_source *src, const char *name, int level, int top,
                    const case_data *cases, size_t ncases, double factor, double floor, check_summary *rep)
{
    const char *const *names;
    const uint32_t *masks;
    mha_cpu_levels(&names, &masks);
    child_descriptor desc;
    memset(&desc, 0, sizeof desc);
    check_run *run = summary_add_run(rep, name, names[level]);
    if (!run)
        return 1;
    snprintf(run->rerun, sizeof run->rerun, "%s %s", o->rerun, kind_option(src->kind));
    shell_arg_append(run->rerun, sizeof run->rerun, src->what);
    snprintf(run->rerun + strlen(run->rerun), sizeof run->rerun - strlen(run->rerun), " --level %s", names[level]);
    child_job job = {
        .src = *src,
        .name_from_port = src->kind == IMPL_EXEC,
        .mask = masks[level],
        .cases = cases,
        .ncases = ncases,
        .props_pattern = o->pattern,
        .ro = {.label = run->label, .rerun = run->rerun, .factor = factor, .floor = floor, .top_level = level == top,
               .fd = -1, .verbose = o->verbose},
    };
    if (!job.name_from_port)
        printf("== %s\n", run->label);
    if (harness_run_child(&job, o->timeout_s, run, &desc) == CHILD_LOAD_ERROR) {
        if (job.name_from_port) { /* never started: not a result, as for a library port's probe */
            printf("mha check: cannot judge: %s\n", run->note);
            rep->count--;
            free(run->results);
            return 1;
        }
        run->status = RUN_CRASH;
        printf("mha check: cannot judge %s: %s\n", run->label, run->note);
        return 1;
    }
    if (job.name_from_port && desc.name[0]) {
        snprintf(run->name, sizeof run->name, "%s", desc.name);
        snprintf(run->label, sizeof run->label, "%s@%s", desc.name, names[level]);
    }
    if (run->status == RUN_SKIP) {
        printf("   %s: skipped, %s\n", run->label, run->note);
        return 0;
    }
    if (run->status == RUN_CRASH || run->status == RUN_TIMEOUT)
        printf("%s %s  %s\n      rerun: %s\n", run_status_name(run->status), run->label, run->note, run->rerun);
    for (size_t j = 0; j < run->count; j++) /* what the parent saw besides the cases: stdout, processes */
        if (strncmp(run->results[j].id, "port_", 5) == 0)
            printf("FAIL  %s  %s\n      %s\n      rerun: %s\n", run->label, run->results[j].id,
                   run->results[j].reason, run->rerun);
    printf("   %s: %s, %zu passed, %zu failed%s%s\n", run->label, run_status_name(run->status), run->passed,
           run->failed, run->note[0] ? "; " : "", run->note);
    return 0;
}

int harness_check(const harness_options *o, check_summary *rep)
{
    harness_handle_signals();
    impl_source srcs[64];
    size_t nsrc = 0;
    child_descriptor port_desc;
    memset(&port_desc, 0, sizeof port_desc);
    /*
     * A library port is probed in a child first, for its CPU features. An
     * --exec port has none (the protocol declares none), so it is started
     * once, by the child that checks it, which also learns its name.
     */
    const int external = o->port || o->exec;
    if (o->port) {
        srcs[nsrc++] = (impl_source){IMPL_PORT, o->port};
        const int verdict = probe(o, &srcs[0], rep, &port_desc);
        if (verdict != CHECK_PASSED)
            return verdict;
    } else if (o->exec) {
        srcs[nsrc++] = (impl_source){IMPL_EXEC, o->exec};
    } else {
        for (size_t i = 0; i < mha_impl_count() && nsrc < 64; i++) {
            const mha_impl *impl = mha_impl_get(i);
            if (!o->impl || strcmp(o->impl, "all") == 0 || pattern_match(o->impl, impl->name))
                srcs[nsrc++] = (impl_source){IMPL_BUILTIN, impl->name};
        }
        if (!nsrc) {
            fprintf(stderr, "mha check: --impl %s: no such implementation in this build (see 'mha list')\n", o->impl);
            return CHECK_USAGE;
        }
    }
    const char *const *lnames;
    const uint32_t *lmasks;
    const int nlevels = mha_cpu_levels(&lnames, &lmasks);
    int use[16];
    const int top = pick_levels(o->level, use);
    int nuse = 0;
    for (int l = 0; l < nlevels && l < 16; l++)
        nuse += use[l];
    if (!nuse) {
        fprintf(stderr, "mha check: --level %s: not a level this CPU supports (levels:", o->level);
        for (int l = 0; l < nlevels; l++)
            fprintf(stderr, " %s", lnames[l]);
        fprintf(stderr, ")\n");
        return CHECK_USAGE;
    }
    /* a port that needs no CPU feature behaves the same at every level: once, at the top one */
    if (external && port_desc.cpu_features == 0 && !o->level) {
        for (int l = 0; l < nlevels && l < 16; l++)
            use[l] = l == top;
        if (o->exec)
            printf("mha check: an --exec port needs no CPU feature: checked once, at level %s\n", lnames[top]);
        else
            printf("mha check: port %s needs no CPU feature (cpu_features 0): checked once, at level %s\n",
                   port_desc.name, lnames[top]);
    }

    size_t ncases = 0;
    double factor = TOL_FACTOR, floor = TOL_FLOOR;
    case_data *cases = NULL;
    const int problems = load_cases(o, use[top] && !o->no_large, &cases, &ncases, &factor, &floor);
    int verdict = CHECK_PASSED;
    if (problems) {
        printf("mha check: cannot judge: %d problem(s) with the vectors in %s (see above; 'mha vectors verify "
               "--dir %s'); nothing was run\n", problems, o->vectors, o->vectors);
        verdict = CHECK_CANNOT_JUDGE;
    } else if (ncases == 0 && props_matching(o->pattern) == 0) {
        fprintf(stderr, "mha check: --case %s: no case or property id matches (ids are in %s/MANIFEST, "
                "large_* and prop_* ids in docs/conformance.md)\n", o->pattern, o->vectors);
        verdict = CHECK_USAGE;
    } else {
        printf("mha check: %zu cases from %s, tolerance = %g x err_fp32 + %g x max|V| x eps "
               "(+ max|V| x u(dtype) for a bf16/fp16 out), --timeout %u s\n",
               ncases, o->vectors, factor, floor, o->timeout_s);
        props_prepare(o->pattern); /* once here, not in every child */
        int unjudged = 0;
        for (size_t i = 0; i < nsrc; i++)
            for (int l = 0; l < nlevels && l < 16; l++)
                if (use[l])
                    unjudged += run_one(o, &srcs[i],
                                        o->port ? port_desc.name : o->exec ? source_base(&srcs[i]) : srcs[i].what,
                                        l, top, cases, ncases, factor, floor, rep);
        props_release();
        verdict = unjudged ? CHECK_CANNOT_JUDGE : summary_failed(rep) ? CHECK_FAILED : CHECK_PASSED;
    }
    for (size_t i = 0; i < ncases; i++)
        case_data_free(&cases[i]);
    free(cases);
    return verdict;
}
