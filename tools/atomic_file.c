/* Temporary file + rename, or in place for devices and fifos; see atomic_file.h. */
#define _GNU_SOURCE
#include "atomic_file.h"

#include "err_text.h"
#include "path_ident.h"
#include "signal_cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void release_names(atomic_file *a)
{
    free(a->target);
    free(a->tmp);
    free(a->backup);
    a->target = a->tmp = a->backup = NULL;
}

/*
 * Creates "FOLDER/.NAME.tag-XXXXXX" (link_from NULL: a new empty file, fd
 * in *fd) or a hard link to link_from under that name. Returns the
 * malloc'd name, or NULL with errno set.
 */
static char *unique_sibling(const char *target, const char *tag, const char *link_from, int *fd, mode_t mode)
{
    const char *slash = strrchr(target, '/');
    int folder_len = slash ? (int)(slash - target + 1) : 0;
    const char *name = target + folder_len;
    static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (int attempt = 0; attempt < 100; attempt++) {
        uint64_t r = 0;
        if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
            r = (uint64_t)getpid() * 0x9e3779b97f4a7c15u ^ (uint64_t)clock() ^ ((uint64_t)attempt << 40);
        char suffix[7];
        for (int i = 0; i < 6; i++, r /= 62)
            suffix[i] = chars[r % 62];
        suffix[6] = '\0';
        char *path = NULL;
        /* a name near NAME_MAX is shortened so that the temporary's name still fits */
        if (asprintf(&path, "%.*s.%.200s.%s-%s", folder_len, target, name, tag, suffix) < 0)
            return NULL;
        int rc = link_from ? link(link_from, path) : (*fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
        if (rc >= 0)
            return path;
        int e = errno;
        free(path);
        if (e != EEXIST) {
            errno = e;
            return NULL;
        }
    }
    errno = EEXIST;
    return NULL;
}

static int open_in_place(atomic_file *a, const struct stat *st, char *err, size_t err_size)
{
    int fifo = S_ISFIFO(st->st_mode);
    int fd = open(a->target, O_WRONLY | O_NOCTTY | O_CLOEXEC | (fifo ? O_NONBLOCK : 0));
    if (fd < 0) {
        if (fifo && errno == ENXIO)
            err_path(err, err_size, a->path, "is a fifo that no reader has open; refusing to wait for one "
                                             "(start the reader first)");
        else
            err_path(err, err_size, a->path, "cannot open for writing: %s", strerror(errno));
        return -1;
    }
    struct stat now;
    if (fstat(fd, &now) != 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino ||
        (now.st_mode & S_IFMT) != (st->st_mode & S_IFMT)) {
        close(fd);
        err_path(err, err_size, a->path, "was replaced while being opened; not written");
        return -1;
    }
    if (fifo)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    a->f = fdopen(fd, "wb");
    if (!a->f) {
        close(fd);
        err_path(err, err_size, a->path, "cannot open for writing: %s", strerror(errno));
        return -1;
    }
    a->in_place = 1;
    return 0;
}

/* Why a target that exists cannot be written, or NULL when it can. */
static const char *refusal(const struct stat *st, const char *target)
{
    if (S_ISDIR(st->st_mode))
        return "is a directory";
    if (S_ISBLK(st->st_mode))
        return "is a block device; refusing to write over it";
    if (S_ISSOCK(st->st_mode))
        return "is a socket; a file cannot be written to it";
    if (!S_ISREG(st->st_mode) && !S_ISCHR(st->st_mode) && !S_ISFIFO(st->st_mode))
        return "is not a regular file, a character device or a fifo";
    if (S_ISREG(st->st_mode) && ((st->st_mode & 0222) == 0 || access(target, W_OK) != 0))
        return "is read-only; refusing to replace it (make it writable or remove it first)";
    return NULL;
}

int atomic_open(atomic_file *a, const char *path, char *err, size_t err_size)
{
    memset(a, 0, sizeof *a);
    a->path = path;
    a->slot = -1;
    /* what the path names, links followed; a device or pipe is opened by the path as given (/dev/stdout) */
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (!exists && errno != ENOENT) {
        err_path(err, err_size, path, "cannot inspect: %s", strerror(errno));
        return -1;
    }
    a->target = exists && !S_ISREG(st.st_mode) ? strdup(path) : path_resolve(path);
    if (!a->target) {
        err_path(err, err_size, path, "cannot write there: %s", strerror(errno));
        return -1;
    }
    const char *why = exists ? refusal(&st, a->target) : NULL;
    if (why) {
        err_path(err, err_size, path, "%s", why);
        release_names(a);
        return -1;
    }
    if (exists && !S_ISREG(st.st_mode)) {
        if (open_in_place(a, &st, err, err_size)) {
            release_names(a);
            return -1;
        }
        return 0;
    }
    int fd = -1;
    signal_cleanup_hold(); /* no signal between creating the temporary and registering it */
    a->tmp = unique_sibling(a->target, "tmp", NULL, &fd, exists ? 0600 : 0666);
    int e = errno;
    if (a->tmp)
        a->slot = signal_cleanup_add(a->tmp, 0);
    signal_cleanup_release();
    if (!a->tmp) {
        err_path(err, err_size, path, "cannot create a temporary file next to it: %s", strerror(e));
        release_names(a);
        return -1;
    }
    struct stat tst;
    a->mode = exists ? st.st_mode & 07777 : (fstat(fd, &tst) == 0 ? tst.st_mode & 07777 : 0644);
    a->f = fdopen(fd, "wb");
    if (!a->f) {
        err_path(err, err_size, path, "cannot write a temporary file: %s", strerror(errno));
        close(fd);
        atomic_abort(a);
        return -1;
    }
    return 0;
}

/* Flush, fsync (regular files), close; 0 or -1 with err. */
static int finish_writing(atomic_file *a, char *err, size_t err_size)
{
    errno = 0;
    int bad = fflush(a->f) != 0 || ferror(a->f);
    int e = errno ? errno : EIO;
    if (!bad && !a->in_place && (fchmod(fileno(a->f), a->mode) != 0 || fsync(fileno(a->f)) != 0)) {
        bad = 1;
        e = errno;
    }
    if (fclose(a->f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    a->f = NULL;
    a->closed = 1;
    if (bad)
        err_path(err, err_size, a->path, "write failed: %s", strerror(e));
    return bad ? -1 : 0;
}

void atomic_abort(atomic_file *a)
{
    if (a->f)
        fclose(a->f);
    a->f = NULL;
    if (a->tmp)
        unlink(a->tmp);
    signal_cleanup_forget(a->slot);
    a->slot = -1;
    release_names(a);
}

/* Puts files[0..n) back as they were before their renames (signals held). */
static void roll_back(atomic_file *const *files, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        atomic_file *a = files[i];
        if (a->in_place)
            continue;
        if (a->backup) {
            rename(a->backup, a->target);
            free(a->backup);
            a->backup = NULL;
        } else {
            unlink(a->target);
        }
    }
}

int atomic_commit_all(atomic_file *const *files, int n, char *err, size_t err_size)
{
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = finish_writing(files[i], err, err_size);
    signal_cleanup_hold();
    int landed = 0;
    for (; rc == 0 && landed < n; landed++) {
        atomic_file *a = files[landed];
        if (a->in_place)
            continue;
        struct stat st;
        if (n > 1 && stat(a->target, &st) == 0) {
            int unused;
            a->backup = unique_sibling(a->target, "old", a->target, &unused, 0);
            if (!a->backup) {
                err_path(err, err_size, a->path, "cannot keep the previous file until all outputs are written: %s",
                         strerror(errno));
                rc = -1;
                break;
            }
        }
        if (rename(a->tmp, a->target) != 0) {
            err_path(err, err_size, a->path, "cannot rename %s onto it: %s", a->tmp, strerror(errno));
            if (a->backup)
                unlink(a->backup);
            free(a->backup);
            a->backup = NULL;
            rc = -1;
            break;
        }
        free(a->tmp);
        a->tmp = NULL;
    }
    if (rc != 0)
        roll_back(files, landed);
    for (int i = 0; i < n; i++) {
        atomic_file *a = files[i];
        if (a->backup)
            unlink(a->backup);
        atomic_abort(a);
    }
    signal_cleanup_release();
    return rc;
}

int atomic_commit(atomic_file *a, char *err, size_t err_size)
{
    return atomic_commit_all(&a, 1, err, err_size);
}

int atomic_write(const char *path, const void *data, size_t size, char *err, size_t err_size)
{
    atomic_file a;
    if (atomic_open(&a, path, err, err_size))
        return -1;
    errno = 0;
    if (size && fwrite(data, 1, size, a.f) != size) {
        err_path(err, err_size, path, "write failed: %s", strerror(errno ? errno : EIO));
        atomic_abort(&a);
        return -1;
    }
    return atomic_commit(&a, err, err_size);
}
