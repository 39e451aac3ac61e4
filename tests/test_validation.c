/*
 * Every validation rule of mha_validate(): each broken argument gives its
 * own status and a message naming the argument, and the output buffers are
 * left untouched.
 */
#include "check.h"
#include "mha.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

enum { B = 1, H = 2, HKV = 1, S = 3, DH = 4, N_Q = B * S * H * DH, N_KV = B * S * HKV * DH };

static float q[N_Q], k[N_KV], v[N_KV], out[N_Q], probs[B * H * S * S], mask[S * S];
static const float SENTINEL = 12345.0f;

static mha_args good_args(void)
{
    mha_args a = mha_args_bshd((mha_shape){B, H, HKV, S, S, DH}, q, k, v, out);
    a.threads = 1;
    return a;
}

static void fill_sentinel(void)
{
    for (size_t i = 0; i < N_Q; i++) out[i] = SENTINEL;
    for (size_t i = 0; i < sizeof probs / sizeof probs[0]; i++) probs[i] = SENTINEL;
}

static int untouched(void)
{
    for (size_t i = 0; i < N_Q; i++) if (out[i] != SENTINEL) return 0;
    for (size_t i = 0; i < sizeof probs / sizeof probs[0]; i++) if (probs[i] != SENTINEL) return 0;
    return 1;
}

/* Runs mha_attention on a; expects `want` and a message containing `needle`. */
static void expect(const char *what, mha_args a, const mha_impl *impl, mha_status want, const char *needle)
{
    fill_sentinel();
    mha_status got = mha_attention(impl, &a);
    CHECK(got == want, "%s: status %d (%s), expected %d (%s)", what, got, mha_status_str(got), want,
          mha_status_str(want));
    CHECK(strstr(mha_last_error(), needle) != NULL, "%s: message '%s' lacks '%s'", what, mha_last_error(), needle);
    CHECK(untouched(), "%s: output buffers were written", what);
}

