/*
 * Error messages about a path that are never cut short: "PATH: reason"
 * into a caller's buffer; when it does not fit, the middle of PATH gives
 * way to "..." and the reason stays whole.
 */
#ifndef MHA_ERR_TEXT_H
#define MHA_ERR_TEXT_H

#include <stddef.h>

/* Size of the message buffers of the `mha` commands: a PATH_MAX path, a second one and a reason. */
#define ERR_TEXT_SIZE 9000

void err_path(char *err, size_t err_size, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
