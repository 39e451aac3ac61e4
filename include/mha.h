/**
 * @file mha.h
 * @brief mhalab: one interface for multi-head attention, many implementations.
 *
 * Semantics, identical for every implementation:
 *
 *     P[b,h,i,:] = softmax_j( scale * <Q[b,i,h,:], K[b,j,h/G,:]> + M[b,h,i,j] )
 *     O[b,i,h,:] = sum_j P[b,h,i,j] * V[b,j,h/G,:]          with G = H / Hkv
 *
 * - B batch, H query heads, Hkv key/value heads (H % Hkv == 0; Hkv == H is
 *   MHA, Hkv == 1 is MQA, anything between is GQA), Sq query length, Skv
 *   key/value length, Dh head dimension. Q, K, V and O are fp32, bf16 or
 *   fp16 (mha_args.dtype and out_dtype, below); the mask and P are fp32.
 * - Q, K, V and O are strided views over [batch][seq][head][head_dim] with
 *   head_dim contiguous (stride 1). Strides are in elements. The seed layout
 *   (B, S, D = H*Dh), where heads are interleaved exactly as X @ W_Q leaves
 *   them, and the head-major layout (B, H, S, Dh) are both just strides
 *   (see mha_strides_bshd() and mha_strides_bhsd()). Pointers need no
 *   particular alignment.
 * - scale == 0 (or -0) means 1/sqrt(Dh); every other finite float, a
 *   subnormal included, is used as given (NaN and infinities are refused).
 *   scale is a float: a caller whose scale starts as a double must check
 *   the conversion, since a nonzero double of magnitude below about
 *   7e-46 becomes 0 and so selects the default, and one below FLT_MIN
 *   (1.18e-38) keeps only some of its digits. `mha attend --scale`
 *   refuses both, and values that overflow to infinity.
 * - Optional additive mask M, indexed [b][h][i][j] through its own strides;
 *   a stride of 0 broadcasts that axis. -INFINITY entries are allowed.
 * - Optional causal flag, aligned bottom-right: query i sees key j only if
 *   j <= i + (Skv - Sq), which is what decoding against a KV cache needs.
 * - Keys hidden by the mask (causal, or an entry of -INFINITY) are never
 *   read. A row whose keys are all hidden gives O = 0 and P = 0, never NaN.
 * - NaN propagates: a NaN score (from Q, or from K of a visible key) makes
 *   the row's normaliser NaN, so its whole probability row (hidden keys
 *   included) and its output are NaN; a NaN in V of a visible key makes
 *   the output NaN.
 *   Inputs of magnitude 1e4 do not overflow: softmax subtracts the row max.
 * - Optional probabilities P, written contiguous [B][H][Sq][Skv].
 * - threads == 0 means all cores this process may run on. An
 *   implementation that declares MHA_CAP_DETERMINISTIC gives the same
 *   bits for every thread count.
 * - Threads are the library's own pool of POSIX threads, started on first
 *   need and then kept asleep between calls; the calling thread always
 *   works too. A call runs at most min(threads, its work items) threads
 *   (items: query rows, heads or query blocks, by implementation) and its
 *   workspace is sized for that many, so a large count on a small problem
 *   costs nothing. When the system refuses a thread (RLIMIT_NPROC, memory)
 *   the call runs on the threads that did start, down to the caller alone,
 *   and returns the same result: the library never prints and never ends
 *   the process. Calls from several application threads at once are safe
 *   (one uses the pool, the others start threads for that call); after
 *   fork() the child starts a pool of its own when it needs one.
 *
 * Every call to mha_attention() is validated in one place before dispatch;
 * on any error nothing is written to the caller's buffers, the status says
 * which rule was broken and mha_last_error() names the argument, its value
 * and what was expected.
 */
#ifndef MHA_H
#define MHA_H

#include "mha_version.h" /* MHA_VERSION_STRING, from meson.build */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Bumped whenever mha_impl or a function signature changes. Version 2
 * appended mha_args.dtype, mha_args.out_dtype, mha_impl.dtypes and
 * mha_impl.matmul_workspace, and gave MHA_MATMUL_FN its work buffer; a port
 * built against version 1 still loads and runs its attention, fp32 only
 * (its matmul, of the old signature, is not called).
 */
