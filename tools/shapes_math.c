/* Shape arithmetic; formulas are stated in shapes_math.h. */
#include "shapes_math.h"

double shapes_layer_params(int64_t heads, int64_t kv_heads, int64_t head_dim)
{
    const double d = (double)heads * (double)head_dim, dkv = (double)kv_heads * (double)head_dim;
    return 2.0 * d * d + 2.0 * d * dkv;
}

double shapes_projection_flops(int64_t batch, int64_t seq, int64_t heads, int64_t kv_heads, int64_t head_dim)
{
    const double d = (double)heads * (double)head_dim, dkv = (double)kv_heads * (double)head_dim;
    return 2.0 * (double)batch * (double)seq * d * (2.0 * d + 2.0 * dkv);
}

double shapes_causal_pairs(int64_t q_len, int64_t kv_len)
{
    double pairs = 0;
    for (int64_t i = 0; i < q_len; i++) {
        int64_t lim = i + kv_len - q_len + 1;
        pairs += (double)(lim < 0 ? 0 : lim > kv_len ? kv_len : lim);
    }
    return pairs;
}

double shapes_attention_flops(int64_t batch, int64_t heads, int64_t q_len, int64_t kv_len, int64_t head_dim,
                              int causal)
{
    const double pairs = causal ? shapes_causal_pairs(q_len, kv_len) : (double)q_len * (double)kv_len;
    return 4.0 * (double)batch * (double)heads * (double)head_dim * pairs;
}

double shapes_attention_dominates_at(int64_t heads, int64_t kv_heads, int64_t head_dim, int causal)
{
    const double s = (double)heads * (double)head_dim + (double)kv_heads * (double)head_dim;
    return causal ? 2.0 * s : s;
}

double shapes_attention_bytes(int64_t batch, int64_t heads, int64_t kv_heads, int64_t q_len, int64_t kv_len,
                              int64_t head_dim)
{
    const double qo = 2.0 * (double)batch * (double)q_len * (double)heads * (double)head_dim;
    const double kv = 2.0 * (double)batch * (double)kv_len * (double)kv_heads * (double)head_dim;
    return 4.0 * (qo + kv);
}

double shapes_kv_cache_bytes_per_token(int64_t kv_heads, int64_t head_dim)
{
    return 2.0 * (double)kv_heads * (double)head_dim * 4.0;
}

double shapes_score_matrix_bytes(int64_t heads_at_once, int64_t q_len, int64_t kv_len)
{
    return (double)heads_at_once * (double)q_len * (double)kv_len * 4.0;
}

double shapes_flash_tile_bytes(int64_t br, int64_t bc, int64_t head_dim)
{
    return 4.0 * ((double)br * (double)bc + (double)br * (double)head_dim + 2.0 * (double)br);
}

double shapes_split_heads_macs(int64_t heads, int64_t head_dim)
{
    return (double)heads * (double)head_dim;
}

double shapes_full_heads_macs(int64_t heads, int64_t head_dim)
{
    return (double)heads * (double)heads * (double)head_dim;
}

double shapes_seed_count(int64_t heads, int64_t dims_per_head)
{
    return (double)heads * (double)dims_per_head * (double)dims_per_head;
}
