/*
 * The streamed-decode kernels in portable C (flash_kernels.h:
 * flash_qk_rows_fn, flash_pv_rows_fn), used by the tables of flash_c and
 * flash_neon. Compiled once for the baseline ISA.
 */
#include "flash_kernels.h"

/* 8 partial sums per dot product (vectorizable), added pairwise at the end */
void flash_qk_rows_c(const float *q, int64_t ldq, int nr, const float *k, int64_t ldk, int nk, int64_t dh, float scale,
                     float *s, int64_t lds, flash_prefetch *pf)
{
    for (int r = 0; r < nr; r++)
        for (int j = 0; j < nk; j++) {
            flash_prefetch_line(pf);
            const float *qr = q + r * ldq, *kj = k + j * ldk;
            float acc[8] = {0};
            int64_t d = 0;
            for (; d + 8 <= dh; d += 8)
                for (int x = 0; x < 8; x++)
                    acc[x] += qr[d + x] * kj[d + x];
            for (; d < dh; d++)
                acc[d % 8] += qr[d] * kj[d];
            s[r * lds + j] = scale * (((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])));
        }
}

/* o columns past dh are untouched */
void flash_pv_rows_c(const float *p, int64_t ldp, int nr, const float *v, int64_t ldv, int n, int64_t dh,
                     const float *alpha, int rescale, float *o, int64_t ldo, flash_prefetch *pf)
{
    for (int r = 0; r < nr; r++) {
        float *or_ = o + r * ldo;
        if (rescale)
            for (int64_t d = 0; d < dh; d++)
                or_[d] *= alpha[r];
        for (int j = 0; j < n; j++) {
            flash_prefetch_line(pf);
            const float pj = p[r * ldp + j], *vj = v + j * ldv;
            for (int64_t d = 0; d < dh; d++)
                or_[d] += pj * vj[d];
        }
    }
}