#define MHA_ABI_VERSION 2


/* ------------------------------------------------------------------ */
/** @name Status codes                                                 */
/* ------------------------------------------------------------------ */

typedef enum mha_status {
    MHA_OK = 0,
    MHA_ERR_NULL_POINTER,      /**< a required pointer is NULL */
    MHA_ERR_BAD_DIMENSION,     /**< a dimension is <= 0 */
    MHA_ERR_HEAD_RATIO,        /**< H is not a multiple of Hkv */
    MHA_ERR_BAD_STRIDE,        /**< negative stride, or an output view that overlaps itself */
    MHA_ERR_SIZE_OVERFLOW,     /**< an element count or byte size overflows size_t */
    MHA_ERR_BAD_SCALE,         /**< scale is NaN or infinite */
    MHA_ERR_BAD_THREADS,       /**< thread count < 0 */
    MHA_ERR_OVERLAP,           /**< an output buffer overlaps an input or the other output */
    MHA_ERR_UNSUPPORTED,       /**< the implementation lacks a requested capability */
    MHA_ERR_CPU_FEATURES,      /**< the CPU (or the feature mask) lacks the implementation's ISA */
    MHA_ERR_WORKSPACE_TOO_SMALL, /**< caller workspace smaller than mha_workspace_size() */
    MHA_ERR_OUT_OF_MEMORY,     /**< the library could not allocate workspace */
    MHA_ERR_ABI_MISMATCH,      /**< descriptor built against another MHA_ABI_VERSION */
    MHA_ERR_BAD_DESCRIPTOR,    /**< descriptor lacks a name or attention function */
    MHA_ERR_IMPL_FAILED,       /**< the implementation could not compute (e.g. an out-of-process port failed) */
    MHA_ERR_BAD_DTYPE,         /**< dtype or out_dtype is no mha_dtype value, or a combination the implementation lacks */
    MHA_STATUS_COUNT
} mha_status;

/** Short fixed text for a status ("head count not divisible by kv heads"). */
const char *mha_status_str(mha_status status);

/** Message of the last failed call on this thread: argument, value, expectation. */
const char *mha_last_error(void);

/* ------------------------------------------------------------------ */
/** @name Element types                                                */
/* ------------------------------------------------------------------ */

/**
 * Element type of Q, K, V and O. Low-precision semantics, for every
 * implementation: inputs are taken as given (already rounded to their
 * dtype); scores and their softmax are computed with at least fp32
 * accumulation; an implementation may round P to the inputs' dtype before
 * P V; O is accumulated in fp32 at least and rounded once to out_dtype
 * (round to nearest even).
 */
typedef enum mha_dtype {
    MHA_F32  = 0,  /**< IEEE binary32 */
    MHA_BF16 = 1,  /**< bfloat16: the upper 16 bits of a binary32 */
    MHA_F16  = 2,  /**< IEEE binary16 */
    MHA_DTYPE_COUNT
} mha_dtype;

/** Input/output dtype combinations a descriptor supports (mha_impl.dtypes). */
enum {
    MHA_IO_F32      = 1u << 0,  /**< q, k, v fp32; out fp32 */
    MHA_IO_BF16_F32 = 1u << 1,  /**< q, k, v bf16; out fp32 */
    MHA_IO_BF16     = 1u << 2,  /**< q, k, v bf16; out bf16 */
    MHA_IO_F16_F32  = 1u << 3,  /**< q, k, v fp16; out fp32 */
    MHA_IO_F16      = 1u << 4,  /**< q, k, v fp16; out fp16 */
};

/** The MHA_IO_* bit of (in, out), 0 when that pair is no combination. */
uint32_t mha_dtype_combo(mha_dtype in, mha_dtype out);

/** "fp32", "bf16", "fp16"; "?" for a value that is no mha_dtype. */
const char *mha_dtype_name(mha_dtype dtype);

