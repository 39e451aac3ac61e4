/*
 * SGEMM body, included once per instruction set by sgemm_<isa>.c, which
 * first defines SGEMM_ISA (a bare token: c, avx2). Plain C: the compiler
 * turns the micro-kernel's fixed-size loops into vector code for whatever
 * flags the including file is compiled with.
 *
 * Blocking, in the loop order of Goto's algorithm (K. Goto and R. van de
 * Geijn, "Anatomy of High-Performance Matrix Multiplication", ACM TOMS
 * 34(3), 2008) as restructured by BLIS (F. Van Zee and R. van de Geijn,
 * "BLIS: A Framework for Rapidly Instantiating BLAS Functionality", ACM
 * TOMS 41(3), 2015):
 *
 *   for jc in steps of NC over the n columns of C         (B block: L3)
 *     for pc in steps of KC over the k dimension
 *       pack B[pc:pc+KC, jc:jc+NC] into strips of NR columns
 *       for ic in steps of MC over the m rows of C        (A block: L2)
 *         pack A[ic:ic+MC, pc:pc+KC] into strips of MR rows
 *         for jr in steps of NR                           (B strip: L1)
 *           for ir in steps of MR
 *             micro-kernel: the MR x NR tile of C += A strip * B strip,
 *             KC rank-1 updates held in MR x NR accumulators (registers)
 *
 * Packing copies each block once into the order the micro-kernel reads
 * (A strip: MR values per k step; B strip: NR values per k step), so the
 * kernel's loads are unit-stride whatever the transposes and leading
 * dimensions, and the ragged edges are zero-padded: the kernel always
 * computes a full MR x NR tile and only the store looks at the edge.
 *
 * Sizes for a core with 32 KiB L1d and 512 KiB L2:
 * - MR x NR = 4 x 16: per k step one row of 16 B values (two 256-bit or
 *   four 128-bit vectors), 4 broadcast A values, 64 multiply-adds into
 *   accumulators that stay in registers (8 ymm with AVX2, all 16 xmm with
 *   SSE2). Written with j outside r, gcc vectorizes the j loop and keeps
 *   acc in registers for both instruction sets; one tile size keeps the
 *   packed formats of every instantiation the same.
 * - KC = 256: one B strip (256 * 16 floats, 16 KiB) stays in L1d while the
 *   kernel sweeps the A block.
 * - MC = 144 = 36 * MR: the A block (144 * 256 floats, 144 KiB) stays in L2.
 * - NC = 4096: the B block (256 * 4096 floats, 4 MiB) stays in L3.
 *
 * Rounding: every element of C is sum_p a[i][p] * b[p][j] accumulated in
 * p order inside each KC block, then added to C block after block in pc
 * order. Neither depends on where the element sits in a tile or on which
 * thread computes it, so the bits are the same for every thread count.
 */
#include "sgemm.h"

#include "internal.h"
#include "parallel.h"

#include <string.h>

#ifndef SGEMM_ISA
#error "define SGEMM_ISA before including sgemm_tmpl.h"
#endif

#define SGEMM_CAT2(a, b) a##b
#define SGEMM_CAT(a, b) SGEMM_CAT2(a, b)
#define SGEMM_NAME(name) SGEMM_CAT(name##_, SGEMM_ISA)
#define SGEMM_STR2(x) #x
#define SGEMM_STR(x) SGEMM_STR2(x)

#define MR 4
#define NR 16
#define KC 256
#define MC 144
#define NC 4096

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int64_t round_up(int64_t x, int64_t to)
{
    return (x + to - 1) / to * to;
}

/*
 * Pack op(A)[0:mc, 0:kc] (top-left at a) into strips of MR rows:
 * dst[strip][p][r] = op(A)[strip * MR + r][p], rows past mc are zero.
 */
static void pack_a(int trans_a, int64_t mc, int64_t kc, const float *a, int64_t lda, float *dst)
{
    for (int64_t i0 = 0; i0 < mc; i0 += MR) {
        const int64_t rows = min64(MR, mc - i0);
        for (int64_t p = 0; p < kc; p++) {
            float *d = dst + p * MR;
            int64_t r = 0;
            if (trans_a) /* op(A)[i][p] = A[p][i]: a contiguous run of A's row p */
                for (; r < rows; r++)
                    d[r] = a[p * lda + i0 + r];
            else
                for (; r < rows; r++)
                    d[r] = a[(i0 + r) * lda + p];
            for (; r < MR; r++)
                d[r] = 0.0f;
        }
        dst += kc * MR;
    }
}

/*
 * Pack op(B)[0:kc, 0:nc] (top-left at b) into strips of NR columns:
 * dst[strip][p][c] = op(B)[p][strip * NR + c], columns past nc are zero.
 */
static void pack_b_strip(int trans_b, int64_t kc, int64_t cols, const float *b, int64_t ldb, float *d)
{
    for (int64_t p = 0; p < kc; p++, d += NR) {
        int64_t c = 0;
        if (trans_b) /* op(B)[p][j] = B[j][p] */
            for (; c < cols; c++)
                d[c] = b[c * ldb + p];
        else
            for (; c < cols; c++)
                d[c] = b[p * ldb + c];
        for (; c < NR; c++)
            d[c] = 0.0f;
    }
}

