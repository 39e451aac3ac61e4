/*
 * The child side of the harness: load the implementation under test (the
 * only place it is loaded), report its descriptor, run the case suite and
 * the property suite at one CPU level, and end with a "done" record. The port's code
 * runs with fd 1 pointed at a capture pipe the parent reads, so what a
 * port prints never mixes into the report.
 */
#include "harness_proc.h"

#include "exec_port.h"
#include "guard_pages.h"
#include "port.h"
#include "suites.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int control_fd = -1;
static int report_fd = -1;  /* the real stdout, where the runner prints */
static int capture_fd = -1; /* fd 1 while the port's code runs */

/* A control record; what the runner printed before it reaches stdout first. */
static void send_msg(int kind, const char *text, int failures, const child_descriptor *desc)
{
    fflush(stdout);
    record_control(control_fd, kind, text, failures, desc);
}

static void stdout_to_port(void)
{
    fflush(stdout);
    dup2(capture_fd, STDOUT_FILENO);
}

static void stdout_to_report(void)
{
    fflush(stdout); /* what the port left in stdout's buffer still goes to the capture */
    dup2(report_fd, STDOUT_FILENO);
}

/* The implementation under test, wrapped so its code runs with stdout captured. */
static const mha_impl *real;

static void routed_attention(const mha_args *args, void *workspace)
{
    stdout_to_port();
    real->attention(args, workspace);
    stdout_to_report();
}

static size_t routed_workspace(const mha_shape *shape, int threads, int want_probs)
{
    stdout_to_port();
    const size_t bytes = real->workspace(shape, threads, want_probs);
    stdout_to_report();
    return bytes;
}

static MHA_MATMUL_FN(routed_matmul)
{
    stdout_to_port();
    real->matmul(m, n, k, a, lda, b, ldb, c, ldc, threads, work);
    stdout_to_report();
}

static MHA_MATMUL_WORKSPACE_FN(routed_matmul_workspace)
{
    stdout_to_port();
    const size_t bytes = real->matmul_workspace(m, n, k, threads);
    stdout_to_report();
    return bytes;
}

static const mha_impl *routed(const mha_impl *impl)
{
    static mha_impl wrapper;
    real = impl;
    wrapper = *impl;
    wrapper.attention = routed_attention;
    wrapper.workspace = impl->workspace ? routed_workspace : NULL;
    wrapper.matmul = impl->matmul ? routed_matmul : NULL;
    wrapper.matmul_workspace = impl->matmul_workspace ? routed_matmul_workspace : NULL;
    return &wrapper;
}

/*
 * The one place the implementation under test is loaded, by kind. Stages
 * are announced first so that a child that dies or hangs here is named.
 * NULL with the loader's message in err.
 */
static const mha_impl *load_implementation(const impl_source *src, char *err, size_t err_size)
{
    const mha_impl *impl = NULL;
    switch (src->kind) {
    case IMPL_BUILTIN:
        impl = mha_impl_find(src->what);
        if (!impl)
            snprintf(err, err_size, "no built-in implementation named '%s' (see 'mha list')", src->what);
        return impl;
    case IMPL_PORT: {
        send_msg(MSG_STAGE, STAGE_LOAD, 0, NULL);
        stdout_to_port();
        mha_port_entry_fn *entry = port_open(src->what, err, err_size);
        stdout_to_report();
        if (!entry)
            return NULL;
        send_msg(MSG_STAGE, STAGE_ENTRY, 0, NULL);
        stdout_to_port();
        impl = port_describe(src->what, entry, err, err_size);
        stdout_to_report();
        return impl;
    }
    case IMPL_EXEC:
        send_msg(MSG_STAGE, STAGE_LOAD, 0, NULL);
        return exec_port_load(src->what, err, err_size);
    }
    snprintf(err, err_size, "unknown implementation kind %d", (int)src->kind);
    return NULL;
}

/*
 * Ends the child: an exec port's process is stopped first (it is in this
 * child's process group, where a leftover process fails the run), then the
 * final "done" record. _exit: no atexit handlers or destructors of the port
 * run after "done".
 */
static _Noreturn void finish(const child_job *job, int failures)
{
    if (job->src.kind == IMPL_EXEC)
        exec_port_close();
    send_msg(MSG_DONE, NULL, failures, NULL);
    _exit(0);
}

void harness_child_main(const child_job *job, int results_fd, int ctl_fd, int cap_fd)
{
    control_fd = ctl_fd;
    capture_fd = cap_fd;
    report_fd = dup(STDOUT_FILENO);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (report_fd < 0) {
        send_msg(MSG_LOAD_ERROR, "dup(stdout) failed in the child", 0, NULL);
        _exit(0);
    }

    char err[1024] = "";
    const mha_impl *impl = load_implementation(&job->src, err, sizeof err);
    if (!impl) {
        send_msg(MSG_LOAD_ERROR, err, 0, NULL);
        _exit(0);
    }
    send_msg(MSG_STAGE, STAGE_SETUP, 0, NULL);
    child_descriptor desc;
    memset(&desc, 0, sizeof desc);
    snprintf(desc.name, sizeof desc.name, "%s", impl->name);
    snprintf(desc.summary, sizeof desc.summary, "%s", impl->summary ? impl->summary : "");
    desc.cpu_features = impl->cpu_features;
    desc.caps = impl->caps;
    send_msg(MSG_DESCRIPTOR, NULL, 0, &desc);
    if (job->probe) {
        finish(job, 0);
    }

    run_opts ro = job->ro;
    ro.fd = results_fd;
    static char label[96];
    if (job->name_from_port) { /* "name@level" */
        const char *at = strrchr(ro.label, '@');
        snprintf(label, sizeof label, "%s%s", impl->name, at ? at : "");
        ro.label = label;
        printf("== %s\n", label);
    }
    mha_cpu_set_mask(job->mask);
    char why[256];
    if (!mha_impl_runnable(impl, why, sizeof why)) {
        send_msg(MSG_SKIP, why, 0, NULL);
        finish(job, 0);
    }
    /* a guard-page fault reports its case, then ends the child with this record */
    child_msg fault_done;
    memset(&fault_done, 0, sizeof fault_done);
    fault_done.kind = MSG_DONE;
    fault_done.failures = 1;
    snprintf(fault_done.text, sizeof fault_done.text,
             "stopped at a guard-page fault: the cases after it did not run at this level");
    guard_set_final(control_fd, &fault_done, sizeof fault_done);
    runner_install(&ro);
    const mha_impl *tested = routed(impl);
    int failures = suite_cases_run(tested, job->cases, job->ncases, &ro);
    failures += suite_props_run(tested, &ro, job->props_pattern);
    finish(job, failures);
}
