/*
 * flash_avx512bf16: the flash algorithm on bf16 inputs with AVX512_BF16.
 * Q K^T and P V run VDPBF16PS on bf16 pairs (flash_avx512bf16.h); P is
 * rounded to bf16 before P V (nearest even, VCVTNE2PS2BF16), as GPU
 * FlashAttention kernels do; the row state (m, l, O) stays fp32, and l
 * sums the fp32 P. The softmax, masks, decode splits and the driver are
 * flash_avx512's (its table's softmax, flash_attention.c). The streamed
 * decode (at most MHA_FLASH_STREAM_ROWS rows per kv head, where Q K^T and
 * P V are matrix-vector products bound by reading K and V) widens bf16
 * rows to fp32 in registers with the AVX2 kernels of flash_lowp_avx2.c.
 * Inputs bf16 only; out fp32 or bf16.
 */
#include "flash_avx512bf16.h"
#include "flash_ctx.h"
#include "flash_lowp.h"

FLASH_TMPL_PROTOTYPES(avx512);

/* K[k0 .. k0+n) as strips of 32 keys, [ceil(Dh/2)][32] pairs each. */
static void pack_k(flash_ctx *c, int64_t k0, int64_t n)
{
    const mha_args *a = c->a;
    const int64_t dh = a->shape.head_dim, pairs = (dh + 1) / 2;
    uint32_t *kp = (uint32_t *)(void *)c->k_pack;
    const uint16_t *rows[FLASH_NR];
    for (int64_t j0 = 0; j0 < n; j0 += FLASH_NR) {
        const int nk = n - j0 < FLASH_NR ? (int)(n - j0) : FLASH_NR;
        for (int jj = 0; jj < nk; jj++)
            rows[jj] = flash_lp_row(a->k, a->k_strides, c->b, k0 + j0 + jj, c->g, MHA_BF16);
        bf16_pack_k_strip(rows, nk, dh, kp + j0 * pairs);
    }
}

/* V[k0 .. k0+n) as strips of 32 head dims, [bk_pad/2][32] key pairs each. With check set,
 * returns whether the block holds a NaN or an infinity. */
static int pack_v(flash_ctx *c, int64_t k0, int64_t n, int check)
{
    const mha_args *a = c->a;
    const int64_t dh = a->shape.head_dim, strip = c->p->bk_pad / 2 * FLASH_DR;
    uint32_t *vp = (uint32_t *)(void *)c->v_pack;
    int bad = 0;
    for (int64_t j = 0; j < n; j += 2) {
        const uint16_t *x = flash_lp_row(a->v, a->v_strides, c->b, k0 + j, c->g, MHA_BF16);
        const uint16_t *y = j + 1 < n ? flash_lp_row(a->v, a->v_strides, c->b, k0 + j + 1, c->g, MHA_BF16) : NULL;
        for (int64_t d0 = 0; d0 < c->p->dhp; d0 += FLASH_DR)
            bf16_pack_v_pair(x, y, d0, dh, vp + d0 / FLASH_DR * strip + j / 2 * FLASH_DR);
        if (check)
            bad |= flash_lp_nonfinite(x, dh, MHA_BF16) | (y && flash_lp_nonfinite(y, dh, MHA_BF16));
    }
    return bad;
}

static inline int64_t cols(int64_t n)
{
    return (n + FLASH_NR - 1) / FLASH_NR * FLASH_NR;
}

/* S = scale * Q K^T for the row tile r0 .. r0 + 6 over the block's first n keys (S row r - r0). */
static void scores(flash_ctx *c, int64_t r0, int64_t r1, int64_t n)
{
    (void)r1; /* a whole tile: rows past the block are zero padding */
    const int64_t dh = c->a->shape.head_dim, pairs = (dh + 1) / 2, ld = c->p->bk_pad, nc = cols(n);
    const uint32_t *kp = (const uint32_t *)(const void *)c->k_pack;
    uint32_t qp[FLASH_MR * BF16_QCHUNK];
    for (int64_t t0 = 0; t0 < pairs; t0 += BF16_QCHUNK) {
        const int64_t nt = pairs - t0 < BF16_QCHUNK ? pairs - t0 : BF16_QCHUNK;
        bf16_q_pairs(c->q + r0 * dh, dh, t0, nt, qp);
        for (int64_t j = 0; j < nc; j += FLASH_NR)
            bf16_qk_tile(qp, kp + j * pairs + t0 * FLASH_NR, nt, t0 == 0, t0 + nt == pairs, c->a->scale,
                         c->s + j, ld);
    }
}

/* O = alpha O + P V for the row tile r0 .. r0 + 6 over the block's first n keys; P is rounded to bf16
 * pairs in place in S first. */
