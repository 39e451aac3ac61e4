/* Loading an out-of-tree implementation (a "port") from a shared library. */
#ifndef MHA_CONF_PORT_H
#define MHA_CONF_PORT_H

#include "mha.h"

#include <stddef.h>

/*
 * dlopen(path), look up MHA_PORT_SYMBOL, call it and check the descriptor
 * (ABI version, name, attention function). NULL with a message in err.
 */
const mha_impl *port_load(const char *path, char *err, size_t err_size);

#endif