/** The dtype whose mha_dtype_name() is name: 0 and *dtype set, or -1 (*dtype untouched). */
int mha_dtype_from_name(const char *name, mha_dtype *dtype);

/** Bytes of one element: 4, 2, 2; 0 for a value that is no mha_dtype. */
size_t mha_dtype_size(mha_dtype dtype);

/*
 * Portable conversions (integer code, no CPU feature needed). To the narrow
 * type: round to nearest, ties to even; NaN stays NaN (quiet, sign kept);
 * an fp16 overflow gives infinity; subnormals are kept. To fp32: exact.
 */
float    mha_bf16_to_f32(uint16_t x);
uint16_t mha_f32_to_bf16(float x);
float    mha_f16_to_f32(uint16_t x);
uint16_t mha_f32_to_f16(float x);

/* ------------------------------------------------------------------ */
/** @name Shapes and strided views                                     */
/* ------------------------------------------------------------------ */

/** Problem dimensions. */
typedef struct mha_shape {
    int64_t batch;     /**< B */
    int64_t heads;     /**< H, query heads */
    int64_t kv_heads;  /**< Hkv, key/value heads; H % Hkv == 0 */
    int64_t q_len;     /**< Sq */
    int64_t kv_len;    /**< Skv */
    int64_t head_dim;  /**< Dh */
} mha_shape;

/** Element strides of a [batch][seq][head][head_dim] view; head_dim has stride 1. */
typedef struct mha_strides {
    int64_t batch;
    int64_t seq;
    int64_t head;
} mha_strides;

/** Seed layout (B, S, H*Dh): heads interleaved inside each token's row. */
mha_strides mha_strides_bshd(int64_t seq_len, int64_t heads, int64_t head_dim);

/** Head-major layout (B, H, S, Dh). */
mha_strides mha_strides_bhsd(int64_t seq_len, int64_t heads, int64_t head_dim);

/** Element strides of the additive mask, indexed [b][h][i][j] (j has stride 1). 0 broadcasts. */
typedef struct mha_mask_strides {
    int64_t batch;
    int64_t head;
    int64_t row;
} mha_mask_strides;

/** Everything one attention call needs. Zero-initialise, then fill in. */
typedef struct mha_args {
    mha_shape shape;
    const void *q;   mha_strides q_strides;   /**< [B][Sq][H][Dh] view of dtype */
    const void *k;   mha_strides k_strides;   /**< [B][Skv][Hkv][Dh] view of dtype */
    const void *v;   mha_strides v_strides;   /**< [B][Skv][Hkv][Dh] view of dtype */
    void *out;       mha_strides out_strides; /**< [B][Sq][H][Dh] view of out_dtype, written */
    float scale;                  /**< 0 means 1/sqrt(Dh) */
    const float *mask;            /**< optional additive mask, NULL for none */
    mha_mask_strides mask_strides;
    int causal;                   /**< nonzero: bottom-right aligned causal mask */
    float *probs;                 /**< optional, written contiguous [B][H][Sq][Skv] */
    int threads;                  /**< 0 means all cores */
    void *workspace;              /**< optional caller buffer, NULL lets the library allocate */
    size_t workspace_bytes;       /**< size of that buffer */
    mha_dtype dtype;              /**< of q, k, v; MHA_F32 when zero-initialised */
    mha_dtype out_dtype;          /**< MHA_F32 or the inputs' dtype */
} mha_args;

/**
 * Arguments for Q, K, V and O in the seed layout (B, S, heads*Dh): zeroed,
 * then the shape, the four pointers and their mha_strides_bshd() strides.
 */
mha_args mha_args_bshd(mha_shape shape, const float *q, const float *k, const float *v, float *out);

/* ------------------------------------------------------------------ */
/** @name CPU features                                                 */
/* ------------------------------------------------------------------ */