int main(void)
{
    const mha_impl *naive = mha_impl_find("naive");
    CHECK(naive != NULL, "naive is registered");
    for (size_t i = 0; i < N_Q; i++) q[i] = (float)i / N_Q;
    for (size_t i = 0; i < N_KV; i++) k[i] = v[i] = (float)i / N_KV;

    mha_args a = good_args();
    fill_sentinel();
    CHECK(mha_attention(naive, &a) == MHA_OK, "good arguments pass: %s", mha_last_error());
    CHECK(!untouched(), "good call writes the output");

    expect("NULL impl", good_args(), NULL, MHA_ERR_NULL_POINTER, "impl");
    fill_sentinel();
    CHECK(mha_attention(naive, NULL) == MHA_ERR_NULL_POINTER, "NULL args");
    a = good_args(); a.q = NULL; expect("NULL q", a, naive, MHA_ERR_NULL_POINTER, "args.q");
    a = good_args(); a.k = NULL; expect("NULL k", a, naive, MHA_ERR_NULL_POINTER, "args.k");
    a = good_args(); a.v = NULL; expect("NULL v", a, naive, MHA_ERR_NULL_POINTER, "args.v");
    a = good_args(); a.out = NULL; expect("NULL out", a, naive, MHA_ERR_NULL_POINTER, "args.out");

    a = good_args(); a.shape.batch = 0; expect("batch 0", a, naive, MHA_ERR_BAD_DIMENSION, "shape.batch = 0");
    a = good_args(); a.shape.heads = -2; expect("heads -2", a, naive, MHA_ERR_BAD_DIMENSION, "shape.heads = -2");
    a = good_args(); a.shape.kv_heads = 0; expect("kv_heads 0", a, naive, MHA_ERR_BAD_DIMENSION, "shape.kv_heads");
    a = good_args(); a.shape.q_len = 0; expect("q_len 0", a, naive, MHA_ERR_BAD_DIMENSION, "shape.q_len");
    a = good_args(); a.shape.kv_len = -1; expect("kv_len -1", a, naive, MHA_ERR_BAD_DIMENSION, "shape.kv_len");
    a = good_args(); a.shape.head_dim = 0; expect("head_dim 0", a, naive, MHA_ERR_BAD_DIMENSION, "shape.head_dim");

    a = good_args(); a.shape.heads = 3; a.shape.kv_heads = 2;
    expect("H % Hkv", a, naive, MHA_ERR_HEAD_RATIO, "shape.heads = 3 is not a multiple of shape.kv_heads = 2");

    a = good_args(); a.k_strides.seq = -4; expect("negative stride", a, naive, MHA_ERR_BAD_STRIDE, "k strides");
    a = good_args(); a.mask = mask; a.mask_strides.row = -1;
    expect("negative mask stride", a, naive, MHA_ERR_BAD_STRIDE, "mask strides");
    a = good_args(); a.out_strides.seq = 0;
    expect("out rows overlap", a, naive, MHA_ERR_BAD_STRIDE, "out: stride 0");
    a = good_args(); a.out_strides.head = 2; /* heads of 4 floats 2 apart overlap */
    expect("out heads overlap", a, naive, MHA_ERR_BAD_STRIDE, "out: stride 2");

    a = good_args(); a.scale = NAN; expect("NaN scale", a, naive, MHA_ERR_BAD_SCALE, "scale = nan");
    a = good_args(); a.scale = INFINITY; expect("inf scale", a, naive, MHA_ERR_BAD_SCALE, "scale = inf");
    a = good_args(); a.threads = -1; expect("threads -1", a, naive, MHA_ERR_BAD_THREADS, "threads = -1");

    /* Sizes that overflow: a huge stride makes offsets overflow 64 bits. */
    a = good_args(); a.q_strides.batch = INT64_MAX; a.shape.batch = 4;
    expect("offset overflow", a, naive, MHA_ERR_SIZE_OVERFLOW, "q: element offsets overflow");
    a = good_args(); a.q_strides.seq = INT64_MAX / 8;
    expect("bytes overflow", a, naive, MHA_ERR_SIZE_OVERFLOW, "q: view spans");
    a = good_args(); a.probs = probs; a.shape.q_len = INT64_MAX / 2; a.shape.kv_len = 4;
    a.q_strides.seq = 0; a.out_strides = mha_strides_bshd(1, H, DH);
    expect("probs count overflow", a, naive, MHA_ERR_SIZE_OVERFLOW, "probs");

    a = good_args(); a.out = (float *)q; expect("out aliases q", a, naive, MHA_ERR_OVERLAP, "out");
    a = good_args(); a.probs = out + 2; /* probs needs 18 floats: out[2..19] */
    expect("probs overlaps out", a, naive, MHA_ERR_OVERLAP, "overlaps");

    /* A capability the implementation lacks, and an ABI mismatch. */
    mha_impl no_probs = *naive;
    no_probs.caps &= ~(uint32_t)MHA_CAP_PROBS;
    a = good_args(); a.probs = probs;
    expect("probs unsupported", a, &no_probs, MHA_ERR_UNSUPPORTED, "cannot write probabilities");
    mha_impl old_abi = *naive;
    old_abi.abi_version = MHA_ABI_VERSION + 1;
    expect("ABI mismatch", good_args(), &old_abi, MHA_ERR_ABI_MISMATCH, "ABI version");
    mha_impl no_fn = *naive;
    no_fn.attention = NULL;
    expect("no attention function", good_args(), &no_fn, MHA_ERR_BAD_DESCRIPTOR, "attention function");

    /* dtypes: values outside the enum, pairs that are no combination, combinations not declared. */
    a = good_args(); a.dtype = (mha_dtype)3;
    expect("dtype out of range", a, naive, MHA_ERR_BAD_DTYPE, "dtype = 3: expected MHA_F32 (0), MHA_BF16 (1) or MHA_F16 (2)");
    a = good_args(); a.out_dtype = (mha_dtype)-1;
    expect("out_dtype out of range", a, naive, MHA_ERR_BAD_DTYPE, "out_dtype = -1: expected");
    a = good_args(); a.dtype = MHA_BF16; a.out_dtype = MHA_F16;
    expect("bf16 -> fp16", a, naive, MHA_ERR_BAD_DTYPE, "out_dtype = fp16 with q/k/v bf16: expected out fp32 or bf16");
    a = good_args(); a.out_dtype = MHA_BF16;
    expect("fp32 -> bf16", a, naive, MHA_ERR_BAD_DTYPE, "out_dtype = bf16 with q/k/v fp32: expected out fp32 or fp32");
    mha_impl two_combos = *naive;
    two_combos.dtypes = MHA_IO_F32 | MHA_IO_BF16_F32;
    a = good_args(); a.dtype = MHA_BF16; a.out_dtype = MHA_BF16;
    expect("undeclared combination", a, &two_combos, MHA_ERR_BAD_DTYPE,
           "naive supports q/k/v fp32 -> out fp32, bf16 -> fp32; asked q/k/v bf16 -> out bf16");
    mha_impl fp32_by_default = *naive;
    fp32_by_default.dtypes = 0;
    a = good_args(); a.dtype = MHA_F16;
    expect("dtypes 0 means fp32 only", a, &fp32_by_default, MHA_ERR_BAD_DTYPE,
           "naive supports q/k/v fp32 -> out fp32; asked q/k/v fp16 -> out fp32");
    /* Extents count elements of each tensor's dtype: a bf16 out ends after 2 bytes per element. */
    mha_impl every_combo = *naive;
    every_combo.dtypes = MHA_IO_F32 | MHA_IO_BF16_F32 | MHA_IO_BF16 | MHA_IO_F16_F32 | MHA_IO_F16;
    float out_and_probs[N_Q + B * H * S * S];
    a = good_args(); a.out = out_and_probs; a.probs = out_and_probs + N_Q / 2;
    CHECK(mha_validate(&every_combo, &a) == MHA_ERR_OVERLAP, "fp32 out overlaps probs placed after half of it");
    a.dtype = a.out_dtype = MHA_BF16;
    CHECK(mha_validate(&every_combo, &a) == MHA_OK, "bf16 out ends where probs starts: %s", mha_last_error());
    a.dtype = MHA_F16; a.out_dtype = MHA_F32;
    CHECK(mha_validate(&every_combo, &a) == MHA_ERR_OVERLAP, "fp16 -> fp32: out is 4 bytes an element");

    /* A CPU lacking the ISA: an implementation requiring AVX2 under the baseline mask. */
    mha_impl needs_avx2 = *naive;
    needs_avx2.cpu_features = MHA_CPU_AVX2 | MHA_CPU_NEON;
    mha_cpu_set_mask(0);
    expect("CPU features", good_args(), &needs_avx2, MHA_ERR_CPU_FEATURES, "cannot run here");
    mha_cpu_set_mask(MHA_CPU_ALL);

    /* mha_impl_runnable_with asks about a feature set without touching the mask. */
    char why[128];
    const uint32_t mask_before = mha_cpu_features();
    CHECK(mha_impl_runnable_with(naive, 0, why, sizeof why) == 1 && why[0] == '\0', "naive needs nothing: %s", why);
    mha_impl avx2_only = *naive;
    avx2_only.cpu_features = MHA_CPU_AVX2;
    CHECK(mha_impl_runnable_with(&avx2_only, 0, why, sizeof why) == 0 && strstr(why, "avx2"),
          "needs avx2 at features 0: %s", why);
    CHECK(mha_impl_runnable_with(&needs_avx2, MHA_CPU_ALL, why, sizeof why) == 0 && strstr(why, "CPU lacks"),
          "no CPU has both AVX2 and NEON: %s", why);
    CHECK(mha_impl_runnable_with(&old_abi, MHA_CPU_ALL, why, sizeof why) == 0 && strstr(why, "ABI"),
          "ABI mismatch: %s", why);
    CHECK(mha_cpu_features() == mask_before, "runnable_with left the mask alone");

    /* Caller workspace too small. */
    float ws[2];
    a = good_args(); a.workspace = ws; a.workspace_bytes = sizeof ws;
    expect("workspace too small", a, naive, MHA_ERR_WORKSPACE_TOO_SMALL, "needs");

    /* Every status has its own text. */
    for (int s = 0; s < MHA_STATUS_COUNT; s++)
        for (int t = s + 1; t < MHA_STATUS_COUNT; t++)
            CHECK(strcmp(mha_status_str((mha_status)s), mha_status_str((mha_status)t)) != 0,
                  "status %d and %d share a text", s, t);

    /* Layer-level checks. */
    float w[16], x[8], y[8];
    for (int i = 0; i < 8; i++) y[i] = SENTINEL;
    mha_layer L = {4, 3, 3, w, w, w, w};
    mha_layer_args la = {1, 2, x, y, NULL, {0, 0, 0}, 0, NULL, 1};
    CHECK(mha_layer_forward(naive, &L, &la) == MHA_ERR_BAD_DIMENSION &&
              strstr(mha_last_error(), "layer.d_model = 4 is not a multiple of layer.heads = 3"),
          "layer D %% H: %s", mha_last_error());
    L.heads = 2; L.kv_heads = 3;
    CHECK(mha_layer_forward(naive, &L, &la) == MHA_ERR_HEAD_RATIO, "layer H %% Hkv: %s", mha_last_error());
    L.kv_heads = 2; L.w_o = NULL;
    CHECK(mha_layer_forward(naive, &L, &la) == MHA_ERR_NULL_POINTER && strstr(mha_last_error(), "w_o"),
          "layer NULL w_o: %s", mha_last_error());
    L.w_o = w; la.seq_len = 0;
    CHECK(mha_layer_forward(naive, &L, &la) == MHA_ERR_BAD_DIMENSION && strstr(mha_last_error(), "seq_len"),
          "layer seq_len 0: %s", mha_last_error());
    int y_untouched = 1;
    for (int i = 0; i < 8; i++) y_untouched &= y[i] == SENTINEL;
    CHECK(y_untouched, "layer errors leave y untouched");

    CHECK(mha_multi_head_attention(2, 4, 3, x, x, x, y) == MHA_ERR_BAD_DIMENSION &&
              strstr(mha_last_error(), "d_model = 4 is not a multiple of n_heads = 3"),
          "seed helper D %% n_heads: %s", mha_last_error());
    return check_summary();
}
