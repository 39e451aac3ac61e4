/*
 * The parent side of one child: fork it into its own process group, read
 * its records, its results and what the port wrote to stdout, enforce the
 * deadline, and judge how it ended. The parent never waits on a pipe's end
 * alone (a grandchild may hold it): it polls with the deadline and notices
 * the child's exit with waitid, then kills the whole group.
 */
#define _GNU_SOURCE
#include "harness_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The process group of the running child, for the signal handler; 0 when none. */
static volatile sig_atomic_t running_group;

static void on_signal(int sig)
{
    if (running_group > 0) { /* the group, and the child itself should it have left the group */
        kill(-(pid_t)running_group, SIGKILL);
        kill((pid_t)running_group, SIGKILL);
    }
    static const char msg[] = "\nmha check: interrupted; the running child's process group was killed\n";
    ssize_t put = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)put;
    _exit(128 + sig);
}

void harness_handle_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* What the parent learned from the child so far. */
typedef struct watch {
    check_run *run;
    child_descriptor *desc;
    char current[64];     /* the case running, or the stage */
    int cases_seen;       /* a case has started */
    int done, skipped, load_error, failures;
    char text[1024];      /* the load error or skip reason */
    size_t stdout_bytes;
    char stdout_head[256]; /* the first bytes the port wrote to stdout */
} watch;

static void take_result(void *ctx, const void *rec)
{
    watch *w = ctx;
    run_result r;
    memcpy(&r, rec, sizeof r);
    w->cases_seen = 1;
    if (r.started) {
        snprintf(w->current, sizeof w->current, "%.*s", (int)sizeof r.id - 1, r.id);
        return;
    }
    check_run_add(w->run, &r);
    snprintf(w->current, sizeof w->current, "%s", STAGE_SETUP);
}

static void take_msg(void *ctx, const void *rec)
{
    watch *w = ctx;
    child_msg m_copy;
    memcpy(&m_copy, rec, sizeof m_copy);
    const child_msg *m = &m_copy;
    switch (m->kind) {
    case MSG_STAGE: /* stages precede the cases; the pipes are read in no set order */
        if (!w->cases_seen)
            snprintf(w->current, sizeof w->current, "%.63s", m->text);
        break;
    case MSG_DESCRIPTOR: *w->desc = m->desc; break;
    case MSG_LOAD_ERROR: w->load_error = 1; snprintf(w->text, sizeof w->text, "%s", m->text); break;
    case MSG_SKIP: w->skipped = 1; snprintf(w->text, sizeof w->text, "%s", m->text); break;
    case MSG_DONE:
        w->done = 1;
        w->failures = m->failures;
        if (m->text[0])
            snprintf(w->text, sizeof w->text, "%s", m->text);
        break;
    default: break;
    }
}

/* What the port wrote to stdout: counted, the first bytes kept. Returns 0 at the pipe's end, 1 while open. */
static int drain_capture(int fd, watch *w)
{
    for (;;) {
        char chunk[4096];
        const ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0)
            return errno == EINTR || errno == EAGAIN ? 1 : 0;
        if (got == 0)
            return 0;
        const size_t have = strlen(w->stdout_head), room = sizeof w->stdout_head - 1 - have;
        const size_t take = (size_t)got < room ? (size_t)got : room;
        memcpy(w->stdout_head + have, chunk, take);
        w->stdout_head[have + take] = '\0';
        w->stdout_bytes += (size_t)got;
    }
}

/* Reads pipe i (0 results, 1 control, 2 capture) without blocking; 0 at its end, 1 while open. */
static int drain(record_inbox in[2], int capture_fd, int i, watch *w)
{
    if (i == 2)
        return drain_capture(capture_fd, w);
    return record_inbox_read(&in[i], i == 0 ? take_result : take_msg, w);
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV (invalid memory access)";
    case SIGILL: return "SIGILL (illegal instruction: an ISA the CPU lacks?)";
    case SIGFPE: return "SIGFPE (arithmetic exception)";
    case SIGBUS: return "SIGBUS (bus error: misaligned or unmapped access)";
    case SIGABRT: return "SIGABRT (abort)";
    case SIGALRM: return "SIGALRM (an alarm() the implementation set)";
    default: return strsignal(sig);
    }
}

