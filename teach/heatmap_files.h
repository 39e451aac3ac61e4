/*
 * The files of a heatmap run: the picture (SVG, or PNG with cairo), the
 * probabilities as .npy and CSV, and the manifest. They land together or
 * not at all (atomic_commit_all): a failure leaves every earlier file as
 * it was.
 */
#ifndef MHA_TEACH_HEATMAP_FILES_H
#define MHA_TEACH_HEATMAP_FILES_H

#include "heatmap_layout.h"
#include "heatmap_manifest.h"
#include "heatmap_model.h"

#include <stddef.h>

/* PNG pixels per SVG pixel. */
#define HM_PNG_SCALE 2.0

typedef struct hm_files {
    const hm_picture *picture;
    const char *image;          /* picture path; PNG when it ends in .png */
    const hm_experiment *ex;    /* the probabilities of the exports */
    const char *npy;            /* float32 (H, T, T) [head][query][key], or NULL */
    const char *csv;            /* head,query,key,query_token,key_token,probability, or NULL */
    const hm_manifest *manifest;
    const char *manifest_path;  /* or NULL */
} hm_files;

/*
 * Writes every file named in o. Returns 0, or -1 with err "PATH: why"
 * (two outputs naming one file are refused before anything is written).
 */
int hm_write_files(const hm_files *o, char *err, size_t err_size);

#endif