/* Offset of strip j0 (a multiple of NR) of k-block p0 in a packed k x n operand. */
static size_t packed_offset(int64_t k, int64_t n, int64_t p0, int64_t j0)
{
    const int64_t depth = min64(KC, k - p0);
    return (size_t)(p0 * round_up(n, NR) + j0 * depth);
}

static size_t SGEMM_NAME(packed_b_floats)(int64_t k, int64_t n)
{
    return (size_t)(k * round_up(n, NR));
}

/*
 * Whole-operand packing: k-blocks of KC rows one after the other, each
 * laid out as pack_b_strip() strips; a block's strips are `depth` deep.
 */
static void SGEMM_NAME(pack_b)(int trans_b, int64_t k, int64_t n, const float *b, int64_t ldb, float *dst)
{
    for (int64_t p0 = 0; p0 < k; p0 += KC) {
        const int64_t depth = min64(KC, k - p0);
        for (int64_t j0 = 0; j0 < n; j0 += NR) {
            const float *src = trans_b ? b + j0 * ldb + p0 : b + p0 * ldb + j0;
            pack_b_strip(trans_b, depth, min64(NR, n - j0), src, ldb, dst + packed_offset(k, n, p0, j0));
        }
    }
}

/*
 * tile[r][c] = sum_{p < kc} ap[p][r] * bp[p][c]   (one MR x NR tile)
 * acc is only ever indexed by the constant-bound loops, so the compiler
 * keeps it in registers; the caller's edge handling reads tile instead.
 */
static void kernel_tile(int64_t kc, const float *restrict ap, const float *restrict bp,
                        float tile[restrict MR][NR])
{
    float acc[MR][NR] = {{0.0f}};
    for (int64_t p = 0; p < kc; p++) {
        const float *a = ap + p * MR, *b = bp + p * NR;
        /* rank-1 update: acc[r][:] += a[r] * b[:] */
        for (int j = 0; j < NR; j++)
            for (int r = 0; r < MR; r++)
                acc[r][j] += a[r] * b[j];
    }
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++)
            tile[r][j] = acc[r][j];
}

/*
 * C[r][c] = alpha * tile[r][c] + beta * C[r][c]   for r < rows, c < cols
 * beta == 0 writes C without reading it. One loop for full and edge tiles,
 * so every element is rounded the same way.
 */
static void micro_kernel(int64_t kc, const float *restrict ap, const float *restrict bp,
                         float alpha, float beta, float *restrict c, int64_t ldc,
                         int64_t rows, int64_t cols)
{
    float tile[MR][NR];
    kernel_tile(kc, ap, bp, tile);
    for (int64_t r = 0; r < rows; r++) {
        float *cr = c + r * ldc;
        if (beta == 0.0f)
            for (int64_t j = 0; j < cols; j++)
                cr[j] = alpha * tile[r][j];
        else
            for (int64_t j = 0; j < cols; j++)
                cr[j] = alpha * tile[r][j] + beta * cr[j];
    }
}

/* C[0:mc, 0:nc] op= packed A block (mc x kc) * packed B strips (kc deep, `stride` apart). */
static void macro_kernel(int64_t mc, int64_t nc, int64_t kc, float alpha, const float *ap,
                         const float *bp, size_t bstride, float beta, float *c, int64_t ldc)
{
    for (int64_t j0 = 0; j0 < nc; j0 += NR) {
        const float *b = bp + (size_t)(j0 / NR) * bstride;
        for (int64_t i0 = 0; i0 < mc; i0 += MR)
            micro_kernel(kc, ap + i0 * kc, b, alpha, beta, c + i0 * ldc + j0, ldc,
                         min64(MR, mc - i0), min64(NR, nc - j0));
    }
}

/* C = beta * C, with beta == 0 writing zeros (the k == 0 product). */
static void scale_c(int64_t m, int64_t n, float beta, float *c, int64_t ldc)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++)
            c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
}

static void SGEMM_NAME(gemm_packed)(int trans_a, int64_t m, int64_t n, int64_t k, float alpha,
                                    const float *a, int64_t lda, const mha_packed_b *bp,
                                    float beta, float *c, int64_t ldc, float *work)
{
    if (m <= 0 || n <= 0)
        return;
    if (k <= 0) {
        scale_c(m, n, beta, c, ldc);
        return;
    }
    for (int64_t p0 = 0; p0 < k; p0 += KC) {
        const int64_t kc = min64(KC, k - p0);
        /* strips of the packed operand are as deep as its own k-block, which may exceed kc */
        const size_t bstride = (size_t)(min64(KC, bp->k - p0) * NR);
        const float *bblock = bp->data + packed_offset(bp->k, bp->n, p0, 0);
        const float beta_p = p0 == 0 ? beta : 1.0f;
        for (int64_t i0 = 0; i0 < m; i0 += MC) {
            const int64_t mc = min64(MC, m - i0);
            const float *asrc = trans_a ? a + p0 * lda + i0 : a + i0 * lda + p0;
            pack_a(trans_a, mc, kc, asrc, lda, work);
            macro_kernel(mc, n, kc, alpha, work, bblock, bstride, beta_p, c + i0 * ldc, ldc);
        }
    }
}