/* "during seqlen_s17", "while loading the port (dlopen: its constructors)", ... */
static void describe_where(const char *current, char *buf, size_t size)
{
    if (strcmp(current, STAGE_LOAD) == 0)
        snprintf(buf, size, "while loading the port (dlopen, which runs its constructors)");
    else if (strcmp(current, STAGE_ENTRY) == 0)
        snprintf(buf, size, "inside the port's %s()", MHA_PORT_SYMBOL);
    else if (strcmp(current, STAGE_SETUP) == 0)
        snprintf(buf, size, "outside any case (before the first, between two or after the last)");
    else
        snprintf(buf, size, "during %s", current);
}

/* A failed result that is not a stored case: the case it died in, or a misbehaviour of the whole run. */
static void add_failure(check_run *run, const char *id, const char *reason)
{
    run_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.id, sizeof r.id, "%s", id);
    const conf_case *c = cases_find(id);
    snprintf(r.group, sizeof r.group, "%s",
             c                          ? c->group
             : strncmp(id, "prop_", 5) == 0 ? "property"
                                            : "process");
    snprintf(r.reason, sizeof r.reason, "%.250s", reason);
    check_run_add(run, &r);
}

static void fail_setup(check_run *run, const char *what)
{
    run->status = RUN_CRASH;
    snprintf(run->note, sizeof run->note, "the harness could not start the child: %s: %s", what, strerror(errno));
}

/* Judges how the child ended; w holds what it reported. */
static void judge_end(const watch *w, int status, int timed_out, int leftovers, unsigned timeout_s, check_run *run)
{
    char where[160];
    describe_where(w->current, where, sizeof where);
    const char *id = w->current[0] && strcmp(w->current, STAGE_SETUP) != 0 ? w->current : "process_end";
    if (timed_out) {
        run->status = RUN_TIMEOUT;
        snprintf(run->note, sizeof run->note,
                 "timed out: no final result within --timeout %u s; its process group was killed (SIGKILL) %s",
                 timeout_s, where);
        add_failure(run, id, run->note);
    } else if (WIFSIGNALED(status)) {
        run->status = RUN_CRASH;
        snprintf(run->note, sizeof run->note, "killed by %s %s", signal_name(WTERMSIG(status)), where);
        add_failure(run, id, run->note);
    } else if (!w->done) {
        run->status = RUN_CRASH;
        snprintf(run->note, sizeof run->note,
                 "the child exited with status %d %s without reporting its final result (exit() in the port?)",
                 WEXITSTATUS(status), where);
        add_failure(run, id, run->note);
    } else if (WEXITSTATUS(status) != 0) {
        run->status = RUN_CRASH;
        snprintf(run->note, sizeof run->note, "the child exited with status %d after its final result",
                 WEXITSTATUS(status));
        add_failure(run, "process_end", run->note);
    } else {
        run->status = w->skipped ? RUN_SKIP : run->failed || w->failures ? RUN_FAIL : RUN_PASS;
        if (w->skipped)
            snprintf(run->note, sizeof run->note, "not runnable at level %s: %.400s", run->level, w->text);
        else if (w->text[0]) /* the final record's own note (a guard-page fault that ended the run) */
            snprintf(run->note, sizeof run->note, "%.400s", w->text);
    }
    if (w->stdout_bytes) {
        char head[256];
        snprintf(head, sizeof head, "%s", w->stdout_head);
        for (char *p = head; *p; p++)
            if (*p == '\n' || (unsigned char)*p < 0x20)
                *p = *p == '\n' ? '|' : ' ';
        char reason[512];
        snprintf(reason, sizeof reason, "the port wrote %zu bytes to stdout, which would mix into a host "
                 "program's output (write diagnostics to stderr); they began: %.120s", w->stdout_bytes, head);
        add_failure(run, "port_stdout", reason);
        if (run->status == RUN_PASS)
            run->status = RUN_FAIL;
    }
    if (leftovers) {
        add_failure(run, "port_processes", "the port left processes running in its process group after the child "
                    "ended (they were killed with SIGKILL)");
        if (run->status == RUN_PASS)
            run->status = RUN_FAIL;
    }
    run->stdout_bytes = w->stdout_bytes;
}

