/*
 * The row order of the streamed decode's P V kernels (flash_pv_rows_avx2.h,
 * flash_stream_avx512.c): the file that includes this header first defines
 *   pv_rows_of(rows, p, ldp, v, ldv, n, dh, alpha, rescale, o, ldo, dtype, pf)
 *       every column of `rows` (4, 2 or 1) query rows,
 * then has pv_rows(..., dtype, pf): flash_pv_rows_fn's work on V rows of
 * that dtype, query rows four at a time, then two, then one, so a single
 * row (Sq = 1, MHA) is never computed twice.
 */
#ifndef MHA_FLASH_PV_ROWS_ORDER_H
#define MHA_FLASH_PV_ROWS_ORDER_H

#include <stdint.h>

#include "flash_kernels.h"
#include "mha.h"

/*
 * o[r][d] = alpha[r] * o[r][d] (when rescale) + sum_{j<n} p[r][j] * v[j][d],
 * r < nr (p rows ldp apart, o rows ldo apart), v rows ldv elements apart.
 * A line of pf is requested per key of each tile (pf NULL: none, and no
 * test in the inlined copy).
 */
static inline __attribute__((always_inline)) void pv_rows_with(const float *p, int64_t ldp, int nr, const void *v,
                                                               int64_t ldv, int n, int64_t dh, const float *alpha,
                                                               int rescale, float *o, int64_t ldo, mha_dtype dtype,
                                                               flash_prefetch *pf)
{
    int r = 0;
    for (; r + 4 <= nr; r += 4)
        pv_rows_of(4, p + r * ldp, ldp, v, ldv, n, dh, alpha + r, rescale, o + r * ldo, ldo, dtype, pf);
    if (r + 2 <= nr) {
        pv_rows_of(2, p + r * ldp, ldp, v, ldv, n, dh, alpha + r, rescale, o + r * ldo, ldo, dtype, pf);
        r += 2;
    }
    if (r < nr)
        pv_rows_of(1, p + r * ldp, ldp, v, ldv, n, dh, alpha + r, rescale, o + r * ldo, ldo, dtype, pf);
}

/* pv_rows_with, its copy without a prefetch test where the cursor is empty */
static inline __attribute__((always_inline)) void pv_rows(const float *p, int64_t ldp, int nr, const void *v,
                                                          int64_t ldv, int n, int64_t dh, const float *alpha,
                                                          int rescale, float *o, int64_t ldo, mha_dtype dtype,
                                                          flash_prefetch *pf)
{
    FLASH_WITH_PREFETCH(pv_rows_with, pf, p, ldp, nr, v, ldv, n, dh, alpha, rescale, o, ldo, dtype);
}

#endif