enum {
    MHA_CPU_AVX2     = 1u << 0,  /**< AVX2 (with OS support for YMM state) */
    MHA_CPU_FMA      = 1u << 1,  /**< FMA3 */
    MHA_CPU_AVX512F  = 1u << 2,  /**< AVX-512F (with OS support for ZMM and opmask state) */
    MHA_CPU_AVX512BW = 1u << 3,
    MHA_CPU_AVX512DQ = 1u << 4,
    MHA_CPU_AVX512VL = 1u << 5,
    MHA_CPU_AVX512BF16 = 1u << 6,
    MHA_CPU_NEON     = 1u << 7,  /**< AArch64 Advanced SIMD */
    MHA_CPU_F16C     = 1u << 8,  /**< fp16 <-> fp32 conversions (VCVTPH2PS, VCVTPS2PH) */
    MHA_CPU_AVX512FP16 = 1u << 9, /**< AVX-512 FP16 arithmetic */
    MHA_CPU_NEON_BF16 = 1u << 10, /**< AArch64 FEAT_BF16: BFDOT, BFMMLA */
    MHA_CPU_NEON_FHM = 1u << 11,  /**< AArch64 FEAT_FHM: FMLAL, FMLSL */
    MHA_CPU_ALL      = 0xfffu
};

/** What the CPU and OS support, ignoring the mask. */
uint32_t mha_cpu_detected(void);

/** mha_cpu_detected() & the current mask: what implementations may use. */
uint32_t mha_cpu_features(void);

/**
 * Lower the usable features for the whole process (tests force fallbacks
 * with this). MHA_CPU_ALL restores. The initial mask comes from the
 * environment variable MHA_CPU_LEVEL (a name from mha_cpu_levels()), read
 * once per process together with the detection; an unknown name is ignored
 * (the library prints nothing; the `mha` program warns).
 */
void mha_cpu_set_mask(uint32_t mask);

/** Space-separated feature names of a bit set ("avx2 fma"), into buf. */
const char *mha_cpu_feature_names(uint32_t features, char *buf, size_t size);

/**
 * Feature mask levels of this build's architecture, lowest first
 * (x86-64: baseline, avx2 (with f16c), avx512 (with the avx512 extensions
 * detected); aarch64: baseline, neon (with the NEON extensions detected)).
 * Returns the count; *names and *masks point to static arrays.
 */
int mha_cpu_levels(const char *const **names, const uint32_t **masks);

/* ------------------------------------------------------------------ */
/** @name Implementation descriptors                                   */
/* ------------------------------------------------------------------ */

/** Capability bits of an implementation. */
enum {
    MHA_CAP_PROBS         = 1u << 0, /**< can write the probability tensor */
    MHA_CAP_DETERMINISTIC = 1u << 1, /**< same bits for every thread count */
    MHA_CAP_THREADS       = 1u << 2, /**< uses more than one thread when asked */
};

/*
 * One macro per function signature, for the typedefs below and for
 * declarations. A definition spells its parameters; stored in an mha_impl
 * field, it is checked against the typedef.
 */

/** Attention on validated arguments: scale resolved, threads >= 1, workspace sized. */
#define MHA_ATTENTION_FN(name) \
    void name(const mha_args *args, void *workspace)

/** Bytes of workspace needed for a shape and thread count (0 for none). */
#define MHA_WORKSPACE_FN(name) \
    size_t name(const mha_shape *shape, int threads, int want_probs)

/**
 * C[m x n] = A[m x k] * B[k x n], row-major with leading dimensions, C
 * overwritten. work holds the bytes the descriptor's matmul_workspace
 * gives for (m, n, k, threads), 64-byte aligned (NULL when that is 0 or
 * there is no matmul_workspace). It never allocates and cannot fail.
 */
#define MHA_MATMUL_FN(name) \
    void name(int64_t m, int64_t n, int64_t k, \
              const float *a, int64_t lda, \
              const float *b, int64_t ldb, \
              float *c, int64_t ldc, int threads, void *work)

/** Bytes of work buffer the matmul needs for these sizes and up to `threads` threads (0 for none). */
#define MHA_MATMUL_WORKSPACE_FN(name) \
    size_t name(int64_t m, int64_t n, int64_t k, int threads)

