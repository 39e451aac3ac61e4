/*
 * simd_neon: the naive row algorithm (impl/naive/mha_naive.c) with AArch64
 * Advanced SIMD intrinsics, 4 fp32 lanes. A line-by-line mirror of
 * mha_simd_avx2.c; NEON has no masked loads, so tails go through a small
 * zero-padded buffer (load_tail / store_tail). Registered only in aarch64
 * builds, run only where the CPU reports asimd.
 *
 * For every batch b, query head h and query position i (one row):
 *   keys   = { j < causal limit : M[b,h,i,j] != -inf }   visible keys, in order
 *   s[j]   = scale * <Q[b,i,h,:], K[b,j,g,:]> + M[b,h,i,j]   8 keys at a time
 *   m      = max_j s[j]                     (NaN if any score is NaN)
 *   e[j]   = exp(s[j] - m),  l = sum_j e[j]  vectorized exp (impl/vec)
 *   p[j]   = e[j] * (1 / l)
 *   O[b,i,h,:] = sum_{j in keys} p[j] * V[b,j,g,:]     32 columns at a time
 * Hidden keys are never read: s[j] = -inf, so e[j] = p[j] = 0. A row with
 * no visible key gives O = 0 and P = 0.
 *
 * simd_avx2 and simd_avx512 have the same structure, function by function.
 */
#include "../core/internal.h"
#include "../vec/vexp_neon.h"

#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

