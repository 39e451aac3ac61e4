/*
 * Unit tests of the tensor placements (views.c) and the guard pages
 * (guard_pages.c): where a buffer sits against its page, what a fault on
 * the page reports, and that any other fault still kills the process.
 */
#include "conformance/guard_pages.h"
#include "conformance/views.h"
#include "tests/check.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FILL 0x7fa5a5a5u

static void test_views(void)
{
    /* dense: the interface's own strides */
    tensor_view d = view_qkvo(VIEW_Q, CASE_LAYOUT_BHSD, 0, 2, 5, 3, 4);
    mha_strides want = mha_strides_bhsd(5, 3, 4), got = view_strides(&d);
    CHECK(got.batch == want.batch && got.seq == want.seq && got.head == want.head, "dense bhsd strides differ");
    CHECK(view_extent(&d) == view_count(&d), "dense extent %zu != count %zu", view_extent(&d), view_count(&d));

    /* padded bshd: gaps 1 (rows), 3 (tokens), 5 (batches) for q */
    tensor_view p = view_qkvo(VIEW_Q, CASE_LAYOUT_BSHD, 1, 2, 5, 3, 4);
    CHECK(p.stride[2] == 5 && p.stride[1] == 3 * 5 + 3 && p.stride[0] == 5 * 18 + 5,
          "padded q strides %lld %lld %lld", (long long)p.stride[0], (long long)p.stride[1], (long long)p.stride[2]);
    tensor_view k = view_qkvo(VIEW_K, CASE_LAYOUT_BSHD, 1, 2, 5, 3, 4);
    CHECK(k.stride[2] != p.stride[2] && k.stride[1] != p.stride[1], "q and k share their padded strides");

    /* scatter then gather is the identity, and the gaps keep their fill */
    const size_t n = view_count(&p), ext = view_extent(&p);
    float *logical = malloc(n * sizeof *logical), *back = malloc(n * sizeof *back), *buf = malloc(ext * sizeof *buf);
    CHECK(logical && back && buf, "out of memory");
    for (size_t i = 0; i < n; i++)
        logical[i] = (float)i;
    for (size_t i = 0; i < ext; i++)
        memcpy(&buf[i], &(uint32_t){FILL}, 4);
    view_scatter(&p, sizeof(float), logical, buf);
    view_gather(&p, sizeof(float), buf, back);
    CHECK(memcmp(logical, back, n * sizeof *back) == 0, "gather(scatter(x)) != x");
    size_t gaps = 0;
    for (size_t i = 0; i < ext; i++)
        gaps += memcmp(&buf[i], &(uint32_t){FILL}, 4) == 0;
    CHECK(gaps == ext - n, "%zu fill elements left, expected %zu gaps", gaps, ext - n);
    CHECK(buf[4] != buf[4] && buf[5] == 4.0f, "the gap after the first row should be NaN, then row 2");
    free(logical);
    free(back);
    free(buf);

    /* the same with 2-byte elements (bf16, fp16): strides count elements, gaps keep the 16-bit fill */
    uint16_t *l16 = malloc(n * 2), *b16 = malloc(n * 2), *v16 = malloc(ext * 2);
    CHECK(l16 && b16 && v16, "out of memory");
    for (size_t i = 0; i < n; i++)
        l16[i] = (uint16_t)(0x3c00 + i);
    for (size_t i = 0; i < ext; i++)
        v16[i] = 0x7fa5;
    view_scatter(&p, 2, l16, v16);
    view_gather(&p, 2, v16, b16);
    CHECK(memcmp(l16, b16, n * 2) == 0, "16-bit gather(scatter(x)) != x");
    gaps = 0;
    for (size_t i = 0; i < ext; i++)
        gaps += v16[i] == 0x7fa5;
    CHECK(gaps == ext - n && v16[4] == 0x7fa5 && v16[5] == 0x3c04, "16-bit: %zu gaps, expected %zu", gaps, ext - n);
    view_fill(&p, 2, v16, 0x7fa57fa5u);
    gaps = 0;
    for (size_t i = 0; i < ext; i++)
        gaps += v16[i] == 0x7fa5;
    CHECK(gaps == ext, "16-bit fill: %zu of %zu elements hold the pattern", gaps, ext);
    free(l16);
    free(b16);
    free(v16);

    /* a broadcast mask has stride 0 on its size-1 axes, a padded row stride elsewhere */
    tensor_view m = view_mask(1, 1, 1, 7, 9);
    mha_mask_strides ms = view_mask_strides(&m);
    CHECK(ms.batch == 0 && ms.head == 0 && ms.row == 9 + 3, "broadcast mask strides %lld %lld %lld",
          (long long)ms.batch, (long long)ms.head, (long long)ms.row);
}

