/* Resolving paths of existing and future files; see path_ident.h. */
#define _GNU_SOURCE
#include "path_ident.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "dir/name" -> "dir" and "name"; "name" -> "." and "name"; "/name" -> "/" and "name". */
static char *split_folder(const char *path, const char **name)
{
    const char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    if (!slash)
        return strdup(".");
    return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

static char *resolve(const char *path, int depth)
{
    char *real = realpath(path, NULL);
    if (real || errno != ENOENT)
        return real;
    if (depth > 40) {
        errno = ELOOP;
        return NULL;
    }
    const char *name;
    char *folder = split_folder(path, &name);
    if (!folder)
        return NULL;
    struct stat st;
    char *result = NULL;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        /* a dangling link: resolve where it points, relative to the link's folder */
        char link[PATH_MAX];
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n >= 0) {
            link[n] = '\0';
            char *next = NULL;
            if (link[0] == '/')
                next = strdup(link);
            else if (asprintf(&next, "%s/%s", folder, link) < 0)
                next = NULL;
            if (next)
                result = resolve(next, depth + 1);
            free(next);
        }
    } else if (*name && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
        char *real_folder = realpath(folder, NULL);
        if (real_folder && asprintf(&result, "%s%s%s", real_folder, strcmp(real_folder, "/") ? "/" : "", name) < 0)
            result = NULL;
        free(real_folder);
    }
    free(folder);
    return result;
}

char *path_resolve(const char *path)
{
    return resolve(path, 0);
}

int path_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char *ra = path_resolve(a), *rb = path_resolve(b);
    int same = ra && rb && strcmp(ra, rb) == 0;
    free(ra);
    free(rb);
    return same;
}