/* One (jc, pc) step of the threaded gemm: its B block and the A blocks beside it. */
typedef struct SGEMM_NAME(step) {
    int trans_a, trans_b;
    int64_t m, n, k, lda, ldb, ldc, j0, p0, nc, kc;
    float alpha, beta_p;
    const float *a, *b;
    float *c, *bpack, *apacks; /* apacks: MC x KC floats per worker */
} SGEMM_NAME(step);

/* Strips [begin, end) of NR columns of the step's B block into bpack. */
static void SGEMM_NAME(pack_b_strips)(void *ctx, int64_t begin, int64_t end, int worker)
{
    const SGEMM_NAME(step) *x = ctx;
    (void)worker;
    for (int64_t s = begin; s < end; s++) {
        const int64_t jj = x->j0 + s * NR;
        const float *src = x->trans_b ? x->b + jj * x->ldb + x->p0 : x->b + x->p0 * x->ldb + jj;
        pack_b_strip(x->trans_b, x->kc, min64(NR, x->n - jj), src, x->ldb, x->bpack + (size_t)(s * x->kc * NR));
    }
}

/* Row blocks [begin, end) of MC rows: pack A into the worker's buffer, multiply. */
static void SGEMM_NAME(row_blocks)(void *ctx, int64_t begin, int64_t end, int worker)
{
    const SGEMM_NAME(step) *x = ctx;
    float *apack = x->apacks + (size_t)worker * (size_t)(MC * x->kc);
    for (int64_t ib = begin; ib < end; ib++) {
        const int64_t i0 = ib * MC, mc = min64(MC, x->m - i0);
        const float *asrc = x->trans_a ? x->a + x->p0 * x->lda + i0 : x->a + i0 * x->lda + x->p0;
        pack_a(x->trans_a, mc, x->kc, asrc, x->lda, apack);
        macro_kernel(mc, x->nc, x->kc, x->alpha, apack, x->bpack, (size_t)(x->kc * NR), x->beta_p,
                     x->c + i0 * x->ldc + x->j0, x->ldc);
    }
}

/* The packed B block, then one packed A block per thread. */
static size_t SGEMM_NAME(gemm_work_floats)(int64_t m, int64_t n, int64_t k, int threads)
{
    if (m <= 0 || n <= 0 || k <= 0)
        return 0;
    threads = mha_threads_for(threads, (m + MC - 1) / MC);
    const int64_t nc_max = min64(NC, round_up(n, NR)), kc_max = min64(KC, k);
    return (size_t)(nc_max * kc_max) + (size_t)threads * (size_t)(MC * kc_max);
}

/*
 * Threads share each packed B block (they pack its strips together, and
 * the loop's end is the barrier before it is used) and split the MC-row
 * blocks of A; each thread packs its own A blocks.
 */
static void SGEMM_NAME(gemm)(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                             const float *a, int64_t lda, const float *b, int64_t ldb,
                             float beta, float *c, int64_t ldc, int threads, float *work)
{
    if (m <= 0 || n <= 0)
        return;
    if (k <= 0) {
        scale_c(m, n, beta, c, ldc);
        return;
    }
    const int64_t m_blocks = (m + MC - 1) / MC;
    threads = mha_threads_for(threads, m_blocks);
    const size_t b_floats = (size_t)(min64(NC, round_up(n, NR)) * min64(KC, k));
    SGEMM_NAME(step) x = {.trans_a = trans_a, .trans_b = trans_b, .m = m, .n = n, .k = k,
                          .lda = lda, .ldb = ldb, .ldc = ldc, .alpha = alpha,
                          .a = a, .b = b, .c = c, .bpack = work, .apacks = work + b_floats};
    for (x.j0 = 0; x.j0 < n; x.j0 += NC) {
        x.nc = min64(NC, n - x.j0);
        for (x.p0 = 0; x.p0 < k; x.p0 += KC) {
            x.kc = min64(KC, k - x.p0);
            x.beta_p = x.p0 == 0 ? beta : 1.0f;
            mha_parallel_for(threads, (x.nc + NR - 1) / NR, MHA_PARALLEL_BLOCKS, SGEMM_NAME(pack_b_strips), &x);
            mha_parallel_for(threads, m_blocks, MHA_PARALLEL_BLOCKS, SGEMM_NAME(row_blocks), &x);
        }
    }
}

const mha_sgemm_ops SGEMM_CAT(mha_sgemm_ops_, SGEMM_ISA) = {
    .isa = SGEMM_STR(SGEMM_ISA),
    .mr = MR,
    .nr = NR,
    .work_floats = (size_t)MC * KC,
    .packed_b_floats = SGEMM_NAME(packed_b_floats),
    .pack_b = SGEMM_NAME(pack_b),
    .gemm_packed = SGEMM_NAME(gemm_packed),
    .gemm_work_floats = SGEMM_NAME(gemm_work_floats),
    .gemm = SGEMM_NAME(gemm),
};
