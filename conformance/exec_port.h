/*
 * A port in any language, run as a separate process: `mha check --exec
 * COMMAND`. The protocol (one JSON object per line on the port's stdin and
 * stdout, tensors as .npy files in a private temporary folder) is specified
 * in docs/porting-protocol.md; EXEC_PROTOCOL_VERSION is its version.
 */
#ifndef MHA_CONF_EXEC_PORT_H
#define MHA_CONF_EXEC_PORT_H

#include "mha.h"

#include <stddef.h>

#define EXEC_PROTOCOL_VERSION 1

/*
 * Creates a private folder (mkdtemp), starts `/bin/sh -c COMMAND` with its
 * stdin and stdout as the protocol pipes (its stderr is ours) in this
 * process's process group, and does the handshake. Returns a descriptor
 * whose attention function sends one request per call (static storage: one
 * port per process; calls must not overlap), or NULL with a message in err. SIGPIPE is ignored from
 * then on: a port that dies shows as a write error, never kills the caller.
 * A failed call returns MHA_ERR_IMPL_FAILED from mha_attention() with
 * mha_last_error() naming the reason; after a protocol error (EOF, a line
 * that is not the expected JSON) every later call fails with that reason.
 */
const mha_impl *exec_port_load(const char *command, char *err, size_t err_size);

/*
 * Closes the port's stdin (the port should exit on EOF), waits up to two
 * seconds, then kills it, and removes the folder. Only in the process that
 * loaded it (forked children leave it alone); also run at exit.
 */
void exec_port_close(void);

#endif
