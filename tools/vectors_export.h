/*
 * mha vectors export DIR: every case (stored, large and the inputs of every
 * property check) with its inputs, float64 references and absolute
 * tolerances, plus DIR/index.json, so that a port can check itself inside
 * its own test runner. The format is in docs/porting-protocol.md.
 */
#ifndef MHA_VECTORS_EXPORT_H
#define MHA_VECTORS_EXPORT_H

#include "conformance/vectors.h"

#include <jansson.h>

#define EXPORT_FORMAT_VERSION 1

/*
 * Exports into out_dir the cases of the vectors in vectors_dir and those
 * computed on the fly. out_dir must be missing or empty unless force.
 * Returns 0, or -1 after printing why to stderr.
 */
int vectors_export(const char *vectors_dir, const char *out_dir, int force);

/*
 * Writes d's inputs (unless they are already written), references and
 * adds its record to cases. 0 or -1 with err.
 */
int export_case(const char *dir, const case_data *d, const char *kind, int inputs_written, double factor,
                double floor, json_t *cases, char *err, size_t err_size);

/* Records the property checks' calls as cases of kind "property" (vectors_export_props.c). 0 or -1 with err. */
int export_props(const char *dir, double factor, double floor, json_t *cases, char *err, size_t err_size);

#endif
