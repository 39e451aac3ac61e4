/* Where this `mha` finds its data; see build_paths.h. */
#include "build_paths.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

int build_paths_in_build_tree(void)
{
    char exe[PATH_MAX], build[PATH_MAX];
    if (!realpath("/proc/self/exe", exe) || !realpath(MHA_BUILD_ROOT, build))
        return 0;
    const size_t n = strlen(build);
    return strncmp(exe, build, n) == 0 && exe[n] == '/';
}

const char *build_paths_vectors(void)
{
    return build_paths_in_build_tree() ? MHA_VECTORS_DIR : MHA_VECTORS_INSTALL_DIR;
}

const char *build_paths_broken(void)
{
    return build_paths_in_build_tree() ? MHA_BUILD_ROOT "/conformance/broken" : MHA_BROKEN_INSTALL_DIR;
}