typedef MHA_ATTENTION_FN(mha_attention_fn);
typedef MHA_WORKSPACE_FN(mha_workspace_fn);
typedef MHA_MATMUL_FN(mha_matmul_fn);
typedef MHA_MATMUL_WORKSPACE_FN(mha_matmul_workspace_fn);

/** An implementation: built-in ones are listed in the registry, ports export one. */
typedef struct mha_impl {
    uint32_t abi_version;          /**< MHA_ABI_VERSION at build time */
    const char *name;              /**< "naive", "flash_avx512", ... */
    const char *algorithm;         /**< "naive", "gemm", "simd", "flash", ... */
    const char *isa;               /**< "c", "avx2", "avx512", "neon", "blas", ... */
    const char *summary;           /**< one line for `mha list` */
    uint32_t cpu_features;         /**< MHA_CPU_* bits required to run */
    uint32_t caps;                 /**< MHA_CAP_* bits */
    int priority;                  /**< higher wins in mha_impl_best() */
    mha_workspace_fn *workspace;   /**< NULL means no workspace */
    mha_attention_fn *attention;   /**< required */
    mha_matmul_fn *matmul;         /**< optional; the layer uses a portable one otherwise */
    uint32_t dtypes;               /**< MHA_IO_* bits; 0 means MHA_IO_F32 only */
    mha_matmul_workspace_fn *matmul_workspace; /**< bytes matmul needs; NULL means none */
} mha_impl;

/*
 * A port built against ABI version 1 exports a descriptor without the
 * dtypes and matmul_workspace fields. The conformance loader copies that
 * prefix into a version-2 descriptor (dtypes = MHA_IO_F32) and never reads
 * past it; mha_args only gained fields at its end, so such a port reads its
 * fp32 arguments where it always did. Its matmul has the version-1
 * signature (no work buffer), so the copy has none and the layer uses the
 * portable one. mha_validate() refuses every abi_version other than
 * MHA_ABI_VERSION.
 */

/** Symbol an out-of-tree port exports: `const mha_impl *mha_port_impl(void);` */
#define MHA_PORT_SYMBOL "mha_port_impl"
typedef const mha_impl *mha_port_entry_fn(void);

/** Number of implementations compiled into this library. */
size_t mha_impl_count(void);

/** The i-th implementation (registry order), NULL past the end. */
const mha_impl *mha_impl_get(size_t i);

/** Implementation by name, NULL if not compiled in. */
const mha_impl *mha_impl_find(const char *name);

/** Highest-priority implementation whose features this CPU has (never NULL). */
const mha_impl *mha_impl_best(void);

/**
 * Whether impl can run here. Returns 1 if so; otherwise 0 and, if why is
 * not NULL, writes the reason ("CPU lacks avx512f") into why.
 */
int mha_impl_runnable(const mha_impl *impl, char *why, size_t why_size);

/**
 * Whether impl could run with the given features (intersected with what the
 * CPU has), without touching the process-wide mask: "would naive_avx2 run at
 * the baseline level?" Same return value and why as mha_impl_runnable().
 */
int mha_impl_runnable_with(const mha_impl *impl, uint32_t features, char *why, size_t why_size);

/* ------------------------------------------------------------------ */
/** @name Attention                                                    */
/* ------------------------------------------------------------------ */

/**
 * Check args against the contract and impl's capabilities, dtypes included
 * (args->dtype -> args->out_dtype must be one of impl->dtypes); writes nothing.
 */
mha_status mha_validate(const mha_impl *impl, const mha_args *args);

/** Bytes of workspace impl needs for args (0 if none). Validate first. */
size_t mha_workspace_size(const mha_impl *impl, const mha_args *args);

/** Validate, then run impl. On error nothing is written to out or probs. */
mha_status mha_attention(const mha_impl *impl, const mha_args *args);

/**
 * The float64 reference: the naive algorithm in double precision on the
 * same inputs (of args->dtype, each converted exactly to double). out is
 * contiguous [B][Sq][H][Dh], probs (optional) contiguous [B][H][Sq][Skv];
 * args->out is validated as a view of out_dtype but never written.
 * Validated like mha_attention() (the arguments; no descriptor).
 */
