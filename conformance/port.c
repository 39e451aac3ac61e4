/* Loading a port: see port.h. */
#include "port.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ABI version 1: mha_impl without the fields version 2 appended (dtypes on). */
#define ABI_V1 1u
#define ABI_V1_BYTES offsetof(mha_impl, dtypes)

/*
 * A version-2 copy of a version-1 descriptor: its prefix, dtypes =
 * MHA_IO_F32, no matmul (version 1's took no work buffer: calling it
 * through MHA_MATMUL_FN would pass an argument it does not declare; the
 * layer uses the portable matmul instead). Only the prefix is read (the
 * port's struct ends there). The copy lives as long as the port, which
 * stays loaded for the process.
 */
typedef struct v1_copy {
    struct v1_copy *next;
    mha_impl impl;
} v1_copy;

/* Every copy made, reachable for the life of the process. */
static v1_copy *v1_copies;

static const mha_impl *upgrade_v1(const mha_impl *v1, const char *path, char *err, size_t err_size)
{
    v1_copy *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_size, "port %s: out of memory copying its ABI-1 descriptor", path);
        return NULL;
    }
    mha_impl *v2 = &c->impl;
    memcpy(v2, v1, ABI_V1_BYTES);
    v2->abi_version = MHA_ABI_VERSION;
    v2->matmul = NULL;
    v2->dtypes = MHA_IO_F32;
    c->next = v1_copies;
    v1_copies = c;
    return v2;
}

mha_port_entry_fn *port_open(const char *path, char *err, size_t err_size)
{
    char buf[4096];
    /* without a slash dlopen would search the library path, not the current directory */
    snprintf(buf, sizeof buf, "%s%s", strchr(path, '/') ? "" : "./", path);
    void *lib = dlopen(buf, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(err, err_size, "cannot load port %s: %s", path, dlerror());
        return NULL;
    }
    void *sym = dlsym(lib, MHA_PORT_SYMBOL);
    if (!sym) {
        snprintf(err, err_size,
                 "port %s does not export %s (expected 'const mha_impl *%s(void)', see MHA_PORT_SYMBOL in mha.h)",
                 path, MHA_PORT_SYMBOL, MHA_PORT_SYMBOL);
        return NULL;
    }
    mha_port_entry_fn *entry;
    memcpy(&entry, &sym, sizeof entry); /* object pointer to function pointer, as POSIX allows */
    return entry; /* the library stays loaded for the life of the process */
}

const mha_impl *port_describe(const char *path, mha_port_entry_fn *entry, char *err, size_t err_size)
{
    const mha_impl *impl = entry();
    if (!impl) {
        snprintf(err, err_size, "port %s: %s() returned NULL", path, MHA_PORT_SYMBOL);
        return NULL;
    }
    if (impl->abi_version != MHA_ABI_VERSION && impl->abi_version != ABI_V1) {
        snprintf(err, err_size,
                 "port %s: descriptor has ABI version %u, this mhalab has ABI version %d (and loads version %u "
                 "ports, fp32 only): rebuild the port against this mhalab's mha.h",
                 path, impl->abi_version, MHA_ABI_VERSION, ABI_V1);
        return NULL;
    }
    if (!impl->name || !impl->attention) {
        snprintf(err, err_size, "port %s: descriptor lacks %s", path, !impl->name ? "a name" : "an attention function");
        return NULL;
    }
    return impl->abi_version == ABI_V1 ? upgrade_v1(impl, path, err, err_size) : impl;
}

const mha_impl *port_load(const char *path, char *err, size_t err_size)
{
    mha_port_entry_fn *entry = port_open(path, err, err_size);
    return entry ? port_describe(path, entry, err, err_size) : NULL;
}
