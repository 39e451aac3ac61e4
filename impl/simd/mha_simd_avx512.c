/*
 * simd_avx512: the naive row algorithm (impl/naive/mha_naive.c) with
 * AVX-512F intrinsics, 16 fp32 lanes, tails by mask registers. A line-by-
 * line mirror of mha_simd_avx2.c. Compiled with the avx512 flags of
 * meson.build (F, BW, DQ, VL, AVX2, FMA, which the compiler may use
 * anywhere), so it requires all of them; registered only where compiled.
 *
 * For every batch b, query head h and query position i (one row):
 *   keys   = { j < causal limit : M[b,h,i,j] != -inf }   visible keys, in order
 *   s[j]   = scale * <Q[b,i,h,:], K[b,j,g,:]> + M[b,h,i,j]   8 keys at a time
 *   m      = max_j s[j]                     (NaN if any score is NaN)
 *   e[j]   = exp(s[j] - m),  l = sum_j e[j]  vectorized exp (impl/vec)
 *   p[j]   = e[j] * (1 / l)
 *   O[b,i,h,:] = sum_{j in keys} p[j] * V[b,j,g,:]     128 columns at a time
 * Hidden keys are never read: s[j] = -inf, so e[j] = p[j] = 0. A row with
 * no visible key gives O = 0 and P = 0.
 *
 * simd_avx2 and simd_neon have the same structure, function by function.
 */
#include "../core/internal.h"
#include "../vec/vexp_avx512.h"

#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

enum {
    LANES = 16, /* floats per __m512 */
    KEYS = 8,   /* keys whose scores are computed together */
    PAD = 16,   /* the score row is padded to a multiple of PAD with -inf */
    COLS = 128, /* output columns accumulated in registers (8 vectors) */
};

static int64_t padded(int64_t n)
{
    return (n + PAD - 1) / PAD * PAD;
}

/* Per thread: padded(Skv) scores, padded(Skv) int32 key indices, then
 * room for one (b, kv head)'s K and V rows packed contiguous (see kv_rows). */
static size_t thread_bytes(int64_t kv_len, int64_t head_dim)
{
    return (size_t)padded(kv_len) * (sizeof(float) + sizeof(int32_t)) +
           2 * (size_t)kv_len * (size_t)head_dim * sizeof(float);
}

static MHA_WORKSPACE_FN(simd_avx512_workspace)
{
    (void)want_probs;
    return (size_t)threads * thread_bytes(shape->kv_len, shape->head_dim);
}

/* Lanes 0 .. n-1 set (n clamped to [0, 16]): the mask of a tail of n floats. */
static __mmask16 tail_mask(int64_t n)
{
    const int c = n < 0 ? 0 : n > LANES ? LANES : (int)n;
    return (__mmask16)((1u << c) - 1u);
}

/* r[u] = sum of the 16 lanes of a[u], u = 0..7 */
static __m256 sum_lanes8(const __m512 a[KEYS])
{
    /* h[u] = low 8 lanes + high 8 lanes of a[u] */
    __m256 h[KEYS];
    for (int u = 0; u < KEYS; u++)
        h[u] = _mm256_add_ps(_mm512_castps512_ps256(a[u]),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a[u]), 1)));
    /* pairwise sums of neighbours, then of pairs: u0 = [h0 h1 h2 h3 | h0 h1 h2 h3] halves */
    __m256 t0 = _mm256_hadd_ps(h[0], h[1]);
    __m256 t1 = _mm256_hadd_ps(h[2], h[3]);
    __m256 t2 = _mm256_hadd_ps(h[4], h[5]);
    __m256 t3 = _mm256_hadd_ps(h[6], h[7]);
    __m256 u0 = _mm256_hadd_ps(t0, t1);
    __m256 u1 = _mm256_hadd_ps(t2, t3);
    /* low 128-bit halves plus high halves */
    __m256 lo = _mm256_permute2f128_ps(u0, u1, 0x20);
    __m256 hi = _mm256_permute2f128_ps(u0, u1, 0x31);
    return _mm256_add_ps(lo, hi);
}

static float hmax(__m512 v)
{
    return _mm512_reduce_max_ps(v);
}

static float hsum(__m512 v)
{
    return _mm512_reduce_add_ps(v);
}