int harness_run_child(const child_job *job, unsigned timeout_s, check_run *run, child_descriptor *desc)
{
    int results[2] = {-1, -1}, control[2] = {-1, -1}, capture[2] = {-1, -1};
    if (pipe(results) || pipe(control) || pipe(capture)) {
        fail_setup(run, "pipe");
        for (int i = 0; i < 2; i++) {
            if (results[i] >= 0) close(results[i]);
            if (control[i] >= 0) close(control[i]);
            if (capture[i] >= 0) close(capture[i]);
        }
        return CHILD_JUDGED;
    }
    fflush(stdout);
    fflush(stderr);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old); /* so the handler knows the group of every child it must kill */
    const pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        close(results[0]);
        close(control[0]);
        close(capture[0]);
        harness_child_main(job, results[1], control[1], capture[1]);
    }
    if (pid > 0) {
        setpgid(pid, pid); /* also here: whichever runs first, the group exists before a kill */
        running_group = pid;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(results[1]);
    close(control[1]);
    close(capture[1]);
    if (pid < 0) {
        fail_setup(run, "fork");
        close(results[0]);
        close(control[0]);
        close(capture[0]);
        return CHILD_JUDGED;
    }

    static record_inbox in[2]; /* results, control */
    record_inbox_init(&in[0], results[0], sizeof(run_result));
    record_inbox_init(&in[1], control[0], sizeof(child_msg));
    const int fds[3] = {results[0], control[0], capture[0]};
    int open_fd[3] = {1, 1, 1};
    for (int i = 0; i < 3; i++)
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    watch w;
    memset(&w, 0, sizeof w);
    w.run = run;
    w.desc = desc;
    snprintf(w.current, sizeof w.current, "%s", STAGE_SETUP);

    const double deadline = now_s() + timeout_s;
    int timed_out = 0;
    for (;;) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid)
            break; /* ended; reaped below, after its group is killed */
        const double left = deadline - now_s();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        struct pollfd pfd[3];
        int map[3], n = 0;
        for (int i = 0; i < 3; i++)
            if (open_fd[i]) {
                pfd[n] = (struct pollfd){.fd = fds[i], .events = POLLIN};
                map[n++] = i;
            }
        /* short waits: the child's exit is noticed even while a grandchild holds the pipes */
        const int wait_ms = left < 0.02 ? (int)(left * 1000) + 1 : 20;
        if (poll(pfd, (nfds_t)n, wait_ms) > 0)
            for (int k = 0; k < n; k++)
                if (pfd[k].revents)
                    open_fd[map[k]] = drain(in, capture[0], map[k], &w);
    }
    /* the child first when it hung, then whatever it left in its group */
    if (timed_out) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL); /* should it have left its group */
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    const int leftovers = !timed_out && kill(-pid, SIGKILL) == 0;
    running_group = 0;
    for (int i = 0; i < 3; i++) {
        if (open_fd[i])
            drain(in, capture[0], i, &w);
        close(fds[i]);
    }
    if (w.load_error) {
        snprintf(run->note, sizeof run->note, "%.500s", w.text);
        return CHILD_LOAD_ERROR;
    }
    judge_end(&w, status, timed_out, leftovers, timeout_s, run);
    return CHILD_JUDGED;
}
