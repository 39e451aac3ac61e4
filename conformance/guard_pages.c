/* Guard pages and their fault handler: see guard_pages.h. */
#define _GNU_SOURCE /* REG_ERR in ucontext_t */
#include "guard_pages.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static size_t page_size(void)
{
    static size_t page;
    if (!page) {
        long p = sysconf(_SC_PAGESIZE);
        page = p > 0 ? (size_t)p : 4096;
    }
    return page;
}

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

int guard_map(guard_buf *g, size_t bytes, guard_side side, size_t slack, uint32_t fill)
{
    const size_t page = page_size(), rounded = round_up(bytes, 2); /* 2: the smallest element (bf16, fp16) */
    memset(g, 0, sizeof *g);
    if (rounded < bytes || rounded + slack < rounded || round_up(rounded + slack, page) < rounded + slack) {
        errno = ENOMEM;
        return -1;
    }
    g->data_bytes = round_up(rounded + slack, page);
    g->map_bytes = g->data_bytes + page;
    void *m = mmap(NULL, g->map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    g->map = m;
    g->side = side;
    g->bytes = bytes;
    if (side == GUARD_AFTER_END) { /* [data ... buffer][guard] */
        g->data = g->map;
        g->guard = g->map + g->data_bytes;
        g->p = g->guard - rounded; /* an odd byte count leaves 1 fill byte before the page */
    } else { /* [guard][buffer ... data] */
        g->guard = g->map;
        g->data = g->map + page;
        g->p = g->data;
    }
    if (mprotect(g->guard, page, PROT_NONE)) {
        const int e = errno;
        munmap(g->map, g->map_bytes);
        memset(g, 0, sizeof *g);
        errno = e;
        return -1;
    }
    for (size_t i = 0; i < g->data_bytes; i += 4)
        memcpy(g->data + i, &fill, 4);
    return 0;
}

void guard_unmap(guard_buf *g)
{
    if (g->map)
        munmap(g->map, g->map_bytes);
    memset(g, 0, sizeof *g);
}

int guard_find_changed(const guard_buf *g, uint32_t fill, size_t skip_from, size_t skip_to, ptrdiff_t *at)
{
    unsigned char pattern[4];
    memcpy(pattern, &fill, 4);
    const size_t p0 = (size_t)(g->p - g->data); /* the pattern repeats from data, whatever p's alignment */
    for (size_t i = 0; i < g->data_bytes; i++) {
        if (i >= p0 + skip_from && i < p0 + skip_to)
            continue;
        if (g->data[i] != pattern[i % 4]) {
            *at = (ptrdiff_t)i - (ptrdiff_t)p0;
            return 1;
        }
    }
    return 0;
}

/* One watched guard page and what a touch of it reports: [0] a read, [1] a write, [2] unknown. */
typedef struct watched {
    uintptr_t lo, hi;
    run_result rec[3];
    char text[3][640];
    size_t text_len[3];
} watched;

static watched table[GUARD_MAX_WATCHED];
static volatile sig_atomic_t table_count;
static int record_fd = -1;
/* stdout as it was at guard_install(): the report, even while a port's calls run with fd 1 elsewhere */
static int text_fd = STDOUT_FILENO;
static int reporting; /* set by the first thread that reports */
static struct sigaction previous[2];

/* 1: the faulting access was a write, 0: a read, -1: this platform does not say. */
static int fault_was_write(const void *context)
{
#if defined(__x86_64__)
    const ucontext_t *uc = context;
    return (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0; /* page-fault error code, bit 1: write access */
#elif defined(__aarch64__)
    const ucontext_t *uc = context;
    /* the kernel's records after the registers; ESR_EL1 bit 6 (WnR) says write for a data abort */
    for (const unsigned char *p = uc->uc_mcontext.__reserved;;) {
        const struct _aarch64_ctx *h = (const void *)p;
        if (h->magic == 0 || h->size == 0)
            return -1;
        if (h->magic == ESR_MAGIC)
            return (int)((((const struct esr_context *)h)->esr >> 6) & 1);
        p += h->size;
    }
#else
    (void)context;
    return -1;
#endif
}

static void write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        const ssize_t put = write(fd, p, n);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return;
        p += put;
        n -= (size_t)put;
    }
}