static void accumulate(flash_ctx *c, int64_t r0, int64_t r1, int64_t n)
{
    const mha_flash_plan *p = c->p;
    const int64_t strip = p->bk_pad / 2 * FLASH_DR;
    int rescale = 0;
    for (int64_t r = r0; r < r1; r++)
        rescale |= c->alpha[r] != 1.0f;
    for (int r = 0; r < FLASH_MR; r++)
        bf16_p_pairs_in_place(c->s + r * p->bk_pad, cols(n));
    const uint32_t *vp = (const uint32_t *)(const void *)c->v_pack;
    for (int64_t d = 0; d < p->dhp; d += FLASH_DR)
        bf16_pv_tile(c->s, p->bk_pad, vp + d / FLASH_DR * strip, (n + 1) / 2, c->alpha + r0, rescale,
                     c->o + r0 * p->dhp + d, p->dhp);
}

/* P V when V holds NaN or inf and some keys are hidden: hidden keys are skipped (p = 0 must not
 * meet 0 * inf); P rounded to bf16 as in accumulate. */
static void accumulate_guarded(flash_ctx *c, int64_t r0, int64_t r1, int64_t k0, int64_t n)
{
    const mha_args *a = c->a;
    const mha_flash_plan *p = c->p;
    for (int64_t r = r0; r < r1; r++) {
        float *o = flash_rescale_row(c, r);
        const float *s = c->s + (r - r0) * p->bk_pad;
        for (int64_t j = 0; j < n; j++) {
            if (flash_key_hidden(c, r, k0, j))
                continue;
            const float pj = mha_f32_from_bits((uint32_t)mha_bf16m_round(s[j]) << 16);
            flash_lp_axpy(c->kern, o, flash_lp_row(a->v, a->v_strides, c->b, k0 + j, c->g, MHA_BF16),
                          a->shape.head_dim, pj, MHA_BF16);
        }
    }
}

/* Key block [k0, k0 + n) through the current query block (flash_tmpl.c's run_block with these kernels). */
static void run_block(flash_ctx *c, int64_t k0, int64_t n)
{
    const mha_args *a = c->a;
    if (a->mask && !flash_block_visible(c, k0, n))
        return;
    const int hidden = a->mask || k0 + n > c->lim[0];
    pack_k(c, k0, n);
    const int v_bad = pack_v(c, k0, n, hidden);
    for (int64_t r0 = 0; r0 < c->nrows; r0 += FLASH_MR) {
        const int64_t r1 = r0 + FLASH_MR < c->nrows ? r0 + FLASH_MR : c->nrows;
        const int64_t nt = c->lim[r1 - 1] - k0 < n ? c->lim[r1 - 1] - k0 : n;
        if (nt <= 0)
            continue;
        scores(c, r0, r0 + FLASH_MR, nt);
        if (a->mask || k0 + nt > c->lim[r0] || nt % FLASH_NR != 0)
            flash_apply_mask(c, r0, r1, k0, nt);
        flash_softmax_avx512(c, r0, r1, nt);
        if (v_bad)
            accumulate_guarded(c, r0, r1, k0, nt);
        else
            accumulate(c, r0, r1, nt);
    }
}

static const flash_kernels flash_kernels_avx512bf16 = {
    .tile = {FLASH_MR, FLASH_NR, FLASH_DR},
    /* no fp32 tile microkernels: the loops above call the bf16 ones */
    .pack_strip = NULL,
    .qk_tile = NULL,
    .pv_tile = NULL,
    .row_max = flash_row_max,
    .row_exp_sum = flash_row_exp_sum,
    .qk_rows = flash_qk_rows_avx2,
    .pv_rows = flash_pv_rows_avx2,
    .run_block = run_block,
    .pack_k = pack_k,
    .scores = scores,
    .softmax = flash_softmax_avx512,
    .axpy = flash_axpy_avx512,
    .lowp = &flash_lowp_avx2,
};

static size_t workspace(const mha_shape *shape, int threads, int want_probs)
{
    (void)want_probs;
    return mha_flash_workspace(&flash_kernels_avx512bf16, shape, threads);
}

static void attention(const mha_args *args, void *ws)
{
    mha_flash_attention(&flash_kernels_avx512bf16, args, ws);
}

#ifdef MHA_AVX512_EMULATION
#define BF16_ISA "avx512_bf16-simde"
#define BF16_CPU MHA_CPU_AVX512_BUILD
#else
#define BF16_ISA "avx512_bf16"
#define BF16_CPU (MHA_CPU_AVX512_BUILD | MHA_CPU_AVX512BF16)
#endif

const mha_impl mha_impl_flash_avx512bf16 = {
    .abi_version = MHA_ABI_VERSION,
    .name = "flash_avx512bf16",
    .algorithm = "flash",
    .isa = BF16_ISA,
    .summary = "tiled online softmax (FlashAttention-2) on bf16: Q K^T and P V with vdpbf16ps, P rounded to bf16, "
               "fp32 row state",
    .cpu_features = BF16_CPU,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    /* below flash_avx512 and flash_avx2: mha_impl_best() must name an implementation that runs fp32 */
    .priority = 85,
    .workspace = workspace,
    .attention = attention,
    .matmul = NULL,
    .dtypes = MHA_IO_BF16_F32 | MHA_IO_BF16,
};
