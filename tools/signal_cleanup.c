/* Removing registered temporaries on the signals that end a program; see signal_cleanup.h. */
#define _GNU_SOURCE
#include "signal_cleanup.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { SLOT_FREE, SLOT_FILE, SLOT_FOLDER };

static const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
#define N_SIGNALS ((int)(sizeof signals / sizeof signals[0]))

static struct {
    volatile sig_atomic_t kind;
    char path[PATH_MAX];
} slots[SIGNAL_CLEANUP_SLOTS];

static struct sigaction previous[N_SIGNALS];
static int installed, hold_depth;
static volatile sig_atomic_t held, pending;
static sigset_t held_mask, mask_before_hold;

/* Unlinks the entries of a flat folder, then the folder; only async-signal-safe calls. */
static void remove_flat_folder(const char *path)
{
    /* a pass may miss entries that moved while others were unlinked: pass again while the folder is not empty */
    for (int pass = 0; pass < 4 && rmdir(path) != 0; pass++) {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return;
        char buf[4096];
        long n;
        while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
            for (long off = 0; off < n;) {
                /* struct linux_dirent64: d_ino 8, d_off 8, d_reclen 2, d_type 1, then the name */
                unsigned short reclen;
                memcpy(&reclen, buf + off + 16, sizeof reclen);
                const char *name = buf + off + 19;
                if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
                    unlinkat(fd, name, 0);
                off += reclen;
            }
        }
        close(fd);
    }
}

/*
 * Removes every registered path, then lets sig take its previous action.
 * While the main thread holds signals back, a signal delivered to another
 * thread (libraries start their own, and those do not block anything) is
 * only noted; signal_cleanup_release acts on it.
 */
static void on_signal(int sig)
{
    if (held) {
        pending = sig;
        return;
    }
    for (int s = 0; s < SIGNAL_CLEANUP_SLOTS; s++) {
        if (slots[s].kind == SLOT_FILE)
            unlink(slots[s].path);
        else if (slots[s].kind == SLOT_FOLDER)
            remove_flat_folder(slots[s].path);
        slots[s].kind = SLOT_FREE;
    }
    for (int i = 0; i < N_SIGNALS; i++)
        if (signals[i] == sig)
            sigaction(sig, &previous[i], NULL);
    /* in the handler sig is blocked: it is delivered again, with its previous action, on return */
    raise(sig);
}

static void install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < N_SIGNALS; i++)
        sigaddset(&sa.sa_mask, signals[i]);
    for (int i = 0; i < N_SIGNALS; i++) {
        sigaction(signals[i], NULL, &previous[i]);
        if (previous[i].sa_handler != SIG_IGN)
            sigaction(signals[i], &sa, NULL);
    }
    installed = 1;
}

void signal_cleanup_hold(void)
{
    if (hold_depth++ == 0) {
        if (!installed)
            install();
        sigemptyset(&held_mask);
        for (int i = 0; i < N_SIGNALS; i++)
            sigaddset(&held_mask, signals[i]);
        sigprocmask(SIG_BLOCK, &held_mask, &mask_before_hold);
        held = 1;
    }
}

void signal_cleanup_release(void)
{
    if (hold_depth > 0 && --hold_depth == 0) {
        held = 0;
        sigprocmask(SIG_SETMASK, &mask_before_hold, NULL);
        int sig = pending;
        if (sig) { /* arrived in another thread while held */
            pending = 0;
            on_signal(sig);
        }
    }
}

int signal_cleanup_add(const char *path, int is_folder)
{
    if (strlen(path) >= PATH_MAX)
        return -1;
    signal_cleanup_hold();
    int slot = -1;
    for (int s = 0; s < SIGNAL_CLEANUP_SLOTS && slot < 0; s++)
        if (slots[s].kind == SLOT_FREE) {
            slot = s;
            memcpy(slots[s].path, path, strlen(path) + 1);
            slots[s].kind = is_folder ? SLOT_FOLDER : SLOT_FILE;
        }
    signal_cleanup_release();
    return slot;
}

void signal_cleanup_forget(int slot)
{
    if (slot >= 0 && slot < SIGNAL_CLEANUP_SLOTS)
        slots[slot].kind = SLOT_FREE;
}
