/*
 * Prints the C layout of include/mha.h's structures, one "struct.field
 * offset size" line per field and one "struct size" line per structure, for
 * python/tests/check_abi_layout.py to compare with mhalab/_abi.py.
 */
#include "mha.h"

#include <stddef.h>
#include <stdio.h>

#define SIZE(type) printf(#type " %zu\n", sizeof(type))
#define FIELD(type, field) printf(#type "." #field " %zu %zu\n", offsetof(type, field), sizeof(((type *)0)->field))

int main(void)
{
    printf("MHA_ABI_VERSION %d\n", MHA_ABI_VERSION);
    printf("MHA_STATUS_COUNT %d\n", (int)MHA_STATUS_COUNT);
    printf("MHA_CAP_PROBS %u\nMHA_CAP_DETERMINISTIC %u\nMHA_CAP_THREADS %u\n", (unsigned)MHA_CAP_PROBS,
           (unsigned)MHA_CAP_DETERMINISTIC, (unsigned)MHA_CAP_THREADS);
    SIZE(mha_shape);
    FIELD(mha_shape, batch);
    FIELD(mha_shape, heads);
    FIELD(mha_shape, kv_heads);
    FIELD(mha_shape, q_len);
    FIELD(mha_shape, kv_len);
    FIELD(mha_shape, head_dim);
    SIZE(mha_strides);
    FIELD(mha_strides, batch);
    FIELD(mha_strides, seq);
    FIELD(mha_strides, head);
    SIZE(mha_mask_strides);
    FIELD(mha_mask_strides, batch);
    FIELD(mha_mask_strides, head);
    FIELD(mha_mask_strides, row);
    SIZE(mha_args);
    FIELD(mha_args, shape);
    FIELD(mha_args, q);
    FIELD(mha_args, q_strides);
    FIELD(mha_args, k);
    FIELD(mha_args, k_strides);
    FIELD(mha_args, v);
    FIELD(mha_args, v_strides);
    FIELD(mha_args, out);
    FIELD(mha_args, out_strides);
    FIELD(mha_args, scale);
    FIELD(mha_args, mask);
    FIELD(mha_args, mask_strides);
    FIELD(mha_args, causal);
    FIELD(mha_args, probs);
    FIELD(mha_args, threads);
    FIELD(mha_args, workspace);
    FIELD(mha_args, workspace_bytes);
    SIZE(mha_impl);
    FIELD(mha_impl, abi_version);
    FIELD(mha_impl, name);
    FIELD(mha_impl, algorithm);
    FIELD(mha_impl, isa);
    FIELD(mha_impl, summary);
    FIELD(mha_impl, cpu_features);
    FIELD(mha_impl, caps);
    FIELD(mha_impl, priority);
    FIELD(mha_impl, workspace);
    FIELD(mha_impl, attention);
    FIELD(mha_impl, matmul);
#if MHA_ABI_VERSION >= 2
    printf("MHA_F32 %d\nMHA_BF16 %d\nMHA_F16 %d\n", (int)MHA_F32, (int)MHA_BF16, (int)MHA_F16);
    FIELD(mha_args, dtype);
    FIELD(mha_args, out_dtype);
    FIELD(mha_impl, dtypes);
    FIELD(mha_impl, matmul_workspace);
#endif
    SIZE(mha_layer);
    FIELD(mha_layer, d_model);
    FIELD(mha_layer, heads);
    FIELD(mha_layer, kv_heads);
    FIELD(mha_layer, w_q);
    FIELD(mha_layer, w_k);
    FIELD(mha_layer, w_v);
    FIELD(mha_layer, w_o);
    SIZE(mha_layer_args);
    FIELD(mha_layer_args, batch);
    FIELD(mha_layer_args, seq_len);
    FIELD(mha_layer_args, x);
    FIELD(mha_layer_args, y);
    FIELD(mha_layer_args, mask);
    FIELD(mha_layer_args, mask_strides);
    FIELD(mha_layer_args, causal);
    FIELD(mha_layer_args, probs);
    FIELD(mha_layer_args, threads);
    return 0;
}
