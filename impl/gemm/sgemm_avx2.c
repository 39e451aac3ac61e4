/* The same SGEMM source compiled with -mavx2 -mfma (the avx2 library). */
#define SGEMM_ISA avx2
#include "sgemm_tmpl.h"
