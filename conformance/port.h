/* Loading an out-of-tree implementation (a "port") from a shared library. */
#ifndef MHA_CONF_PORT_H
#define MHA_CONF_PORT_H

#include "mha.h"

#include <stddef.h>

/*
 * dlopen(path) (this runs the port's constructors) and look up
 * MHA_PORT_SYMBOL. NULL with a message in err.
 */
mha_port_entry_fn *port_open(const char *path, char *err, size_t err_size);

/*
 * Call the port's entry point and check the descriptor it returns (ABI
 * version, name, attention function). A version-1 descriptor comes back as
 * a version-2 copy declaring fp32 only. NULL with a message in err.
 */
const mha_impl *port_describe(const char *path, mha_port_entry_fn *entry, char *err, size_t err_size);

/* port_open, then port_describe. */
const mha_impl *port_load(const char *path, char *err, size_t err_size);

#endif
