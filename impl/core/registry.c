/*
 * The registry: one table of the implementations compiled into this build.
 * Meson writes mha_registry_list.h from the implementations each impl/
 * folder adds (see meson.build), so an ISA that is compiled out has no
 * entry at all rather than a stub.
 */
#include "internal.h"
#include "mha_registry_list.h"

#include <stdio.h>
#include <string.h>

#define MHA_DECLARE_IMPL(name) extern const mha_impl mha_impl_##name;
MHA_REGISTRY_LIST(MHA_DECLARE_IMPL)

#define MHA_LIST_IMPL(name) &mha_impl_##name,
static const mha_impl *const registry[] = {MHA_REGISTRY_LIST(MHA_LIST_IMPL)};

size_t mha_impl_count(void)
{
    return sizeof registry / sizeof registry[0];
}

const mha_impl *mha_impl_get(size_t i)
{
    return i < mha_impl_count() ? registry[i] : NULL;
}

const mha_impl *mha_impl_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < mha_impl_count(); i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

int mha_impl_runnable_with(const mha_impl *impl, uint32_t features, char *why, size_t why_size)
{
    char missing_names[128];
    if (!impl) {
        if (why) snprintf(why, why_size, "no implementation");
        return 0;
    }
    if (impl->abi_version != MHA_ABI_VERSION) {
        if (why) snprintf(why, why_size, "built for ABI %u, library is ABI %u",
                          impl->abi_version, MHA_ABI_VERSION);
        return 0;
    }
    const uint32_t usable = features & mha_cpu_detected();
    const uint32_t missing = impl->cpu_features & ~usable;
    if (missing) {
        const uint32_t lacking = missing & ~mha_cpu_detected();
        mha_cpu_feature_names(lacking ? lacking : missing, missing_names, sizeof missing_names);
        if (why) snprintf(why, why_size, "%s %s", lacking ? "CPU lacks" : "masked off:", missing_names);
        return 0;
    }
    if (why && why_size) why[0] = '\0';
    return 1;
}

int mha_impl_runnable(const mha_impl *impl, char *why, size_t why_size)
{
    return mha_impl_runnable_with(impl, mha_cpu_features(), why, why_size);
}

const mha_impl *mha_impl_best(void)
{
    const mha_impl *best = NULL;
    for (size_t i = 0; i < mha_impl_count(); i++) {
        const mha_impl *impl = registry[i];
        if (!mha_impl_runnable(impl, NULL, 0))
            continue;
        if (!best || impl->priority > best->priority)
            best = impl;
    }
    return best; /* naive needs nothing, so never NULL */
}
