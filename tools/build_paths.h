/*
 * Where this `mha` finds its data: the source and build trees for the mha
 * of a build folder (MHA_BUILD_ROOT), the installed copies for an
 * installed mha.
 */
#ifndef MHA_BUILD_PATHS_H
#define MHA_BUILD_PATHS_H

/* 1 if this program lies inside the build folder it was built in. */
int build_paths_in_build_tree(void);

/* The golden vectors' folder. */
const char *build_paths_vectors(void);

/* The folder of the deliberately broken ports (conformance/broken) that the labs run. */
const char *build_paths_broken(void);

#endif
