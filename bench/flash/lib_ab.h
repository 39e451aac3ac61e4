/*
 * Loading one libmha build for an A/B program (flash_ab, prefill_ab):
 * each library is dlopen'ed on its own (RTLD_LOCAL | RTLD_DEEPBIND), so
 * two builds of the same library live side by side in one process.
 */
#ifndef LIB_AB_H
#define LIB_AB_H

#include "mha.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

typedef struct lib_ab {
    const char *path;
    const mha_impl *impl;
    mha_status (*attention)(const mha_impl *, const mha_args *);
    mha_strides (*strides_bshd)(int64_t, int64_t, int64_t);
} lib_ab;

/* Opens path and finds implementation `impl` in it; 0, or -1 with a message on stderr. */
static inline int lib_ab_open(lib_ab *l, const char *path, const char *impl)
{
    void *so = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!so) {
        fprintf(stderr, "%s\n", dlerror());
        return -1;
    }
    const mha_impl *(*find)(const char *) = (const mha_impl *(*)(const char *))(uintptr_t)dlsym(so, "mha_impl_find");
    l->path = path;
    l->attention = (mha_status(*)(const mha_impl *, const mha_args *))(uintptr_t)dlsym(so, "mha_attention");
    l->strides_bshd = (mha_strides(*)(int64_t, int64_t, int64_t))(uintptr_t)dlsym(so, "mha_strides_bshd");
    l->impl = find ? find(impl) : NULL;
    if (!find || !l->attention || !l->strides_bshd || !l->impl) {
        fprintf(stderr, "%s: no mha_impl_find / mha_attention / mha_strides_bshd / %s\n", path, impl);
        return -1;
    }
    return 0;
}

/* The library timed i-th in round `rep` of nlib: each round starts one library later, so that every
 * library is timed first, and after each other one, equally often (whatever runs before a round, or
 * the previous library's state, falls on all of them alike). */
static inline int lib_ab_turn(int i, int rep, int nlib)
{
    return (i + rep) % nlib;
}

#endif
