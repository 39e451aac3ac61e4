/*
 * The two suites the harness runs on one implementation at one CPU level:
 * the cases (stored vectors and large shapes, suite_cases.c) and the
 * property checks (relations between calls, props.c). Both call the
 * implementation and judge through the runner (runner.h); the harness
 * (harness.h) decides which suites run, where and with which cases.
 */
#ifndef MHA_CONF_SUITES_H
#define MHA_CONF_SUITES_H

#include "runner.h"

/*
 * Every case on impl: the stored layout at the determinism thread counts,
 * the other layout, padded strides; large cases only when o->top_level.
 * Returns the number of failures.
 */
int suite_cases_run(const mha_impl *impl, const case_data *cases, size_t n, const run_opts *o);

/* The property checks whose id matches patterns (NULL: all); returns the number of failures. */
int suite_props_run(const mha_impl *impl, const run_opts *o, const char *patterns);

/* How many property ids match the --case patterns. */
size_t props_matching(const char *patterns);

/*
 * Computes the inputs, reference and err_fp32 of the property cases whose id
 * matches patterns once, for every later suite_props_run() (and forked
 * child) to copy; props_release() frees them. Optional: suite_props_run()
 * computes what is missing itself.
 */
void props_prepare(const char *patterns);
void props_release(void);

#endif