/* dot[u] = <q, k[u]> for 8 keys, over dh floats; one accumulator per key. */
static __m256 dot8(const float *q, const float *const k[KEYS], int64_t dh)
{
    __m512 acc[KEYS];
    for (int u = 0; u < KEYS; u++)
        acc[u] = _mm512_setzero_ps();
    int64_t d = 0;
    /* acc[u] += q[d:d+16] * k[u][d:d+16] */
    for (; d + LANES <= dh; d += LANES) {
        const __m512 qv = _mm512_loadu_ps(q + d);
        for (int u = 0; u < KEYS; u++)
            acc[u] = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k[u] + d), acc[u]);
    }
    /* the same on the last dh % 16 floats; masked lanes are not read */
    if (d < dh) {
        const __mmask16 m = tail_mask(dh - d);
        const __m512 qv = _mm512_maskz_loadu_ps(m, q + d);
        for (int u = 0; u < KEYS; u++)
            acc[u] = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(m, k[u] + d), acc[u]);
    }
    return sum_lanes8(acc);
}

/* Rows j of K and V of one (b, kv head): k + j * k_step, v + j * v_step. */
typedef struct kv_view {
    const float *k, *v;
    int64_t k_step, v_step;
} kv_view;

/*
 * The K and V rows of (b, g). In the seed layout (B, S, H*Dh) one head's
 * rows are H*Dh floats apart, so they use 1/H of the cache sets and are
 * re-read from memory for every query row; when at least 16 query rows
 * will read them, they are copied contiguous into pack once (per thread,
 * kept while consecutive rows share (b, g)). Copying reads hidden keys
 * too, but nothing computed from them is used.
 */
static kv_view kv_rows(const mha_args *a, int64_t b, int64_t g, float *pack, int64_t *packed)
{
    const mha_shape *sh = &a->shape;
    const int64_t dh = sh->head_dim, skv = sh->kv_len;
    kv_view kv = {mha_row(a->k, a->k_strides, b, 0, g), mha_row(a->v, a->v_strides, b, 0, g),
                  a->k_strides.seq, a->v_strides.seq};
    if ((kv.k_step == dh && kv.v_step == dh) || sh->q_len * mha_group_size(sh) < 16)
        return kv;
    const int64_t bg = b * sh->kv_heads + g;
    if (*packed != bg) {
        for (int64_t j = 0; j < skv; j++) {
            memcpy(pack + j * dh, kv.k + j * kv.k_step, (size_t)dh * sizeof(float));
            memcpy(pack + (skv + j) * dh, kv.v + j * kv.v_step, (size_t)dh * sizeof(float));
        }
        *packed = bg;
    }
    kv_view packed_kv = {pack, pack + skv * dh, dh, dh};
    return packed_kv;
}

/* o[0:dh] = sum_t p[key[t]] * v_{key[t]}[0:dh], over the n visible keys */
static void weighted_sum(const mha_args *a, const kv_view *kv, const float *p,
                         const int32_t *key, int64_t n, float *o)
{
    const int64_t dh = a->shape.head_dim;
    int64_t c = 0;
    /* 128 columns in 8 accumulators: acc[u] += p_j * v_j[c+16u : c+16u+16] */
    for (; c + COLS <= dh; c += COLS) {
        __m512 acc[COLS / LANES];
        for (int u = 0; u < COLS / LANES; u++)
            acc[u] = _mm512_setzero_ps();
        for (int64_t t = 0; t < n; t++) {
            const float *v = kv->v + key[t] * kv->v_step + c;
            const __m512 pj = _mm512_set1_ps(p[key[t]]);
            for (int u = 0; u < COLS / LANES; u++)
                acc[u] = _mm512_fmadd_ps(pj, _mm512_loadu_ps(v + u * LANES), acc[u]);
        }
        for (int u = 0; u < COLS / LANES; u++)
            _mm512_storeu_ps(o + c + u * LANES, acc[u]);
    }
    /* the last dh % 128 columns: the same with masked loads and stores */
    if (c < dh) {
        const int vecs = (int)((dh - c + LANES - 1) / LANES);
        __m512 acc[COLS / LANES];
        __mmask16 m[COLS / LANES];
        for (int u = 0; u < vecs; u++) {
            acc[u] = _mm512_setzero_ps();
            m[u] = tail_mask(dh - c - u * LANES);
        }
        for (int64_t t = 0; t < n; t++) {
            const float *v = kv->v + key[t] * kv->v_step + c;
            const __m512 pj = _mm512_set1_ps(p[key[t]]);
            for (int u = 0; u < vecs; u++)
                acc[u] = _mm512_fmadd_ps(pj, _mm512_maskz_loadu_ps(m[u], v + u * LANES), acc[u]);
        }
        for (int u = 0; u < vecs; u++)
            _mm512_mask_storeu_ps(o + c + u * LANES, m[u], acc[u]);
    }
}

