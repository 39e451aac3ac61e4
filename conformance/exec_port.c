/* A port as a separate process: see exec_port.h and docs/porting-protocol.md. */
#define _GNU_SOURCE /* pipe2 */
#include "exec_port.h"

#include "exec_port_files.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A reply line longer than this is not a reply (requests and replies are a few hundred bytes). */
#define LINE_MAX_BYTES 65536

typedef struct exec_port {
    pid_t pid;            /* /bin/sh -c COMMAND */
    pid_t owner;          /* the process that started it: only it closes and cleans up */
    int to_port, from_port;
    unsigned long seq;    /* requests sent by this process */
    char command[512];    /* for messages */
    char dir[4096];       /* the private folder */
    char name[64], summary[256];
    char broken[512];     /* non-empty after a protocol error: every later call fails with it */
    char line[LINE_MAX_BYTES + 1];
    mha_impl impl;
} exec_port;

static exec_port port = {.to_port = -1, .from_port = -1};

/* The first bytes of what the port sent, quoted, non-printable bytes as \xNN. */
static const char *quote_bytes(const char *s, size_t n, char *buf, size_t size)
{
    size_t o = 0;
    buf[o++] = '\'';
    for (size_t i = 0; i < n && i < 60 && o + 8 < size; i++) {
        const unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
    }
    snprintf(buf + o, size - o, "'%s", n > 60 ? "..." : "");
    return buf;
}

