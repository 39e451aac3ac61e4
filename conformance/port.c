/* Loading a port: see port.h. */
#include "port.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

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
    if (impl->abi_version != MHA_ABI_VERSION) {
        snprintf(err, err_size,
                 "port %s: descriptor has ABI version %u, this mhalab has ABI version %d: rebuild the port "
                 "against this mhalab's mha.h",
                 path, impl->abi_version, MHA_ABI_VERSION);
        return NULL;
    }
    if (!impl->name || !impl->attention) {
        snprintf(err, err_size, "port %s: descriptor lacks %s", path, !impl->name ? "a name" : "an attention function");
        return NULL;
    }
    return impl;
}

const mha_impl *port_load(const char *path, char *err, size_t err_size)
{
    mha_port_entry_fn *entry = port_open(path, err, err_size);
    return entry ? port_describe(path, entry, err, err_size) : NULL;
}
