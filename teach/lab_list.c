/* The labs of `mha lab`, in the order of the teaching texts. */
#include "lab.h"

#include <string.h>

static const lab_def labs[] = {
    {"000-split-attend-merge", "000: InfraLens Lab 04, Multi-Head Attention Minimal Code",
     "split-attend-merge on (2, 8, 32) with 4 heads; parameters tied to D; KV slices per head", lab_000_run},
    {"001-multi-head-class", "001: Lab 01, Multi-Head Attention (the MultiHeadAttention class)",
     "H = 1 equivalence, 4-head heatmap and manifest, the two reshape traps, 4D^2 vs 3D^2", lab_001_run},
    {"002-qkv-shapes", "002: InfraLens Lab 02, Q/K/V Shape Walkthrough",
     "shapes of (2, 4, 16) with 4 heads, MHA/GQA/MQA sizes, why divide by sqrt(Dh)", lab_002_run},
    {"003-heads-and-kv-cache", "003: microgpt, Multi-Head Attention (lines 123-133)",
     "each head's slice of D, the 1024 vs 64 table, the per-token decode loop with its KV cache", lab_003_run},
    {"004-interview-mha", "004: MLE interview problem, Implement Multi-Head Attention",
     "the worked example against hand values, and the stable softmax", lab_004_run},
};

size_t lab_count(void)
{
    return sizeof labs / sizeof labs[0];
}

const lab_def *lab_get(size_t i)
{
    return i < lab_count() ? &labs[i] : NULL;
}

const lab_def *lab_find(const char *name)
{
    for (size_t i = 0; i < lab_count(); i++) {
        const size_t n = strlen(name);
        if (strcmp(labs[i].name, name) == 0 || (n == 3 && strncmp(labs[i].name, name, 3) == 0))
            return &labs[i];
    }
    return NULL;
}