/* " (exited with status 1)" once the shell has ended, "" while it runs or in a forked child. */
static const char *exit_note(char *buf, size_t size)
{
    buf[0] = '\0';
    if (getpid() != port.owner || port.pid <= 0)
        return buf;
    int status;
    for (int tries = 0; tries < 20; tries++) { /* it usually closes stdout just before exiting */
        pid_t got = waitpid(port.pid, &status, WNOHANG);
        if (got == port.pid) {
            port.pid = -1;
            if (WIFEXITED(status))
                snprintf(buf, size, " (it exited with status %d)", WEXITSTATUS(status));
            else if (WIFSIGNALED(status))
                snprintf(buf, size, " (it was killed by signal %d, %s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
            return buf;
        }
        if (got < 0)
            return buf;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    return buf;
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t put = write(fd, s, n);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return -1;
        s += put;
        n -= (size_t)put;
    }
    return 0;
}

/*
 * One line from the port into port.line (without '\n'), read a byte at a
 * time so nothing past the line is consumed. 0, or -1 with why.
 */
static int read_line(size_t *len, const char *waiting_for, char *why, size_t why_size)
{
    size_t n = 0;
    char q[300], note[96];
    for (;;) {
        char c;
        ssize_t got = read(port.from_port, &c, 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(why, why_size, "reading its stdout while waiting for %s: %s", waiting_for, strerror(errno));
            return -1;
        }
        if (got == 0) {
            if (n)
                snprintf(why, why_size, "its stdout ended in the middle of a line while waiting for %s; it sent %s%s",
                         waiting_for, quote_bytes(port.line, n, q, sizeof q), exit_note(note, sizeof note));
            else
                snprintf(why, why_size, "it closed its stdout (EOF) while waiting for %s%s", waiting_for,
                         exit_note(note, sizeof note));
            return -1;
        }
        if (c == '\n')
            break;
        if (n == LINE_MAX_BYTES) {
            snprintf(why, why_size, "it sent a line longer than %d bytes while waiting for %s: %s", LINE_MAX_BYTES,
                     waiting_for, quote_bytes(port.line, n, q, sizeof q));
            return -1;
        }
        port.line[n++] = c;
    }
    port.line[n] = '\0';
    *len = n;
    return 0;
}

/* Reads one line and parses it as a JSON object. NULL with why (naming what was sent). */
static json_t *read_object(const char *waiting_for, char *why, size_t why_size)
{
    size_t n;
    if (read_line(&n, waiting_for, why, why_size))
        return NULL;
    json_error_t jerr;
    json_t *o = json_loadb(port.line, n, 0, &jerr);
    if (!o || !json_is_object(o)) {
        char q[300];
        snprintf(why, why_size, "it sent a line that is not a JSON object while waiting for %s: %s (%s)%s",
                 waiting_for, quote_bytes(port.line, n, q, sizeof q), o ? "not an object" : jerr.text,
                 n && port.line[0] != '{' ? "; a port must print nothing else on stdout" : "");
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Sends one JSON object as a line. 0, or -1 with why. */
static int send_object(json_t *o, char *why, size_t why_size)
{
    char *text = json_dumps(o, JSON_COMPACT);
    if (!text) {
        snprintf(why, why_size, "out of memory encoding the request");
        return -1;
    }
    size_t n = strlen(text);
    text[n] = '\n'; /* json_dumps allocates n + 1 bytes: the NUL becomes the newline */
    int rc = write_all(port.to_port, text, n + 1);
    free(text);
    if (rc) {
        char note[96];
        snprintf(why, why_size, "writing a request to its stdin: %s%s", strerror(errno), exit_note(note, sizeof note));
        return -1;
    }
    return 0;
}

/* A boolean capability: 0 or 1, or -1 if present and not a boolean. */
static int capability(json_t *caps, const char *key)
{
    json_t *v = caps ? json_object_get(caps, key) : NULL;
    if (!v)
        return 0;
    return json_is_boolean(v) ? json_is_true(v) : -1;
}

/* Checks the port's hello; fills port.name, port.summary, port.impl.caps. 0 or -1 with why. */
static int read_hello(char *why, size_t why_size)
{
    json_t *o = read_object("its handshake reply", why, why_size);
    if (!o)
        return -1;
    int rc = -1;
    json_t *error = json_object_get(o, "error"), *version = json_object_get(o, "protocol"),
           *name = json_object_get(o, "name"), *summary = json_object_get(o, "summary"),
           *caps = json_object_get(o, "capabilities");
    if (json_is_string(error)) {
        snprintf(why, why_size, "it refused the handshake: %s", json_string_value(error));
    } else if (!json_is_integer(version) || json_integer_value(version) != EXEC_PROTOCOL_VERSION) {
        snprintf(why, why_size, "its handshake reply has \"protocol\": %s; expected %d (docs/porting-protocol.md)",
                 json_is_integer(version) ? "another version" : "no integer", EXEC_PROTOCOL_VERSION);
    } else if (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) >= sizeof port.name ||
               strspn(json_string_value(name), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
                   json_string_length(name)) {
        snprintf(why, why_size, "its handshake reply needs \"name\": 1 to %zu characters of [A-Za-z0-9_.-]",
                 sizeof port.name - 1);
    } else if ((caps && !json_is_object(caps)) || capability(caps, "probs") < 0 ||
               capability(caps, "deterministic") < 0 || capability(caps, "threads") < 0) {
        snprintf(why, why_size, "its handshake reply's \"capabilities\" must be an object of booleans "
                                "(probs, deterministic, threads)");
    } else {
        snprintf(port.name, sizeof port.name, "%s", json_string_value(name));
        snprintf(port.summary, sizeof port.summary, "%.200s (--exec)",
                 json_is_string(summary) ? json_string_value(summary) : port.command);
        port.impl.caps = (capability(caps, "probs") ? MHA_CAP_PROBS : 0u) |
                         (capability(caps, "deterministic") ? MHA_CAP_DETERMINISTIC : 0u) |
                         (capability(caps, "threads") ? MHA_CAP_THREADS : 0u);
        rc = 0;
    }
    json_decref(o);
    return rc;
}

/* The request object of one call; NULL if out of memory. */
static json_t *request_of(const mha_args *a, const char *id, const exec_files *f)
{
    const mha_shape *s = &a->shape;
    json_t *shape = json_pack("{sIsIsIsIsIsI}", "B", (json_int_t)s->batch, "H", (json_int_t)s->heads, "Hkv",
                              (json_int_t)s->kv_heads, "Sq", (json_int_t)s->q_len, "Skv", (json_int_t)s->kv_len,
                              "Dh", (json_int_t)s->head_dim);
    return json_pack("{s:s, s:s, s:s, s:o, s:f, s:b, s:i, s:s, s:s, s:s, s:o, s:s, s:o}", "op", "attention", "id", id,
                     "dir", port.dir, "shape", shape, "scale", (double)a->scale, "causal", a->causal != 0, "threads",
                     a->threads, "q", f->q, "k", f->k, "v", f->v, "mask", a->mask ? json_string(f->mask) : json_null(),
                     "out", f->out, "probs", a->probs ? json_string(f->probs) : json_null());
}

/* Sends the request and waits for its reply. 0, or -1 with why; *broken when the stream is unusable now. */
static int exchange(const mha_args *a, const char *id, const exec_files *f, int *broken, char *why, size_t why_size)
{
    json_t *req = request_of(a, id, f);
    if (!req) {
        snprintf(why, why_size, "out of memory encoding the request");
        return -1;
    }
    int rc = send_object(req, why, why_size);
    json_decref(req);
    char waiting[128];
    snprintf(waiting, sizeof waiting, "the reply to request %s", id);
    json_t *reply = rc ? NULL : read_object(waiting, why, why_size);
    *broken = !reply;
    if (!reply)
        return -1;
    json_t *rid = json_object_get(reply, "id"), *ok = json_object_get(reply, "ok"),
           *error = json_object_get(reply, "error");
    rc = -1;
    if (!json_is_string(rid) || strcmp(json_string_value(rid), id) != 0) {
        snprintf(why, why_size, "it replied with \"id\" %s%.40s%s while request %s was pending", rid ? "'" : "",
                 json_is_string(rid) ? json_string_value(rid) : rid ? "(not a string)" : "missing", rid ? "'" : "", id);
        *broken = 1;
    } else if (json_is_false(ok)) {
        snprintf(why, why_size, "it reported an error: %.400s",
                 json_is_string(error) ? json_string_value(error) : "(no \"error\" string in its reply)");
    } else if (!json_is_true(ok)) {
        snprintf(why, why_size, "its reply to request %s lacks \"ok\": true or false", id);
        *broken = 1;
    } else {
        rc = 0;
    }
    json_decref(reply);
    return rc;
}

static void exec_attention(const mha_args *args, void *workspace)
{
    (void)workspace;
    char why[1024], id[64];
    if (port.broken[0]) {
        mha_impl_fail(MHA_ERR_IMPL_FAILED, "port '%s' is unusable: %s", port.name, port.broken);
        return;
    }
    snprintf(id, sizeof id, "%ld.%lu", (long)getpid(), ++port.seq);
    exec_files f;
    exec_files_name(&f, port.dir, id);
    int broken = 0;
    int rc = exec_files_write_inputs(&f, args, why, sizeof why);
    if (!rc)
        rc = exchange(args, id, &f, &broken, why, sizeof why);
    if (!rc)
        rc = exec_files_read_outputs(&f, args, why, sizeof why);
    exec_files_remove(&f);
    if (rc) {
        if (broken)
            snprintf(port.broken, sizeof port.broken, "%.500s", why);
        mha_impl_fail(MHA_ERR_IMPL_FAILED, "port '%s' (--exec): %s", port.name, why);
    }
}

void exec_port_close(void)
{
    if (port.owner != getpid())
        return;
    if (port.to_port >= 0)
        close(port.to_port);
    if (port.from_port >= 0)
        close(port.from_port);
    port.to_port = port.from_port = -1;
    for (int tries = 0; port.pid > 0 && tries < 40; tries++) {
        if (waitpid(port.pid, NULL, WNOHANG) != 0)
            port.pid = -1;
        else
            nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    if (port.pid > 0) { /* it ignored EOF on its stdin */
        kill(port.pid, SIGKILL);
        waitpid(port.pid, NULL, 0);
        port.pid = -1;
    }
    exec_files_remove_dir(port.dir);
    port.owner = 0;
}

/* Starts the shell with the two pipes. 0, or -1 with why. */
static int start(const char *command, char *why, size_t why_size)
{
    int in[2], out[2]; /* close-on-exec: no other program mha starts holds the port's pipes open */
    if (pipe2(in, O_CLOEXEC)) {
        snprintf(why, why_size, "pipe: %s", strerror(errno));
        return -1;
    }
    if (pipe2(out, O_CLOEXEC)) {
        snprintf(why, why_size, "pipe: %s", strerror(errno));
        close(in[0]);
        close(in[1]);
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, why_size, "fork: %s", strerror(errno));
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(in[0], 0); /* dup2 clears close-on-exec on 0 and 1 */
        dup2(out[1], 1);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        signal(SIGPIPE, SIG_DFL);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        fprintf(stderr, "mha: cannot run /bin/sh: %s\n", strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    port.pid = pid;
    port.owner = getpid();
    port.to_port = in[1];
    port.from_port = out[0];
    return 0;
}

const mha_impl *exec_port_load(const char *command, char *err, size_t err_size)
{
    if (port.owner) {
        snprintf(err, err_size, "--exec: one port per process; '%s' is already running", port.command);
        return NULL;
    }
    signal(SIGPIPE, SIG_IGN); /* a dead port is a write error, not the end of the caller */
    snprintf(port.command, sizeof port.command, "%s", command);
    char why[1024];
    if (exec_files_make_dir(port.dir, sizeof port.dir, why, sizeof why)) {
        snprintf(err, err_size, "--exec: %s", why);
        return NULL;
    }
    if (start(command, why, sizeof why)) {
        exec_files_remove_dir(port.dir);
        snprintf(err, err_size, "--exec '%s': %s", command, why);
        return NULL;
    }
    static int registered;
    if (!registered++)
        atexit(exec_port_close);
    json_t *hello = json_pack("{sssiss}", "op", "hello", "protocol", EXEC_PROTOCOL_VERSION, "harness",
                              "mhalab " MHA_VERSION_STRING);
    int rc = hello ? send_object(hello, why, sizeof why) : -1;
    json_decref(hello);
    if (rc || read_hello(why, sizeof why)) {
        snprintf(err, err_size, "--exec '%s': handshake failed: %s", command, why);
        exec_port_close();
        return NULL;
    }
    port.impl = (mha_impl){MHA_ABI_VERSION, port.name, "exec", "exec", port.summary, 0, port.impl.caps, 0,
                           NULL, exec_attention, NULL, MHA_IO_F32, NULL};
    return &port.impl;
}