/* The closing record written after a fault record (guard_set_final). */
static int final_fd = -1;
static unsigned char final_rec[4096];
static size_t final_len;

void guard_set_final(int fd, const void *rec, size_t n)
{
    if (n > sizeof final_rec)
        return;
    memcpy(final_rec, rec, n);
    final_len = n;
    final_fd = fd;
}

/* Async-signal-safe: reads the table, write(2) (record_write() too), _exit(2), sigaction(2), raise(3). */
static void on_fault(int sig, siginfo_t *si, void *context)
{
    const uintptr_t a = (uintptr_t)si->si_addr;
    for (sig_atomic_t i = 0; i < table_count; i++) {
        const watched *w = &table[i];
        if (a < w->lo || a >= w->hi)
            continue;
        if (__atomic_exchange_n(&reporting, 1, __ATOMIC_SEQ_CST))
            for (;;)
                pause(); /* another thread is reporting; its _exit ends this one too */
        const int how = fault_was_write(context), k = how < 0 ? 2 : how;
        record_write(record_fd, &w->rec[k], sizeof w->rec[k]);
        write_all(text_fd, w->text[k], w->text_len[k]);
        if (final_fd >= 0) {
            record_write(final_fd, final_rec, final_len);
            _exit(0);
        }
        _exit(1);
    }
    /* not a guard page: what was there before (the default: a crash the parent reports) */
    sigaction(sig, &previous[sig == SIGBUS], NULL);
    if (si->si_code <= 0)
        raise(sig); /* sent by a process: returning would not repeat it */
}

void guard_install(int fd)
{
    static int installed;
    record_fd = fd;
    if (text_fd != STDOUT_FILENO)
        close(text_fd);
    text_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (text_fd < 0)
        text_fd = STDOUT_FILENO;
    if (installed)
        return;
    installed = 1;
    /* an alternate stack, so a fault on an exhausted stack still reaches the handler */
    static char alt[64 * 1024];
    stack_t st = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
    sigaltstack(&st, NULL);
    /*
     * Under AddressSanitizer (allow_user_segv_handler, on by default) this
     * replaces ASan's handler, which on_fault hands every other fault back
     * to. Guard pages are plain mappings to ASan: an instrumented access to
     * one passes ASan's shadow check and faults here.
     */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previous[0]);
    sigaction(SIGBUS, &sa, &previous[1]);
}

int guard_watch(const guard_buf *g, const char *name, const run_result *r, const char *head, const char *tail)
{
    if (table_count == GUARD_MAX_WATCHED)
        return -1;
    watched *w = &table[table_count];
    const int after = g->side == GUARD_AFTER_END;
    static const char *const access[3] = {"read", "out-of-bounds write", "read or write"};
    w->lo = (uintptr_t)g->guard;
    w->hi = w->lo + page_size();
    for (int k = 0; k < 3; k++) {
        run_result *rec = &w->rec[k];
        *rec = *r;
        rec->started = 0;
        rec->pass = 0;
        rec->units = INFINITY;
        char reason[sizeof rec->reason];
        snprintf(reason, sizeof reason, "%s %s of %s (a guard page %s it)", access[k],
                 after ? "past the end" : "before the start", name, after ? "follows" : "precedes");
        memcpy(rec->reason, reason, sizeof reason);
        const int n = snprintf(w->text[k], sizeof w->text[k], "%s      %s\n%s", head, reason, tail);
        w->text_len[k] = n < 0 ? 0 : (size_t)n < sizeof w->text[k] ? (size_t)n : sizeof w->text[k] - 1;
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    table_count++; /* the entry is complete before the handler can see it */
    return 0;
}

void guard_unwatch_all(void)
{
    table_count = 0;
}