static void test_placement(void)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    guard_buf g;
    CHECK(guard_map(&g, 40, GUARD_AFTER_END, 68, FILL) == 0, "guard_map failed");
    CHECK(g.p + 40 == g.guard, "the buffer's end should touch its guard page");
    CHECK((size_t)(g.p - g.data) >= 68, "less slack than asked before the buffer");
    ptrdiff_t at = 0;
    CHECK(!guard_find_changed(&g, FILL, 0, 0, &at), "a fresh buffer reads as changed at %td", at);
    g.p[-3] = 0;
    CHECK(guard_find_changed(&g, FILL, 0, 0, &at) && at == -3, "a write 3 bytes before: found at %td", at);
    guard_unmap(&g);

    /* 2-byte elements: an odd count of them still ends right at the page */
    CHECK(guard_map(&g, 6, GUARD_AFTER_END, 68, FILL) == 0, "guard_map failed");
    CHECK(g.p + 6 == g.guard, "a 6-byte buffer's end should touch its guard page");
    guard_unmap(&g);

    CHECK(guard_map(&g, 40, GUARD_BEFORE_START, 68, FILL) == 0, "guard_map failed");
    CHECK(g.p == g.guard + page, "the buffer should start right after its guard page");
    g.p[41] = 0;
    CHECK(guard_find_changed(&g, FILL, 0, 40, &at) && at == 41, "a write at byte 41: found at %td", at);
    g.p[41] = 0xa5;
    g.p[7] = 0;
    CHECK(!guard_find_changed(&g, FILL, 0, 40, &at), "a write inside the skipped range was reported at %td", at);
    guard_unmap(&g);
}

/*
 * In a child: touch one byte at offset from the buffer's start (wild: at
 * address 16 instead); returns the wait status and whether a record came.
 */
static int touch_in_child(guard_side side, ptrdiff_t offset, int write, int wild, run_result *rec, int *got_record)
{
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        guard_install(fds[1]);
        guard_buf g;
        run_result r;
        memset(&r, 0, sizeof r);
        snprintf(r.id, sizeof r.id, "the_case");
        if (guard_map(&g, 64, side, 68, FILL) || guard_watch(&g, "k", &r, "", ""))
            _exit(3);
        volatile unsigned char *at = wild ? (volatile unsigned char *)16 : g.p + offset;
        if (write)
            *at = 1;
        else
            (void)*at;
        _exit(0);
    }
    close(fds[1]);
    *got_record = read(fds[0], rec, sizeof *rec) == (ssize_t)sizeof *rec;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

static void test_faults(void)
{
    run_result r;
    int got;
    int st = touch_in_child(GUARD_AFTER_END, 64, 0, 0, &r, &got);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1 && got, "a read past the end: status %d, record %d", st, got);
    CHECK(got && !r.pass && strcmp(r.id, "the_case") == 0 && strstr(r.reason, "past the end of k"),
          "a read past the end reported '%s'", r.reason);
#if defined(__x86_64__)
    CHECK(got && strncmp(r.reason, "read past", 9) == 0, "x86-64 should say read: '%s'", r.reason);
    st = touch_in_child(GUARD_BEFORE_START, -1, 1, 0, &r, &got);
    CHECK(got && strncmp(r.reason, "out-of-bounds write before the start of k", 41) == 0, "a write before: '%s'",
          r.reason);
#endif
    st = touch_in_child(GUARD_BEFORE_START, -4, 0, 0, &r, &got);
    CHECK(got && strstr(r.reason, "before the start of k"), "a read before the start reported '%s'", r.reason);
    /*
     * A fault elsewhere is not the harness's to report: the handler that was
     * there before takes it (the default kills with SIGSEGV; under ASan, its
     * report ends the process with a failing status).
     */
    st = touch_in_child(GUARD_AFTER_END, 0, 0, 1, &r, &got);
    CHECK(!got && ((WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV) || (WIFEXITED(st) && WEXITSTATUS(st) != 0)),
          "a wild read: status %d, record %d", st, got);
    /* in range and away from the page: no fault */
    st = touch_in_child(GUARD_AFTER_END, 63, 1, 0, &r, &got);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && !got, "an in-bounds write: status %d, record %d", st, got);
}

int main(void)
{
    test_views();
    test_placement();
    test_faults();
    return check_summary();
}