mha_status mha_reference(const mha_args *args, double *out, double *probs);

/* ------------------------------------------------------------------ */
/** @name The full layer of the seeds                                  */
/* ------------------------------------------------------------------ */

/**
 * Weights of one attention layer, row-major, applied as X @ W (no bias):
 * W_Q and W_O are D x D, W_K and W_V are D x (Hkv*Dh), Dh = D / H.
 */
typedef struct mha_layer {
    int64_t d_model;   /**< D */
    int64_t heads;     /**< H; D % H == 0 */
    int64_t kv_heads;  /**< Hkv; H % Hkv == 0 */
    const float *w_q;
    const float *w_k;
    const float *w_v;
    const float *w_o;
} mha_layer;

/** Inputs and outputs of one layer forward pass. Zero-initialise, then fill in. */
typedef struct mha_layer_args {
    int64_t batch;         /**< B */
    int64_t seq_len;       /**< S */
    const float *x;        /**< contiguous (B, S, D) */
    float *y;              /**< contiguous (B, S, D), written */
    const float *mask;     /**< optional additive mask, as in mha_args */
    mha_mask_strides mask_strides;
    int causal;
    float *probs;          /**< optional (B, H, S, S) */
    int threads;           /**< 0 means all cores */
} mha_layer_args;

/**
 * Y = merge_heads(attention(split_heads(X W_Q), split_heads(X W_K),
 *                           split_heads(X W_V))) W_O
 * The projections use impl->matmul when it has one, else a portable one.
 * One allocation per call holds Q, K, V, the merged context, the
 * attention's workspace and the matmul's work buffer; when it fails the
 * call returns MHA_ERR_OUT_OF_MEMORY and writes nothing.
 */
mha_status mha_layer_forward(const mha_impl *impl, const mha_layer *layer,
                             const mha_layer_args *args);

/* Seed-style helpers on one sequence, matrices (S, D) row-major. */

/** Q = X W_q, K = X W_k, V = X W_v, all (S, D). */
mha_status mha_compute_qkv(int64_t seq_len, int64_t d_model, const float *x,
                           const float *w_q, const float *w_k, const float *w_v,
                           float *q, float *k, float *v);

/** One head: out = softmax(Q K^T / sqrt(d)) V, all (S, d). */
mha_status mha_self_attention(int64_t seq_len, int64_t d, const float *q,
                              const float *k, const float *v, float *out);

/** Split (S, D) into n_heads heads of D/n_heads, attend each, concatenate to (S, D). */
mha_status mha_multi_head_attention(int64_t seq_len, int64_t d_model,
                                    int64_t n_heads, const float *q,
                                    const float *k, const float *v, float *out);

/* ------------------------------------------------------------------ */
/** @name Portable PRNG (frozen: golden vectors depend on it)          */
/* ------------------------------------------------------------------ */

/**
 * SplitMix64 (Steele, Lea, Flood 2014): state += 0x9E3779B97F4A7C15, then
 * z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) *
 * 0x94D049BB133111EB; z ^= z >> 31. Integer-only, so every platform and
 * compiler produces the same stream. These constants never change.
 */
typedef struct mha_rng {
    uint64_t state;
} mha_rng;

/** Seed the generator (any 64-bit value). */
void mha_rng_seed(mha_rng *rng, uint64_t seed);

/** Next 64 raw bits. */
uint64_t mha_rng_next(mha_rng *rng);

/**
 * Uniform in [-1, 1) on the grid k / 2^23, k in [-2^23, 2^23): the top 24
 * bits of the next output minus 2^23, times 2^-23. Every value is exact in
 * fp32 (24 significant bits).
 */
float mha_rng_uniform(mha_rng *rng);

/** Fill n floats with mha_rng_uniform() times scale. */
void mha_rng_fill(mha_rng *rng, float *dst, size_t n, float scale);

/** Weights as the seeds make them: uniform [-1, 1) from seed, times 1/sqrt(d_model). */
void mha_init_weights(uint64_t seed, int64_t d_model, float *w, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* MHA_H */
