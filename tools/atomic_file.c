/* Temporary file + rename; see atomic_file.h. */
#include "atomic_file.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int atomic_open(atomic_file *a, const char *path, char *err, size_t err_size)
{
    a->f = NULL;
    a->path = path;
    if (snprintf(a->tmp, sizeof a->tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof a->tmp) {
        snprintf(err, err_size, "%s: path too long", path);
        return -1;
    }
    a->f = fopen(a->tmp, "wb");
    if (!a->f) {
        snprintf(err, err_size, "%s: cannot create: %s", a->tmp, strerror(errno));
        return -1;
    }
    return 0;
}

int atomic_commit(atomic_file *a, char *err, size_t err_size)
{
    int bad = fflush(a->f) != 0 || ferror(a->f);
    int saved = errno;
    if (fclose(a->f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    a->f = NULL;
    if (bad) {
        snprintf(err, err_size, "%s: write failed: %s", a->tmp, strerror(saved));
        remove(a->tmp);
        return -1;
    }
    if (rename(a->tmp, a->path) != 0) {
        snprintf(err, err_size, "%s: cannot rename to %s: %s", a->tmp, a->path, strerror(errno));
        remove(a->tmp);
        return -1;
    }
    return 0;
}

void atomic_abort(atomic_file *a)
{
    if (a->f)
        fclose(a->f);
    a->f = NULL;
    remove(a->tmp);
}
