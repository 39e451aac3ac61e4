/* Writing and reading the harness child's records: see records.h. */
#include "records.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int record_write(int fd, const void *rec, size_t n)
{
    if (fd < 0)
        return -1;
    ssize_t put;
    do
        put = write(fd, rec, n);
    while (put < 0 && errno == EINTR);
    return put == (ssize_t)n ? 0 : -1;
}

int record_started(int fd, const char *id, const char *group)
{
    run_result r;
    memset(&r, 0, sizeof r);
    r.started = 1;
    snprintf(r.id, sizeof r.id, "%s", id);
    snprintf(r.group, sizeof r.group, "%s", group);
    return record_write(fd, &r, sizeof r);
}

int record_control(int fd, int kind, const char *text, int failures, const child_descriptor *desc)
{
    child_msg m;
    memset(&m, 0, sizeof m);
    m.kind = kind;
    m.failures = failures;
    if (desc)
        m.desc = *desc;
    snprintf(m.text, sizeof m.text, "%s", text ? text : "");
    return record_write(fd, &m, sizeof m);
}

void record_inbox_init(record_inbox *in, int fd, size_t size)
{
    memset(in, 0, sizeof *in);
    in->fd = fd;
    in->size = size;
}

int record_inbox_read(record_inbox *in, void (*take)(void *ctx, const void *rec), void *ctx)
{
    for (;;) {
        char chunk[4096];
        const ssize_t got = read(in->fd, chunk, sizeof chunk);
        if (got < 0)
            return errno == EINTR || errno == EAGAIN ? 1 : 0;
        if (got == 0)
            return 0;
        size_t off = 0;
        while (off < (size_t)got) {
            size_t n = sizeof in->buf - in->len;
            if (n > (size_t)got - off)
                n = (size_t)got - off;
            memcpy(in->buf + in->len, chunk + off, n);
            in->len += n;
            off += n;
            size_t used = 0;
            for (; in->len - used >= in->size; used += in->size)
                take(ctx, in->buf + used); /* a record's bytes may sit at any alignment: take copies them */
            memmove(in->buf, in->buf + used, in->len - used);
            in->len -= used;
        }
    }
}
