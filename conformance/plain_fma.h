/* The plain fp32 algorithm with fused multiply-adds (see plain_fma.c). */
#ifndef MHA_CONF_PLAIN_FMA_H
#define MHA_CONF_PLAIN_FMA_H

#include "mha.h"

/* Writes a->out (and a->probs if set); a is valid. 0, or -1 if out of memory. */
int plain_fma_attention(const mha_args *a);

#endif