/* One query row: O[b,i,h,:] and, if asked, P[b,h,i,:]. s and key: thread workspace. */
static void attend_row(const mha_args *a, const kv_view *kv, int64_t b, int64_t h, int64_t i,
                       float *s, int32_t *key)
{
    const mha_shape *sh = &a->shape;
    const int64_t dh = sh->head_dim, skv = sh->kv_len;
    const int64_t spad = padded(skv);
    const float *q = mha_row(a->q, a->q_strides, b, i, h);
    const float *mask = mha_mask_row(a, b, h, i);
    const int64_t visible = mha_causal_limit(a, i);
    float *o = mha_row_mut(a->out, a->out_strides, b, i, h);
    float *p = a->probs ? a->probs + ((b * sh->heads + h) * sh->q_len + i) * skv : NULL;

    /* s[j] = -inf for all j (padding included); key[] = visible keys in order */
    const __m512 neg_inf = _mm512_set1_ps(-INFINITY);
    for (int64_t j = 0; j < spad; j += LANES)
        _mm512_storeu_ps(s + j, neg_inf);
    int64_t n = 0;
    for (int64_t j = 0; j < visible; j++)
        if (!mask || mask[j] != -INFINITY)
            key[n++] = (int32_t)j;

    /* s[key[t+u]] = scale * <q, k_{key[t+u]}> + mask[key[t+u]], u = 0..7.
     * A last group of fewer than 8 keys repeats its last key (result unused). */
    const __m256 scale = _mm256_set1_ps(a->scale); /* dot8 returns 8 scores in a __m256 */
    for (int64_t t = 0; t < n; t += KEYS) {
        const float *k[KEYS];
        for (int u = 0; u < KEYS; u++) {
            const int64_t tu = t + u < n ? t + u : n - 1;
            k[u] = kv->k + key[tu] * kv->k_step;
        }
        float dots[KEYS];
        _mm256_storeu_ps(dots, _mm256_mul_ps(scale, dot8(q, k, dh)));
        for (int u = 0; u < KEYS && t + u < n; u++) {
            const int32_t j = key[t + u];
            s[j] = dots[u] + (mask ? mask[j] : 0.0f);
        }
    }

    /* m = max_j s[j]; a NaN score makes m NaN, so it reaches every output */
    __m512 mv = neg_inf;
    __mmask16 nan = 0;
    for (int64_t j = 0; j < spad; j += LANES) {
        const __m512 sv = _mm512_loadu_ps(s + j);
        mv = _mm512_max_ps(mv, sv);
        nan |= _mm512_cmp_ps_mask(sv, sv, _CMP_UNORD_Q);
    }
    const float m = nan ? NAN : hmax(mv);

    /* No visible key (or every score -inf): the row is zeros, never 0/0. */
    if (m == -INFINITY) {
        memset(o, 0, (size_t)dh * sizeof *o);
        if (p)
            memset(p, 0, (size_t)skv * sizeof *p);
        return;
    }

    /* e[j] = exp(s[j] - m);  l = sum_j e[j]   (hidden keys and padding: exp(-inf) = 0) */
    const __m512 mb = _mm512_set1_ps(m);
    __m512 lv = _mm512_setzero_ps();
    for (int64_t j = 0; j < spad; j += LANES) {
        const __m512 e = mha_vexp_avx512(_mm512_sub_ps(_mm512_loadu_ps(s + j), mb));
        _mm512_storeu_ps(s + j, e);
        lv = _mm512_add_ps(lv, e);
    }

    /* p[j] = e[j] * (1 / l) */
    const __m512 inv_l = _mm512_set1_ps(1.0f / hsum(lv));
    for (int64_t j = 0; j < spad; j += LANES)
        _mm512_storeu_ps(s + j, _mm512_mul_ps(_mm512_loadu_ps(s + j), inv_l));
    if (p)
        memcpy(p, s, (size_t)skv * sizeof *p);

    /* o = sum_{j visible} p[j] * v_j */
    weighted_sum(a, kv, s, key, n, o);
}

