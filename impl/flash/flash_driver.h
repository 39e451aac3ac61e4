/*
 * The flash driver: tiling, masking, online softmax bookkeeping, decode
 * splits and threads, shared by every flash variant. A variant's .c file
 * defines its register tile and five kernels, then includes this file:
 *
 *   FLASH_MR, FLASH_NR, FLASH_DR   the register tile (rows, keys, head dims)
 *   FLASH_NAME                      the descriptor suffix (flash_c, flash_avx2, ...)
 *   flash_pack_strip() k[d][0..NR) = K[key j][d] for NR keys (a transpose)
 *   flash_qk_tile()   s[r][0..NR) = scale * sum_d q[r][d] * k[d][0..NR),  r < MR
 *   flash_pv_tile()   o[r][0..DR) = alpha[r] * o[r][0..DR) + sum_j p[r][j] * v[j][0..DR)
 *   flash_row_max()   max_j s[j] over a row of a multiple of NR scores
 *   flash_row_exp_sum() s[j] = exp(s[j] - m) in place, returns sum_j s[j]
 * and optionally (FLASH_STREAM_KERNELS defined; portable C below otherwise)
 * the two matrix-vector kernels of the streamed decode, on K and V rows in place:
 *   flash_qk_rows()   s[r][j] = scale * sum_d q[r][d] * K[j][d],  r < nr, j < nk
 *   flash_pv_rows()   o[r][d] = alpha[r] * o[r][d] + sum_j p[r][j] * V[j][d],  d < Dh
 *
 * The algorithm is FlashAttention-2 (Dao 2023, "FlashAttention-2: Faster
 * Attention with Better Parallelism and Work Partitioning", Algorithm 1,
 * forward pass). For a block of query rows and key blocks K_1, K_2, ...:
 *
 *   S_t   = scale * Q K_t^T (+ M_t)                 scores of block t
 *   m_t   = max(m_{t-1}, rowmax(S_t))               running max, m_0 = -inf
 *   P_t   = exp(S_t - m_t)                           unnormalised probabilities
 *   a_t   = exp(m_{t-1} - m_t)                       1 unless the max grew
 *   l_t   = a_t l_{t-1} + rowsum(P_t)                running sum, l_0 = 0
 *   O_t   = a_t O_{t-1} + P_t V_t                    unnormalised output
 *   O     = O_T / l_T                                one division at the end
 *
 * exp and the row sum are one pass (flash_row_exp_sum); the rescale by
 * a_t is fused into loading the output tile in flash_pv_tile and skipped
 * when every a_t of the tile is 1. Masked keys (causal, -inf mask entries,
 * the padding of the last block) get S = -inf, so P = 0. A row with no
 * visible key keeps m = -inf, l = 0 and gives O = 0; a NaN score makes
 * m, l and O NaN. Blocks wholly above the causal diagonal and blocks whose
 * mask is all -inf are skipped (their K and V are never read).
 *
 * Decode (FlashDecoding): the keys are cut into splits (flash_plan.c);
 * split s yields (m_s, l_s, O_s) and the splits are merged in index order:
 *   m = max_s m_s,  w_s = exp(m_s - m),  l = sum_s w_s l_s,
 *   O = (sum_s w_s O_s) / l.
 * Every query block and split is computed by one thread in a fixed order,
 * and the split boundaries depend only on the shape, so the result is the
 * same for every thread count. A split walks its keys block by block and
 * every kv head through each block, so it reads one contiguous range of
 * token rows (all kv heads of a token are adjacent in the seed layout).
 * With few rows per kv head (Sq = 1: Q K^T and P V are matrix-vector
 * products) the decode is streamed: the kernels read K and V rows in place,
 * token row by token row (stream_block).
 *
 * Probabilities, when asked for, take a second pass over K with the final
 * m and l: P = exp(S - m) / l. It recomputes Q K^T, so it is slower.
 */
#include "../core/internal.h"
#include "../core/parallel.h"
#include "flash.h"

#include <string.h>

#define FLASH_CAT2(a, b) a##b
#define FLASH_CAT(a, b) FLASH_CAT2(a, b)
#define FLASH_FN(x) FLASH_CAT(FLASH_NAME, _##x)

static const mha_flash_tile FLASH_FN(tile) = {FLASH_MR, FLASH_NR, FLASH_DR};

#ifndef FLASH_STREAM_KERNELS
/* s[r][j] = scale * sum_d q[r][d] * k[j][d],  r < nr (q rows ldq apart),
 * j < nk (k rows ldk apart); 8 partial sums per dot product (vectorizable) */
