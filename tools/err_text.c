/* "PATH: reason" messages that keep the reason; see err_text.h. */
#include "err_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void err_path(char *err, size_t err_size, const char *path, const char *fmt, ...)
{
    if (!err_size)
        return;
    va_list ap;
    va_start(ap, fmt);
    char small[512], *reason = small;
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof small && (reason = malloc((size_t)n + 1)) != NULL) {
        va_start(ap, fmt);
        vsnprintf(reason, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    if (!reason)
        reason = small;
    size_t plen = strlen(path), rlen = strlen(reason);
    if (plen + 2 + rlen < err_size) {
        snprintf(err, err_size, "%s: %s", path, reason);
    } else if (rlen + 2 + 3 + 16 < err_size) {
        size_t keep = err_size - 1 - rlen - 2 - 3, head = keep / 2, tail = keep - head;
        snprintf(err, err_size, "%.*s...%s: %s", (int)head, path, path + plen - tail, reason);
    } else {
        snprintf(err, err_size, "%s", reason);
    }
    if (reason != small)
        free(reason);
}