static MHA_ATTENTION_FN(simd_avx512_attention)
{
    const mha_shape *sh = &args->shape;
    const int64_t rows = sh->batch * sh->heads * sh->q_len;
    const size_t per_thread = thread_bytes(sh->kv_len, sh->head_dim);
    /* Each row is computed by one thread in a fixed order: the result does
     * not depend on the thread count. */
#ifdef _OPENMP
#pragma omp parallel num_threads(args->threads)
#endif
    {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        char *ws = (char *)workspace + (size_t)t * per_thread;
        float *s = (float *)ws;
        int32_t *key = (int32_t *)(ws + (size_t)padded(sh->kv_len) * sizeof(float));
        float *pack = (float *)(ws + (size_t)padded(sh->kv_len) * (sizeof(float) + sizeof(int32_t)));
        int64_t packed = -1; /* (b, kv head) held in pack */
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t r = 0; r < rows; r++) {
            const int64_t i = r % sh->q_len, bh = r / sh->q_len;
            const int64_t b = bh / sh->heads, h = bh % sh->heads;
            const kv_view kv = kv_rows(args, b, h / mha_group_size(sh), pack, &packed);
            attend_row(args, &kv, b, h, i, s, key);
        }
    }
}

/*
 * C[i0:i0+rows][j0:j0+32] = A[i0:i0+rows][:] * B[:][j0:j0+32], rows <= 4,
 * columns beyond n masked off. Each C element is one FMA chain over p in
 * ascending order, so every block shape gives the same bits.
 */
enum { MR = 4, NR = 32 };

static void matmul_block(int64_t rows, int64_t cols, int64_t k, const float *a, int64_t lda,
                         const float *b, int64_t ldb, float *c, int64_t ldc)
{
    __m512 acc[MR][2];
    for (int r = 0; r < MR; r++)
        acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    if (rows == MR && cols == NR) {
        /* acc[r] += A[r][p] * B[p][0:32] */
        for (int64_t p = 0; p < k; p++) {
            const __m512 b0 = _mm512_loadu_ps(b + p * ldb), b1 = _mm512_loadu_ps(b + p * ldb + LANES);
            for (int r = 0; r < MR; r++) {
                const __m512 ar = _mm512_set1_ps(a[r * lda + p]);
                acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
            }
        }
        for (int r = 0; r < MR; r++) {
            _mm512_storeu_ps(c + r * ldc, acc[r][0]);
            _mm512_storeu_ps(c + r * ldc + LANES, acc[r][1]);
        }
        return;
    }
    /* edge block: the same with masked loads and stores */
    const __mmask16 m0 = tail_mask(cols), m1 = tail_mask(cols - LANES);
    for (int64_t p = 0; p < k; p++) {
        const __m512 b0 = _mm512_maskz_loadu_ps(m0, b + p * ldb);
        const __m512 b1 = _mm512_maskz_loadu_ps(m1, b + p * ldb + LANES);
        for (int r = 0; r < rows; r++) {
            const __m512 ar = _mm512_set1_ps(a[r * lda + p]);
            acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < rows; r++) {
        _mm512_mask_storeu_ps(c + r * ldc, m0, acc[r][0]);
        _mm512_mask_storeu_ps(c + r * ldc + LANES, m1, acc[r][1]);
    }
}

/* C = A * B in blocks of 4 rows x 32 columns; threads split the row blocks. */
static MHA_MATMUL_FN(simd_avx512_matmul)
{
    const int64_t row_blocks = (m + MR - 1) / MR;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads > 0 ? threads : 1) schedule(static) if (m * n * k > 32768)
#else
    (void)threads;
#endif
    for (int64_t ib = 0; ib < row_blocks; ib++) {
        const int64_t i = ib * MR, rows = m - i < MR ? m - i : MR;
        for (int64_t j = 0; j < n; j += NR)
            matmul_block(rows, n - j < NR ? n - j : NR, k, a + i * lda, lda, b + j, ldb,
                         c + i * ldc + j, ldc);
    }
}

const mha_impl mha_impl_simd_avx512 = {
    .abi_version = MHA_ABI_VERSION,
    .name = "simd_avx512",
    .algorithm = "simd",
    .isa = MHA_AVX512_ISA,
    .summary = "naive's row algorithm with AVX-512F intrinsics: 16 lanes, masked tails, vectorized exp",
    .cpu_features = MHA_CPU_AVX512_BUILD,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 45,
    .workspace = simd_avx512_workspace,
    .attention = simd_avx512_attention,
    .matmul = simd_avx512_matmul,
};