enum {
    LANES = 4,  /* floats per float32x4_t */
    KEYS = 8,   /* keys whose scores are computed together */
    PAD = 16,   /* the score row is padded to a multiple of PAD with -inf */
    COLS = 32,  /* output columns accumulated in registers (8 vectors) */
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

static MHA_WORKSPACE_FN(simd_neon_workspace)
{
    (void)want_probs;
    return (size_t)threads * thread_bytes(shape->kv_len, shape->head_dim);
}

/* The first n floats of x (n clamped to [0, 4]), zeros after; x[n..3] is not read. */
static float32x4_t load_tail(const float *x, int64_t n)
{
    float buf[LANES] = {0.0f, 0.0f, 0.0f, 0.0f};
    memcpy(buf, x, (size_t)(n < 0 ? 0 : n > LANES ? LANES : n) * sizeof(float));
    return vld1q_f32(buf);
}

/* Writes the first n lanes of v (n clamped to [0, 4]) to x; x[n..3] is not touched. */
static void store_tail(float *x, int64_t n, float32x4_t v)
{
    float buf[LANES];
    vst1q_f32(buf, v);
    memcpy(x, buf, (size_t)(n < 0 ? 0 : n > LANES ? LANES : n) * sizeof(float));
}

/* r.val[0][u] = sum of the 4 lanes of a[u], u = 0..3; r.val[1]: u = 4..7 */
static float32x4x2_t sum_lanes8(const float32x4_t a[KEYS])
{
    /* pairwise sums of neighbours, then of pairs */
    float32x4x2_t r;
    r.val[0] = vpaddq_f32(vpaddq_f32(a[0], a[1]), vpaddq_f32(a[2], a[3]));
    r.val[1] = vpaddq_f32(vpaddq_f32(a[4], a[5]), vpaddq_f32(a[6], a[7]));
    return r;
}

static float hmax(float32x4_t v)
{
    return vmaxvq_f32(v);
}

static float hsum(float32x4_t v)
{
    return vaddvq_f32(v);
}

/* dot[u] = <q, k[u]> for 8 keys, over dh floats; one accumulator per key. */
static float32x4x2_t dot8(const float *q, const float *const k[KEYS], int64_t dh)
{
    float32x4_t acc[KEYS];
    for (int u = 0; u < KEYS; u++)
        acc[u] = vdupq_n_f32(0.0f);
    int64_t d = 0;
    /* acc[u] += q[d:d+4] * k[u][d:d+4] */
    for (; d + LANES <= dh; d += LANES) {
        const float32x4_t qv = vld1q_f32(q + d);
        for (int u = 0; u < KEYS; u++)
            acc[u] = vfmaq_f32(acc[u], qv, vld1q_f32(k[u] + d));
    }
    /* the same on the last dh % 4 floats, zero-padded; floats past dh are not read */
    if (d < dh) {
        const float32x4_t qv = load_tail(q + d, dh - d);
        for (int u = 0; u < KEYS; u++)
            acc[u] = vfmaq_f32(acc[u], qv, load_tail(k[u] + d, dh - d));
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
    /* 32 columns in 8 accumulators: acc[u] += p_j * v_j[c+4u : c+4u+4] */
    for (; c + COLS <= dh; c += COLS) {
        float32x4_t acc[COLS / LANES];
        for (int u = 0; u < COLS / LANES; u++)
            acc[u] = vdupq_n_f32(0.0f);
        for (int64_t t = 0; t < n; t++) {
            const float *v = kv->v + key[t] * kv->v_step + c;
            const float32x4_t pj = vdupq_n_f32(p[key[t]]);
            for (int u = 0; u < COLS / LANES; u++)
                acc[u] = vfmaq_f32(acc[u], pj, vld1q_f32(v + u * LANES));
        }
        for (int u = 0; u < COLS / LANES; u++)
            vst1q_f32(o + c + u * LANES, acc[u]);
    }
    /* the last dh % 32 columns: the same with tail loads and stores */
    if (c < dh) {
        const int vecs = (int)((dh - c + LANES - 1) / LANES);
        float32x4_t acc[COLS / LANES];
        int64_t m[COLS / LANES];
        for (int u = 0; u < vecs; u++) {
            acc[u] = vdupq_n_f32(0.0f);
            m[u] = dh - c - u * LANES; /* floats left from vector u on */
        }
        for (int64_t t = 0; t < n; t++) {
            const float *v = kv->v + key[t] * kv->v_step + c;
            const float32x4_t pj = vdupq_n_f32(p[key[t]]);
            for (int u = 0; u < vecs; u++)
                acc[u] = vfmaq_f32(acc[u], pj, m[u] >= LANES ? vld1q_f32(v + u * LANES)
                                                             : load_tail(v + u * LANES, m[u]));
        }
        for (int u = 0; u < vecs; u++)
            store_tail(o + c + u * LANES, m[u], acc[u]);
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
    const float32x4_t neg_inf = vdupq_n_f32(-INFINITY);
    for (int64_t j = 0; j < spad; j += LANES)
        vst1q_f32(s + j, neg_inf);
    int64_t n = 0;
    for (int64_t j = 0; j < visible; j++)
        if (!mask || mask[j] != -INFINITY)
            key[n++] = (int32_t)j;

    /* s[key[t+u]] = scale * <q, k_{key[t+u]}> + mask[key[t+u]], u = 0..7.
     * A last group of fewer than 8 keys repeats its last key (result unused). */
    const float32x4_t scale = vdupq_n_f32(a->scale);
    for (int64_t t = 0; t < n; t += KEYS) {
        const float *k[KEYS];
        for (int u = 0; u < KEYS; u++) {
            const int64_t tu = t + u < n ? t + u : n - 1;
            k[u] = kv->k + key[tu] * kv->k_step;
        }
        float dots[KEYS];
        const float32x4x2_t dv = dot8(q, k, dh);
        vst1q_f32(dots, vmulq_f32(scale, dv.val[0]));
        vst1q_f32(dots + LANES, vmulq_f32(scale, dv.val[1]));
        for (int u = 0; u < KEYS && t + u < n; u++) {
            const int32_t j = key[t + u];
            s[j] = dots[u] + (mask ? mask[j] : 0.0f);
        }
    }

    /* m = max_j s[j]; a NaN score makes m NaN, so it reaches every output */
    float32x4_t mv = neg_inf;
    uint32x4_t nan = vdupq_n_u32(0);
    for (int64_t j = 0; j < spad; j += LANES) {
        const float32x4_t sv = vld1q_f32(s + j);
        mv = vmaxq_f32(mv, sv);
        nan = vorrq_u32(nan, vmvnq_u32(vceqq_f32(sv, sv)));
    }
    const float m = vmaxvq_u32(nan) ? NAN : hmax(mv);

    /* No visible key (or every score -inf): the row is zeros, never 0/0. */
    if (m == -INFINITY) {
        memset(o, 0, (size_t)dh * sizeof *o);
        if (p)
            memset(p, 0, (size_t)skv * sizeof *p);
        return;
    }

    /* e[j] = exp(s[j] - m);  l = sum_j e[j]   (hidden keys and padding: exp(-inf) = 0) */
    const float32x4_t mb = vdupq_n_f32(m);
    float32x4_t lv = vdupq_n_f32(0.0f);
    for (int64_t j = 0; j < spad; j += LANES) {
        const float32x4_t e = mha_vexp_neon(vsubq_f32(vld1q_f32(s + j), mb));
        vst1q_f32(s + j, e);
        lv = vaddq_f32(lv, e);
    }

    /* p[j] = e[j] * (1 / l) */
    const float32x4_t inv_l = vdupq_n_f32(1.0f / hsum(lv));
    for (int64_t j = 0; j < spad; j += LANES)
        vst1q_f32(s + j, vmulq_f32(vld1q_f32(s + j), inv_l));
    if (p)
        memcpy(p, s, (size_t)skv * sizeof *p);

    /* o = sum_{j visible} p[j] * v_j */
    weighted_sum(a, kv, s, key, n, o);
}

static MHA_ATTENTION_FN(simd_neon_attention)
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
 * C[i0:i0+rows][j0:j0+8] = A[i0:i0+rows][:] * B[:][j0:j0+8], rows <= 4,
 * columns beyond n masked off. Each C element is one FMA chain over p in
 * ascending order, so every block shape gives the same bits.
 */
enum { MR = 4, NR = 8 };

static void matmul_block(int64_t rows, int64_t cols, int64_t k, const float *a, int64_t lda,
                         const float *b, int64_t ldb, float *c, int64_t ldc)
{
    float32x4_t acc[MR][2];
    for (int r = 0; r < MR; r++)
        acc[r][0] = acc[r][1] = vdupq_n_f32(0.0f);
    if (rows == MR && cols == NR) {
        /* acc[r] += A[r][p] * B[p][0:8] */
        for (int64_t p = 0; p < k; p++) {
            const float32x4_t b0 = vld1q_f32(b + p * ldb), b1 = vld1q_f32(b + p * ldb + LANES);
            for (int r = 0; r < MR; r++) {
                const float32x4_t ar = vdupq_n_f32(a[r * lda + p]);
                acc[r][0] = vfmaq_f32(acc[r][0], ar, b0);
                acc[r][1] = vfmaq_f32(acc[r][1], ar, b1);
            }
        }
        for (int r = 0; r < MR; r++) {
            vst1q_f32(c + r * ldc, acc[r][0]);
            vst1q_f32(c + r * ldc + LANES, acc[r][1]);
        }
        return;
    }
    /* edge block: the same with tail loads and stores */
    for (int64_t p = 0; p < k; p++) {
        const float32x4_t b0 = load_tail(b + p * ldb, cols);
        const float32x4_t b1 = load_tail(b + p * ldb + LANES, cols - LANES);
        for (int r = 0; r < rows; r++) {
            const float32x4_t ar = vdupq_n_f32(a[r * lda + p]);
            acc[r][0] = vfmaq_f32(acc[r][0], ar, b0);
            acc[r][1] = vfmaq_f32(acc[r][1], ar, b1);
        }
    }
    for (int r = 0; r < rows; r++) {
        store_tail(c + r * ldc, cols, acc[r][0]);
        store_tail(c + r * ldc + LANES, cols - LANES, acc[r][1]);
    }
}

/* C = A * B in blocks of 4 rows x 8 columns; threads split the row blocks. */
static MHA_MATMUL_FN(simd_neon_matmul)
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

const mha_impl mha_impl_simd_neon = {
    .abi_version = MHA_ABI_VERSION,
    .name = "simd_neon",
    .algorithm = "simd",
    .isa = "neon",
    .summary = "naive's row algorithm with NEON intrinsics: 8 keys per dot block, vectorized exp",
    .cpu_features = MHA_CPU_NEON,
    .caps = MHA_CAP_PROBS | MHA_CAP_DETERMINISTIC | MHA_CAP_THREADS,
    .priority = 40,
    .workspace = simd_neon_workspace,
    .attention = simd_neon_attention,
    .matmul = simd_neon_matmul,
};
