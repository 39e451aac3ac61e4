/*
 * A lab's run of the conformance check (conformance/harness.h), as
 * `mha check` does it: a deliberately broken port from conformance/broken
 * or the lab's own implementation, on a few cases, at the highest CPU level.
 * The check prints its FAIL lines and rerun commands on stdout.
 */
#ifndef MHA_TEACH_LAB_CONFORMANCE_H
#define MHA_TEACH_LAB_CONFORMANCE_H

#include "conformance/check_summary.h"
#include "lab.h"

typedef struct lab_conformance {
    int status;         /* CHECK_* of conformance/harness.h */
    char command[1024]; /* the `mha check` command line that repeats the run */
    check_summary rep;
} lab_conformance;

/*
 * Checks the port libbroken_<broken_kind>.so of env->broken_dir, or
 * env->impl when broken_kind is NULL, on the cases matching `cases`.
 */
void lab_conformance_run(lab_env *env, const char *broken_kind, const char *cases, lab_conformance *r);

/* 1 if case id passed, 0 if it failed, -1 if it did not run. */
int lab_conformance_case(const lab_conformance *r, const char *id);

void lab_conformance_free(lab_conformance *r);

#endif
