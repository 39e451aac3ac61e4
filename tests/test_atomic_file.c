/*
 * The one file writer (tools/atomic_file.h) against every kind of target,
 * all made under a fresh temporary folder (never the machine's /dev):
 * new and replaced regular files (mode kept, unique temporaries, a user's
 * own NAME.tmp untouched), symlinks, read-only files, character devices
 * made with mknod (a /dev/full-like node must report ENOSPC and stay a
 * device; skipped with a reason when not root), fifos with and without a
 * reader, block devices, sockets, folders, two files that land together
 * or not at all, and temporaries removed on SIGTERM.
 */
#define _GNU_SOURCE
#include "atomic_file.h"
#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];

static const char *at(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static int write_text(const char *path, const char *text, char *err, size_t size)
{
    return atomic_write(path, text, strlen(text), err, size);
}

static int has_text(const char *path, const char *text)
{
    char buf[256] = "";
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strcmp(buf, text) == 0;
}

/* Entries of the folder whose names start with ".": the writer's temporaries. */
static int hidden_entries(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

static void regular_files(void)
{
    char err[1024];
    mode_t old = umask(022);
    CHECK(write_text(at("new"), "one", err, sizeof err) == 0 && has_text(at("new"), "one"), "new file: %s", err);
    struct stat st;
    CHECK(stat(at("new"), &st) == 0 && (st.st_mode & 0777) == 0644, "new file mode 0666 less umask 022: %o",
          st.st_mode & 0777);
    umask(old);
    chmod(at("new"), 0640);
    CHECK(write_text(at("new"), "two", err, sizeof err) == 0 && has_text(at("new"), "two"), "replace: %s", err);
    CHECK(stat(at("new"), &st) == 0 && (st.st_mode & 0777) == 0640, "replaced file keeps mode 0640: %o",
          st.st_mode & 0777);

    /* a user's own files with the old temporary names are never touched */
    write_text(at("res.npy.tmp"), "mine", err, sizeof err);
    write_text(at("res.npy"), "old", err, sizeof err);
    CHECK(write_text(at("res.npy"), "new", err, sizeof err) == 0 && has_text(at("res.npy.tmp"), "mine") &&
              has_text(at("res.npy"), "new"),
          "res.npy.tmp untouched by writing res.npy");
    CHECK(hidden_entries() == 0, "no temporary left behind");

    /* read-only: refused, content kept */
    chmod(at("res.npy"), 0444);
    CHECK(write_text(at("res.npy"), "x", err, sizeof err) != 0 && strstr(err, "is read-only") &&
              has_text(at("res.npy"), "new"),
          "read-only file refused: %s", err);
    chmod(at("res.npy"), 0644);

    /* a symlink is followed: the target is replaced, the link stays */
    mkdir(at("sub"), 0755);
    write_text(at("sub/target"), "old", err, sizeof err);
    symlink("sub/target", at("link"));
    CHECK(write_text(at("link"), "through", err, sizeof err) == 0 && has_text(at("sub/target"), "through"),
          "write through a symlink: %s", err);
    CHECK(lstat(at("link"), &st) == 0 && S_ISLNK(st.st_mode), "the symlink stays a symlink");
    symlink("sub/created", at("dangling"));
    CHECK(write_text(at("dangling"), "made", err, sizeof err) == 0 && has_text(at("sub/created"), "made"),
          "a dangling symlink's target is created: %s", err);

    CHECK(write_text(at("sub"), "x", err, sizeof err) != 0 && strstr(err, "is a directory"), "folder: %s", err);
    CHECK(write_text(at("nofolder/x"), "x", err, sizeof err) != 0 && strstr(err, "No such file"),
          "missing folder: %s", err);
}

static void devices(void)
{
    char err[1024];
    struct stat st;
    if (geteuid() != 0) {
        SKIP("device nodes: mknod needs root; character and block device targets not tested");
        return;
    }
    CHECK(mknod(at("full"), S_IFCHR | 0666, makedev(1, 7)) == 0, "mknod full: %s", strerror(errno));
    CHECK(write_text(at("full"), "data", err, sizeof err) != 0 && strstr(err, "No space left on device"),
          "a /dev/full-like node reports ENOSPC: %s", err);
    CHECK(lstat(at("full"), &st) == 0 && S_ISCHR(st.st_mode), "the full node is still a character device");
    CHECK(mknod(at("null"), S_IFCHR | 0666, makedev(1, 3)) == 0, "mknod null: %s", strerror(errno));
    CHECK(write_text(at("null"), "data", err, sizeof err) == 0, "a /dev/null-like node is written: %s", err);
    CHECK(lstat(at("null"), &st) == 0 && S_ISCHR(st.st_mode), "the null node is still a character device");
    symlink("null", at("null_link")); /* as /dev/stdout links to a terminal */
    CHECK(write_text(at("null_link"), "data", err, sizeof err) == 0, "a link to a device is written: %s", err);
    CHECK(lstat(at("null_link"), &st) == 0 && S_ISLNK(st.st_mode) && lstat(at("null"), &st) == 0 &&
              S_ISCHR(st.st_mode),
          "the link and the device stay");
    /* loop device numbers: refused from its stat alone, never opened */
    CHECK(mknod(at("block"), S_IFBLK | 0600, makedev(7, 200)) == 0, "mknod block: %s", strerror(errno));
    CHECK(write_text(at("block"), "data", err, sizeof err) != 0 && strstr(err, "block device"), "block: %s", err);
    CHECK(lstat(at("block"), &st) == 0 && S_ISBLK(st.st_mode), "the block node stays");
    CHECK(hidden_entries() == 0, "no temporary left behind by device targets");
}

static void fifos_and_sockets(void)
{
    char err[1024];
    struct stat st;
    mkfifo(at("fifo"), 0644);
    alarm(20); /* a hang would be the bug */
    CHECK(write_text(at("fifo"), "x", err, sizeof err) != 0 && strstr(err, "no reader"),
          "fifo without a reader refused at once: %s", err);
    pid_t child = fork();
    if (child == 0) { /* the reader: copies the fifo into a file */
        char buf[64] = "";
        int fd = open(at("fifo"), O_RDONLY);
        ssize_t n = read(fd, buf, sizeof buf);
        FILE *f = fopen(at("fifo_got"), "w");
        fwrite(buf, 1, n > 0 ? (size_t)n : 0, f);
        fclose(f);
        _exit(0);
    }
    int rc = -1;
    for (int i = 0; i < 200 && rc != 0; i++) { /* until the reader has opened it */
        rc = write_text(at("fifo"), "piped", err, sizeof err);
        if (rc)
            usleep(10000);
    }
    waitpid(child, NULL, 0);
    alarm(0);
    CHECK(rc == 0 && has_text(at("fifo_got"), "piped"), "fifo with a reader written in place: %s", err);
    CHECK(lstat(at("fifo"), &st) == 0 && S_ISFIFO(st.st_mode), "the fifo stays a fifo");

    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", at("sock"));
    CHECK(bind(s, (struct sockaddr *)&addr, sizeof addr) == 0, "bind: %s", strerror(errno));
    CHECK(write_text(at("sock"), "x", err, sizeof err) != 0 && strstr(err, "socket"), "socket refused: %s", err);
    close(s);
}

static void together(void)
{
    char err[1024];
    write_text(at("a"), "old a", err, sizeof err);
    unlink(at("b"));
    atomic_file fa, fb;
    atomic_file *both[2] = {&fa, &fb};
    CHECK(atomic_open(&fa, at("a"), err, sizeof err) == 0 && atomic_open(&fb, at("b"), err, sizeof err) == 0,
          "open two: %s", err);
    fputs("new a", fa.f);
    fputs("new b", fb.f);
    /* b's place is taken by a non-empty folder before the commit: its rename fails, a must roll back */
    mkdir(at("b"), 0755);
    write_text(at("b/keep"), "k", err, sizeof err);
    CHECK(atomic_commit_all(both, 2, err, sizeof err) != 0, "second rename must fail");
    CHECK(has_text(at("a"), "old a"), "the first file is rolled back to its previous content");
    CHECK(hidden_entries() == 0, "no temporary or backup left behind after a rollback");

    rmdir(at("b/keep")), unlink(at("b/keep")), rmdir(at("b"));
    CHECK(atomic_open(&fa, at("a"), err, sizeof err) == 0 && atomic_open(&fb, at("b"), err, sizeof err) == 0,
          "open two again: %s", err);
    fputs("new a", fa.f);
    fputs("new b", fb.f);
    CHECK(atomic_commit_all(both, 2, err, sizeof err) == 0 && has_text(at("a"), "new a") && has_text(at("b"), "new b"),
          "both land: %s", err);
    CHECK(hidden_entries() == 0, "no backup left after both landed");
}

static void interrupted(void)
{
    char err[1024];
    int ready[2];
    CHECK(pipe(ready) == 0, "pipe");
    pid_t child = fork();
    if (child == 0) {
        atomic_file a;
        if (atomic_open(&a, at("interrupted"), err, sizeof err))
            _exit(3);
        fputs("partial", a.f);
        fflush(a.f);
        write(ready[1], "r", 1);
        pause(); /* SIGTERM arrives while the file is open */
        _exit(4);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1 && hidden_entries() == 1, "the child has its temporary open");
    kill(child, SIGTERM);
    int status;
    waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "the child ends by SIGTERM (status %d)", status);
    CHECK(hidden_entries() == 0, "SIGTERM removed the temporary");
    CHECK(access(at("interrupted"), F_OK) != 0, "nothing landed");
    close(ready[0]);
    close(ready[1]);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/mha-atomic-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    regular_files();
    devices();
    fifos_and_sockets();
    together();
    interrupted();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_summary();
}