static inline void flash_qk_rows(const float *q, int64_t ldq, int nr, const float *k, int64_t ldk,
                                 int nk, int64_t dh, float scale, float *s, int64_t lds)
{
    for (int r = 0; r < nr; r++)
        for (int j = 0; j < nk; j++) {
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

/* o[r][d] = alpha[r] * o[r][d] (when rescale) + sum_{j<n} p[r][j] * v[j][d],
 * r < nr, d < dh (v rows ldv apart; o columns past dh untouched) */
static inline void flash_pv_rows(const float *p, int64_t ldp, int nr, const float *v, int64_t ldv, int n,
                                 int64_t dh, const float *alpha, int rescale, float *o, int64_t ldo)
{
    for (int r = 0; r < nr; r++) {
        float *or_ = o + r * ldo;
        if (rescale)
            for (int64_t d = 0; d < dh; d++)
                or_[d] *= alpha[r];
        for (int j = 0; j < n; j++) {
            const float pj = p[r * ldp + j], *vj = v + j * ldv;
            for (int64_t d = 0; d < dh; d++)
                or_[d] += pj * vj[d];
        }
    }
}
#endif

/* One thread's view of the workspace plus the call's constants. */
typedef struct flash_ctx {
    const mha_args *a;
    const mha_flash_plan *p;
    float *q, *k, *v, *s, *o, *m, *l, *alpha;
    int64_t *lim;
    const float **mrow;
    int *flag; /* streamed decode: block flags */
    int64_t b, g, r0, nrows; /* current query block: batch, kv head, first row, row count */
} flash_ctx;

static void FLASH_FN(ctx_init)(flash_ctx *c, const mha_args *a, const mha_flash_plan *p, float *base,
                               int64_t state)
{
    float *st = base + p->scratch_floats + (size_t)state * p->state_floats;
    c->a = a;
    c->p = p;
    c->k = base + p->off_k;
    c->v = base + p->off_v;
    c->s = base + p->off_s + (size_t)state * p->s_stride;
    c->q = st + p->off_q;
    c->o = st + p->off_o;
    c->m = st + p->off_m;
    c->l = st + p->off_l;
    c->alpha = st + p->off_alpha;
    c->lim = (int64_t *)(void *)(st + p->off_lim);
    c->mrow = (const float **)(void *)(st + p->off_mrow);
    c->flag = (int *)(void *)(st + p->off_flag);
}

/* Row r of the current block: query position i and query head h. */
static inline void FLASH_FN(row_ih)(const flash_ctx *c, int64_t r, int64_t *i, int64_t *h)
{
    const int64_t rr = c->r0 + r;
    *i = rr / c->p->group;
    *h = c->g * c->p->group + rr % c->p->group;
}

/* Load query block qb of (b, g): pack Q, causal limit and mask row of each row. */
static void FLASH_FN(load_block)(flash_ctx *c, int64_t b, int64_t g, int64_t qb)
{
    const mha_args *a = c->a;
    const mha_flash_plan *p = c->p;
    const int64_t dh = a->shape.head_dim;
    c->b = b;
    c->g = g;
    c->r0 = qb * p->bq;
    c->nrows = p->rows - c->r0 < p->bq ? p->rows - c->r0 : p->bq;
    for (int64_t r = 0; r < p->bq_pad; r++) {
        if (r < c->nrows) {
            int64_t i, h;
            FLASH_FN(row_ih)(c, r, &i, &h);
            memcpy(c->q + r * dh, mha_row(a->q, a->q_strides, b, i, h), (size_t)dh * sizeof(float));
            c->lim[r] = mha_causal_limit(a, i);
            c->mrow[r] = mha_mask_row(a, b, h, i);
        } else {
            memset(c->q + r * dh, 0, (size_t)dh * sizeof(float));
            c->lim[r] = 0;
            c->mrow[r] = NULL;
        }
    }
}

/* m = -inf, l = 0, alpha = 1, O = 0 for every row. */
static void FLASH_FN(reset_state)(flash_ctx *c)
{
    const mha_flash_plan *p = c->p;
    for (int64_t r = 0; r < p->bq_pad; r++) {
        c->m[r] = -INFINITY;
        c->l[r] = 0.0f;
        c->alpha[r] = 1.0f;
    }
    memset(c->o, 0, (size_t)(p->bq_pad * p->dhp) * sizeof(float));
}

/* Whether any key of [k0, k0 + n) is visible to any row (only called with a mask). */
static int FLASH_FN(block_visible)(const flash_ctx *c, int64_t k0, int64_t n)
{
    for (int64_t r = 0; r < c->nrows; r++) {
        const float *mr = c->mrow[r] + k0;
        int64_t vis = c->lim[r] - k0 < n ? c->lim[r] - k0 : n;
        for (int64_t j = 0; j < vis; j++)
            if (mr[j] != -INFINITY)
                return 1;
    }
    return 0;
}

/*
 * Prefetch one K or V row (Dh floats). Packing reads rows that are
 * H*Dh*4 bytes apart; with a power-of-two stride such as 4 KiB they all
 * fall in the same few cache sets and pages, so neither a whole block
 * ahead (it would evict itself) nor the hardware prefetchers (they stop at
 * page boundaries) help: the packing loops ask for the rows one strip
 * ahead instead.
 */
static inline void FLASH_FN(prefetch_row)(const float *row, int64_t dh)
{
#if defined(__GNUC__)
    for (int64_t x = 0; x < dh; x += 16)
        __builtin_prefetch(row + x, 0, 3);
#else
    (void)row;
    (void)dh;
#endif
}

/* Pack K[k0 .. k0+n) as [n/NR strips][Dh][NR] (keys past n zero), one
 * strip at a time by the variant's flash_pack_strip (a transpose). */
static void FLASH_FN(pack_k)(flash_ctx *c, int64_t k0, int64_t n)
{
    const mha_args *a = c->a;
    const int64_t dh = a->shape.head_dim;
    const float *rows[FLASH_NR];
    for (int64_t j0 = 0; j0 < n; j0 += FLASH_NR) {
        const int nk = n - j0 < FLASH_NR ? (int)(n - j0) : FLASH_NR;
        for (int jj = 0; jj < nk; jj++)
            rows[jj] = mha_row(a->k, a->k_strides, c->b, k0 + j0 + jj, c->g);
        for (int64_t j = j0 + FLASH_NR; j < j0 + 2 * FLASH_NR && j < n; j++)
            FLASH_FN(prefetch_row)(mha_row(a->k, a->k_strides, c->b, k0 + j, c->g), dh);
        flash_pack_strip(rows, nk, dh, c->k + j0 * dh);
    }
}

/* Pack V[k0 .. k0+n) as [dhp/DR strips][n][DR], head dims past Dh zero.
 * With check set, returns whether the block holds a NaN or an infinity. */
static int FLASH_FN(pack_v)(flash_ctx *c, int64_t k0, int64_t n, int check)
{
    const mha_args *a = c->a;
    const int64_t dh = a->shape.head_dim, ld = c->p->bk_pad;
    int bad = 0;
    for (int64_t j = 0; j < n; j++) {
        const float *src = mha_row(a->v, a->v_strides, c->b, k0 + j, c->g);
        if (j + 8 < n)
            FLASH_FN(prefetch_row)(mha_row(a->v, a->v_strides, c->b, k0 + j + 8, c->g), dh);
        int64_t d0 = 0;
        for (; d0 + FLASH_DR <= dh; d0 += FLASH_DR)
            memcpy(c->v + (d0 / FLASH_DR * ld + j) * FLASH_DR, src + d0, FLASH_DR * sizeof(float));
        if (d0 < dh) {
            float *dst = c->v + (d0 / FLASH_DR * ld + j) * FLASH_DR;
            for (int64_t dd = 0; dd < FLASH_DR; dd++)
                dst[dd] = d0 + dd < dh ? src[d0 + dd] : 0.0f;
        }
        if (check)
            for (int64_t d = 0; d < dh; d++)
                bad |= !(src[d] - src[d] == 0.0f); /* NaN or +-inf */
    }
    return bad;
}

/* Keys of the block rounded up to the Q K^T tile width. */
static inline int64_t FLASH_FN(cols)(int64_t n)
{
    return (n + FLASH_NR - 1) / FLASH_NR * FLASH_NR;
}

/* S = scale * Q K^T for rows r0 .. r1 (one row tile; row r is S row
 * r - r0) over the block's first n keys, one MR x NR register tile at a
 * time (r0 a multiple of MR; rows past r1 are padding). */
static void FLASH_FN(scores)(flash_ctx *c, int64_t r0, int64_t r1, int64_t n)
{
    const int64_t dh = c->a->shape.head_dim, ld = c->p->bk_pad, cols = FLASH_FN(cols)(n);
    for (int64_t r = r0; r < r1; r += FLASH_MR)
        for (int64_t j = 0; j < cols; j += FLASH_NR)
            flash_qk_tile(c->q + r * dh, dh, c->k + j * dh, c->a->scale, c->s + (r - r0) * ld + j, ld);
}

/* S[r][j] = -inf for hidden keys (causal, -inf mask, padding up to the
 * tile width), else S + M;  rows r0 .. r1, keys 0 .. n of block k0. */
static void FLASH_FN(apply_mask)(flash_ctx *c, int64_t r0, int64_t r1, int64_t k0, int64_t n)
{
    const int64_t ld = c->p->bk_pad, cols = FLASH_FN(cols)(n);
    for (int64_t r = r0; r < r1; r++) {
        float *s = c->s + (r - r0) * ld;
        const float *mr = c->mrow[r] ? c->mrow[r] + k0 : NULL;
        int64_t vis = c->lim[r] - k0 < n ? c->lim[r] - k0 : n;
        if (vis < 0)
            vis = 0;
        if (mr) {
            for (int64_t j = 0; j < vis; j++)
                s[j] = mr[j] == -INFINITY ? -INFINITY : s[j] + mr[j];
        }
        for (int64_t j = vis; j < cols; j++)
            s[j] = -INFINITY;
    }
}

/* m_new from m_old and the block's row max; NaN in either stays NaN. */
static inline float FLASH_FN(max_nan)(float m_old, float mb)
{
    if (isnan(m_old) || isnan(mb))
        return NAN;
    return m_old > mb ? m_old : mb;
}

/* Online softmax of rows r0 .. r1 over n keys: m, l, alpha updated, S replaced by P. */
static void FLASH_FN(softmax)(flash_ctx *c, int64_t r0, int64_t r1, int64_t n)
{
    const int64_t ld = c->p->bk_pad, cols = FLASH_FN(cols)(n);
    for (int64_t r = r0; r < r1; r++) {
        float *s = c->s + (r - r0) * ld;
        const float m_old = c->m[r];
        /* m_new = max(m_old, rowmax(s)) */
        float m_new = FLASH_FN(max_nan)(m_old, flash_row_max(s, cols));
        if (m_new == -INFINITY) {
            /* nothing visible yet, unless a NaN score hid from the max
             * (a flag, not m_new itself: gcc 12 -O3 for aarch64 kept
             * m_new == -inf after the loop set it to NaN) */
            int has_nan = 0;
            for (int64_t j = 0; j < cols; j++)
                has_nan |= isnan(s[j]) != 0;
            if (!has_nan) {
                memset(s, 0, (size_t)cols * sizeof *s);
                c->alpha[r] = 1.0f;
                continue;
            }
            m_new = NAN;
        }
        /* alpha = exp(m_old - m_new), exactly 1 when the max did not grow */
        const float alpha = m_new == m_old ? 1.0f : expf(m_old - m_new);
        /* p = exp(s - m_new);  l = alpha * l + rowsum(p) */
        c->l[r] = alpha * c->l[r] + flash_row_exp_sum(s, cols, m_new);
        c->m[r] = m_new;
        c->alpha[r] = alpha;
    }
}

/* O[r0 .. r0+MR) = alpha O + P V over the block's first n keys, one MR x DR
 * register tile at a time; the rescale is skipped when every alpha is 1. */
static void FLASH_FN(accumulate)(flash_ctx *c, int64_t r0, int64_t r1, int64_t n)
{
    const mha_flash_plan *p = c->p;
    int rescale = 0;
    for (int64_t r = r0; r < r1; r++)
        rescale |= c->alpha[r] != 1.0f;
    for (int64_t d = 0; d < p->dhp; d += FLASH_DR)
        flash_pv_tile(c->s, p->bk_pad, c->v + d * p->bk_pad, n,
                      c->alpha + r0, rescale, c->o + r0 * p->dhp + d, p->dhp);
}

/* P V when V holds NaN or inf and some keys are hidden: hidden keys are
 * skipped (p = 0 must not meet 0 * inf), so they stay never-read. */
static void FLASH_FN(accumulate_guarded)(flash_ctx *c, int64_t r0, int64_t r1, int64_t k0, int64_t n)
{
    const mha_flash_plan *p = c->p;
    for (int64_t r = r0; r < r1; r++) {
        float *o = c->o + r * p->dhp;
        const float *s = c->s + (r - r0) * p->bk_pad, *mr = c->mrow[r] ? c->mrow[r] + k0 : NULL;
        for (int64_t d = 0; d < p->dhp; d++)
            o[d] *= c->alpha[r];
        for (int64_t j = 0; j < n; j++) {
            if (k0 + j >= c->lim[r] || (mr && mr[j] == -INFINITY))
                continue;
            for (int64_t d = 0; d < p->dhp; d++)
                o[d] += s[j] * c->v[(d / FLASH_DR * p->bk_pad + j) * FLASH_DR + d % FLASH_DR];
        }
    }
}

/* Last key the block's rows can see: keys >= it are never visible. */
static int64_t FLASH_FN(key_end)(const flash_ctx *c, int64_t ke)
{
    int64_t lim = c->lim[c->nrows - 1]; /* rows are i-major: the last row sees most */
    return lim < ke ? lim : ke;
}

/* Key block [k0, k0 + n) through the current query block: K and V are
 * packed once; then each tile of MR rows runs Q K^T, mask, softmax and
 * P V while its scores are still in L1, over the keys its rows can see
 * (tiles wholly above the causal diagonal do nothing). */
static void FLASH_FN(run_block)(flash_ctx *c, int64_t k0, int64_t n)
{
    const mha_args *a = c->a;
    if (a->mask && !FLASH_FN(block_visible)(c, k0, n))
        return; /* every entry -inf: skip */
    const int hidden = a->mask || k0 + n > c->lim[0]; /* some key hidden from some row */
    FLASH_FN(pack_k)(c, k0, n);
    const int v_bad = FLASH_FN(pack_v)(c, k0, n, hidden);
    for (int64_t r0 = 0; r0 < c->nrows; r0 += FLASH_MR) {
        const int64_t r1 = r0 + FLASH_MR < c->nrows ? r0 + FLASH_MR : c->nrows;
        /* keys this tile sees: nt = min(n, lim(last row) - k0) */
        const int64_t nt = c->lim[r1 - 1] - k0 < n ? c->lim[r1 - 1] - k0 : n;
        if (nt <= 0)
            continue;
        FLASH_FN(scores)(c, r0, r0 + FLASH_MR, nt);
        if (a->mask || k0 + nt > c->lim[r0] || nt % FLASH_NR != 0)
            FLASH_FN(apply_mask)(c, r0, r1, k0, nt);
        FLASH_FN(softmax)(c, r0, r1, nt);
        if (v_bad)
            FLASH_FN(accumulate_guarded)(c, r0, r1, k0, nt);
        else
            FLASH_FN(accumulate)(c, r0, r1, nt);
    }
}

/* Point c at query block qb of (b, g) without loading it (state already loaded). */
static void FLASH_FN(bind)(flash_ctx *c, int64_t b, int64_t g, int64_t qb)
{
    c->b = b;
    c->g = g;
    c->r0 = qb * c->p->bq;
    c->nrows = c->p->rows - c->r0 < c->p->bq ? c->p->rows - c->r0 : c->p->bq;
}

/* Token rows per kernel call of the streamed decode. */
#define FLASH_STREAM_STEP 8

/* Block flags of a kv head in the streamed decode (int slots of the state). */
enum { FLASH_SKIP, FLASH_GUARDED, FLASH_RESCALE };

/*
 * Streamed decode of key block [k0, k0 + n) for every kv head of batch b
 * (state g holds kv head g), K and V rows read in place by the
 * matrix-vector kernels. Token-major: each step of FLASH_STREAM_STEP
 * token rows is used by every kv head before the next step, so K and then
 * V are read in address order, a few pages at a time: the hardware
 * prefetchers follow, the TLB holds the pages (a token's K row is 4 KiB
 * at Hkv = 8, Dh = 128), and software prefetch only slowed it down
 * (measured: 80% of the 1-thread read loop without, 67% with).
 *   1. S_g = scale * Q_g K_g^T         step by step, every head
 *   2. mask, online softmax of S_g      head by head
 *   3. O_g = alpha_g O_g + P_g V_g      step by step, every head
 */
static void FLASH_FN(stream_block)(const mha_args *a, const mha_flash_plan *p, float *base, int64_t b,
                                   int64_t k0, int64_t n)
{
    const int64_t hkv = a->shape.kv_heads, dh = a->shape.head_dim, ld = p->bk_pad;
    const int64_t ldk = a->k_strides.seq, ldv = a->v_strides.seq;
    flash_ctx c;
    FLASH_FN(ctx_init)(&c, a, p, base, 0);
    FLASH_FN(bind)(&c, b, 0, 0);
    const int nr = (int)c.nrows;
    /* keys any row sees, the same for every head: nt = min(n, lim(last row) - k0) */
    const int64_t nt = c.lim[nr - 1] - k0 < n ? c.lim[nr - 1] - k0 : n;
    if (nt <= 0)
        return;
    const int hidden = a->mask || k0 + nt > c.lim[0]; /* some key hidden from some row */
    for (int64_t g = 0; g < hkv; g++) {
        FLASH_FN(ctx_init)(&c, a, p, base, g);
        FLASH_FN(bind)(&c, b, g, 0);
        c.flag[FLASH_SKIP] = a->mask && !FLASH_FN(block_visible)(&c, k0, n); /* every entry -inf */
    }
    /* 1. S = scale * Q K^T */
    for (int64_t j = 0; j < nt; j += FLASH_STREAM_STEP) {
        const int nk = nt - j < FLASH_STREAM_STEP ? (int)(nt - j) : FLASH_STREAM_STEP;
        for (int64_t g = 0; g < hkv; g++) {
            FLASH_FN(ctx_init)(&c, a, p, base, g);
            if (!c.flag[FLASH_SKIP])
                flash_qk_rows(c.q, dh, nr, mha_row(a->k, a->k_strides, b, k0 + j, g), ldk, nk, dh, a->scale,
                              c.s + j, ld);
        }
    }
    /* 2. mask, softmax; with hidden keys and a NaN or inf in V, P V skips hidden keys (guarded) */
    for (int64_t g = 0; g < hkv; g++) {
        FLASH_FN(ctx_init)(&c, a, p, base, g);
        FLASH_FN(bind)(&c, b, g, 0);
        if (c.flag[FLASH_SKIP])
            continue;
        if (hidden || nt % FLASH_NR != 0)
            FLASH_FN(apply_mask)(&c, 0, nr, k0, nt);
        FLASH_FN(softmax)(&c, 0, nr, nt);
        int rescale = 0, v_bad = 0;
        for (int r = 0; r < nr; r++)
            rescale |= c.alpha[r] != 1.0f;
        if (hidden) {
            const float *v = mha_row(a->v, a->v_strides, b, k0, g);
            for (int64_t j = 0; j < nt; j++)
                for (int64_t d = 0; d < dh; d++)
                    v_bad |= !(v[j * ldv + d] - v[j * ldv + d] == 0.0f); /* NaN or +-inf */
        }
        c.flag[FLASH_RESCALE] = rescale;
        c.flag[FLASH_GUARDED] = v_bad;
        if (!v_bad)
            continue;
        const float *v = mha_row(a->v, a->v_strides, b, k0, g);
        for (int r = 0; r < nr; r++) {
            float *o = c.o + r * p->dhp;
            const float *sr = c.s + r * ld, *mr = c.mrow[r] ? c.mrow[r] + k0 : NULL;
            for (int64_t d = 0; d < dh; d++)
                o[d] *= c.alpha[r];
            for (int64_t j = 0; j < nt; j++) {
                if (k0 + j >= c.lim[r] || (mr && mr[j] == -INFINITY))
                    continue;
                for (int64_t d = 0; d < dh; d++)
                    o[d] += sr[j] * v[j * ldv + d];
            }
        }
    }
    /* 3. O = alpha O + P V (alpha applied with the first step) */
    for (int64_t j = 0; j < nt; j += FLASH_STREAM_STEP) {
        const int nk = nt - j < FLASH_STREAM_STEP ? (int)(nt - j) : FLASH_STREAM_STEP;
        for (int64_t g = 0; g < hkv; g++) {
            FLASH_FN(ctx_init)(&c, a, p, base, g);
            if (c.flag[FLASH_SKIP] || c.flag[FLASH_GUARDED])
                continue;
            flash_pv_rows(c.s + j, ld, nr, mha_row(a->v, a->v_strides, b, k0 + j, g), ldv, nk, dh, c.alpha,
                          c.flag[FLASH_RESCALE] && j == 0, c.o, p->dhp);
        }
    }
}

/* Stream key blocks [ks, ke) through the current query block. */
static void FLASH_FN(run_keys)(flash_ctx *c, int64_t ks, int64_t ke)
{
    const int64_t bk = c->p->bk, kend = FLASH_FN(key_end)(c, ke);
    for (int64_t k0 = ks; k0 < kend; k0 += bk)
        FLASH_FN(run_block)(c, k0, kend - k0 < bk ? kend - k0 : bk);
}

/* out = O / l for the block's rows (zeros for rows that saw no key). */
static void FLASH_FN(store)(flash_ctx *c, const float *o, int64_t ldo, const float *m, const float *l)
{
    const mha_args *a = c->a;
    const int64_t dh = a->shape.head_dim;
    for (int64_t r = 0; r < c->nrows; r++) {
        int64_t i, h;
        FLASH_FN(row_ih)(c, r, &i, &h);
        float *dst = mha_row_mut(a->out, a->out_strides, c->b, i, h);
        if (m[r] == -INFINITY) {
            memset(dst, 0, (size_t)dh * sizeof *dst);
            continue;
        }
        const float inv_l = 1.0f / l[r];
        for (int64_t d = 0; d < dh; d++)
            dst[d] = o[r * ldo + d] * inv_l;
    }
}

/* Second pass: P[b,h,i,:] = exp(S - m) / l with the final m and l. */
static void FLASH_FN(write_probs)(flash_ctx *c, const float *m, const float *l)
{
    const mha_args *a = c->a;
    const mha_shape *sh = &a->shape;
    const int64_t skv = sh->kv_len, bk = c->p->bk, ld = c->p->bk_pad;
    for (int64_t r = 0; r < c->nrows; r++) {
        int64_t i, h;
        FLASH_FN(row_ih)(c, r, &i, &h);
        /* zeros for keys never visited; a NaN row (NaN l) is NaN everywhere, as p = e / l */
        float *dst = a->probs + ((c->b * sh->heads + h) * sh->q_len + i) * skv;
        const float fill = isnan(l[r]) ? NAN : 0.0f;
        for (int64_t j = 0; j < skv; j++)
            dst[j] = fill;
    }
    const int64_t kend = FLASH_FN(key_end)(c, skv);
    for (int64_t k0 = 0; k0 < kend; k0 += bk) {
        const int64_t n = kend - k0 < bk ? kend - k0 : bk;
        if (a->mask && !FLASH_FN(block_visible)(c, k0, n))
            continue;
        /* streamed decode: every row in one tile, K read in place */
        const int64_t rt = c->p->stream ? c->nrows : FLASH_MR;
        if (!c->p->stream)
            FLASH_FN(pack_k)(c, k0, n);
        for (int64_t r0 = 0; r0 < c->nrows; r0 += rt) {
            const int64_t r1 = r0 + rt < c->nrows ? r0 + rt : c->nrows;
            if (c->p->stream)
                flash_qk_rows(c->q, a->shape.head_dim, (int)c->nrows, mha_row(a->k, a->k_strides, c->b, k0, c->g),
                              a->k_strides.seq, (int)n, a->shape.head_dim, a->scale, c->s, ld);
            else
                FLASH_FN(scores)(c, r0, r0 + FLASH_MR, n);
            FLASH_FN(apply_mask)(c, r0, r1, k0, n);
            for (int64_t r = r0; r < r1; r++) {
                if (m[r] == -INFINITY)
                    continue;
                int64_t i, h;
                FLASH_FN(row_ih)(c, r, &i, &h);
                float *s = c->s + (r - r0) * ld;
                float *dst = a->probs + ((c->b * sh->heads + h) * sh->q_len + i) * skv + k0;
                /* p = exp(s - m) / l */
                flash_row_exp_sum(s, FLASH_FN(cols)(n), m[r]);
                const float inv_l = 1.0f / l[r];
                for (int64_t j = 0; j < n; j++)
                    dst[j] = s[j] * inv_l;
            }
        }
    }
}

/* Threads with a workspace slot: at most the items of the call's largest loop. */
static int FLASH_FN(slot_threads)(const mha_shape *s, const mha_flash_plan *p, int threads)
{
    if (p->nsplit == 1)
        return mha_threads_for(threads, s->batch * s->kv_heads * p->qblocks);
    return mha_threads_for(threads, p->nsplit > s->kv_heads ? p->nsplit : s->kv_heads);
}

static MHA_WORKSPACE_FN(FLASH_FN(workspace))
{
    (void)want_probs;
    mha_flash_plan p;
    mha_flash_plan_make(shape, &FLASH_FN(tile), &p);
    /* + 64: room to align a caller's buffer */
    return mha_flash_workspace_bytes(&p, FLASH_FN(slot_threads)(shape, &p, threads)) + 64;
}

/* The workspace rounded up to 64 bytes (callers' buffers may be unaligned). */
static float *FLASH_FN(aligned)(void *workspace)
{
    return (float *)(((uintptr_t)workspace + 63) & ~(uintptr_t)63);
}

/* Merge the splits of one query block (index order) and store it. */
static void FLASH_FN(merge)(flash_ctx *c, const float *slots)
{
    const mha_flash_plan *p = c->p;
    const size_t slot = (size_t)(p->slot_rows * (p->dhp + 2));
    for (int64_t r = 0; r < c->nrows; r++) {
        float m = -INFINITY;
        for (int64_t sp = 0; sp < p->nsplit; sp++)
            m = FLASH_FN(max_nan)(m, slots[sp * slot + p->slot_rows * p->dhp + r]);
        float l = 0.0f, *o = c->o + r * p->dhp;
        memset(o, 0, (size_t)p->dhp * sizeof *o);
        if (m != -INFINITY) {
            for (int64_t sp = 0; sp < p->nsplit; sp++) {
                const float *so = slots + sp * slot;
                const float ms = so[p->slot_rows * p->dhp + r];
                const float ls = so[p->slot_rows * p->dhp + p->slot_rows + r];
                if (ms == -INFINITY)
                    continue; /* this split saw no key of row r */
                /* w_s = exp(m_s - m);  l += w_s l_s;  O += w_s O_s */
                const float w = expf(ms - m);
                l += w * ls;
                for (int64_t d = 0; d < p->dhp; d++)
                    o[d] += w * so[r * p->dhp + d];
            }
        }
        c->m[r] = m;
        c->l[r] = l;
    }
    FLASH_FN(store)(c, c->o, p->dhp, c->m, c->l);
}

/*
 * Decode task: keys [ks, ke) of batch b for every kv head. The kv heads
 * take turns block by block (one state each), so the K and V rows of one
 * token, adjacent in the (B, S, Hkv, Dh) layout, are read together.
 * Each head's (O, m, l) goes to its partial slot.
 */
static void FLASH_FN(decode_task)(const mha_args *a, const mha_flash_plan *p, float *base,
                                  int64_t b, int64_t sp, float *partials)
{
    const int64_t hkv = a->shape.kv_heads, bk = p->bk;
    const size_t slot = (size_t)(p->slot_rows * (p->dhp + 2));
    const int64_t ks = sp * p->split_len;
    const int64_t ke = ks + p->split_len < a->shape.kv_len ? ks + p->split_len : a->shape.kv_len;
    flash_ctx c;
    memset(&c, 0, sizeof c); /* hkv >= 1 (validated), but the compiler cannot know */
    for (int64_t g = 0; g < hkv; g++) {
        FLASH_FN(ctx_init)(&c, a, p, base, g);
        FLASH_FN(load_block)(&c, b, g, 0);
        FLASH_FN(reset_state)(&c);
    }
    const int64_t kend = FLASH_FN(key_end)(&c, ke); /* the same for every head */
    for (int64_t k0 = ks; k0 < kend; k0 += bk) {
        const int64_t n = kend - k0 < bk ? kend - k0 : bk;
        if (p->stream) {
            FLASH_FN(stream_block)(a, p, base, b, k0, n);
            continue;
        }
        for (int64_t g = 0; g < hkv; g++) {
            FLASH_FN(ctx_init)(&c, a, p, base, g);
            FLASH_FN(bind)(&c, b, g, 0);
            FLASH_FN(run_block)(&c, k0, n);
        }
    }
    for (int64_t g = 0; g < hkv; g++) {
        FLASH_FN(ctx_init)(&c, a, p, base, g);
        FLASH_FN(bind)(&c, b, g, 0);
        float *dst = partials + (size_t)(g * MHA_FLASH_MAX_SPLITS + sp) * slot;
        memcpy(dst, c.o, (size_t)(c.nrows * p->dhp) * sizeof(float));
        memcpy(dst + p->slot_rows * p->dhp, c.m, (size_t)c.nrows * sizeof(float));
        memcpy(dst + p->slot_rows * p->dhp + p->slot_rows, c.l, (size_t)c.nrows * sizeof(float));
    }
}

/* What the tasks of one call share. */
typedef struct FLASH_FN(call) {
    const mha_args *a;
    const mha_flash_plan *p;
    float *ws;       /* thread_floats per worker */
    float *partials; /* decode: (O, m, l) per kv head and split */
    int64_t b;       /* decode: the batch being computed */
} FLASH_FN(call);

/* Query-block tasks; the last blocks (most keys under causal) first. */
static void FLASH_FN(block_tasks)(void *ctx, int64_t begin, int64_t end, int worker)
{
    const FLASH_FN(call) *x = ctx;
    const mha_args *a = x->a;
    const mha_flash_plan *p = x->p;
    for (int64_t it = begin; it < end; it++) {
        flash_ctx c;
        FLASH_FN(ctx_init)(&c, a, p, x->ws + (size_t)worker * p->thread_floats, 0);
        const int64_t qb = p->qblocks - 1 - it % p->qblocks, bg = it / p->qblocks;
        FLASH_FN(load_block)(&c, bg / a->shape.kv_heads, bg % a->shape.kv_heads, qb);
        FLASH_FN(reset_state)(&c);
        FLASH_FN(run_keys)(&c, 0, a->shape.kv_len);
        FLASH_FN(store)(&c, c.o, p->dhp, c.m, c.l);
        if (a->probs)
            FLASH_FN(write_probs)(&c, c.m, c.l);
    }
}

/* Decode: key splits [begin, end) of batch x->b. */
static void FLASH_FN(split_tasks)(void *ctx, int64_t begin, int64_t end, int worker)
{
    const FLASH_FN(call) *x = ctx;
    for (int64_t sp = begin; sp < end; sp++)
        FLASH_FN(decode_task)(x->a, x->p, x->ws + (size_t)worker * x->p->thread_floats, x->b, sp, x->partials);
}

/* Decode: merge the splits of kv heads [begin, end) of batch x->b. */
static void FLASH_FN(merge_tasks)(void *ctx, int64_t begin, int64_t end, int worker)
{
    const FLASH_FN(call) *x = ctx;
    const mha_flash_plan *p = x->p;
    const size_t slot = (size_t)(p->slot_rows * (p->dhp + 2));
    for (int64_t g = begin; g < end; g++) {
        flash_ctx c;
        FLASH_FN(ctx_init)(&c, x->a, p, x->ws + (size_t)worker * p->thread_floats, 0);
        FLASH_FN(load_block)(&c, x->b, g, 0);
        FLASH_FN(merge)(&c, x->partials + (size_t)(g * MHA_FLASH_MAX_SPLITS) * slot);
        if (x->a->probs)
            FLASH_FN(write_probs)(&c, c.m, c.l);
    }
}

static MHA_ATTENTION_FN(FLASH_FN(attention))
{
    const mha_args *a = args;
    mha_flash_plan p;
    mha_flash_plan_make(&a->shape, &FLASH_FN(tile), &p);
    const int threads = FLASH_FN(slot_threads)(&a->shape, &p, a->threads);
    FLASH_FN(call) x = {a, &p, FLASH_FN(aligned)(workspace), NULL, 0};

    if (p.nsplit == 1) {
        mha_parallel_for(threads, a->shape.batch * a->shape.kv_heads * p.qblocks, 1, FLASH_FN(block_tasks), &x);
        return;
    }

    /* Decode, one batch at a time: a task per split, then a merge per kv head. */
    x.partials = x.ws + (size_t)threads * p.thread_floats;
    for (x.b = 0; x.b < a->shape.batch; x.b++) {
        mha_parallel_for(threads, p.nsplit, 1, FLASH_FN(split_tasks), &x);
        mha_parallel_for(threads, a->shape.kv_heads, 1, FLASH_FN(merge_tasks), &x);
    }
}
