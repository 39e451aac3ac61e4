/*
 * Teaching tables: shape arithmetic from shapes_math.h, printed beside the
 * measured tables. Shapes: the seeds' toy layer (D 16, 4 heads), the
 * widths in the results (H x Dh), and a 7B-class layer (D 4096, 32 heads).
 */
#include "report.h"
#include "shapes_math.h"

#include <stdlib.h>
#include <string.h>

typedef struct teach_shape {
    const char *name;
    int64_t heads, head_dim;
} teach_shape;

static int collect_shapes(const rep_data *d, teach_shape *out, int max, char names[][48])
{
    int n = 0;
    out[n++] = (teach_shape){"seeds' toy", 4, 4};
    for (int i = 0; i < d->n_runs && n < max - 1; i++) {
        const rep_run *r = &d->runs[i];
        int seen = 0;
        for (int k = 0; k < n; k++)
            seen |= out[k].heads == r->heads && out[k].head_dim == r->head_dim;
        if (seen)
            continue;
        snprintf(names[n], 48, "grid H %lld x Dh %lld", (long long)r->heads, (long long)r->head_dim);
        out[n] = (teach_shape){names[n], r->heads, r->head_dim};
        n++;
    }
    out[n++] = (teach_shape){"7B-class", 32, 128};
    return n;
}

static void num(char *buf, size_t size, double v)
{
    if (v >= 1e9)
        snprintf(buf, size, "%.2f G", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, size, "%.2f M", v / 1e6);
    else if (v >= 1e4)
        snprintf(buf, size, "%.1f k", v / 1e3);
    else
        snprintf(buf, size, "%.0f", v);
}

/* A layer of width H*Dh; GQA rows use H/4 kv heads when that is a GQA
 * choice, else shapes_kv_cache()'s (the largest divisor below H). */
static shapes_cfg layer(int64_t heads, int64_t head_dim, int64_t seq)
{
    shapes_cfg c = {1, seq, heads * head_dim, heads, heads};
    shapes_kv kv[3];
    c.kv_heads = heads / 4 > 1 && heads % (heads / 4) == 0 ? heads / 4 : heads;
    shapes_kv_cache(&c, kv);
    c.kv_heads = kv[1].kv_heads ? kv[1].kv_heads : heads;
    return c;
}

static int64_t gqa_heads(int64_t h)
{
    shapes_cfg c = layer(h, 1, 1);
    return c.kv_heads < h ? c.kv_heads : 0;
}

static double params(int64_t heads, int64_t kv_heads, int64_t head_dim)
{
    shapes_cfg c = {1, 1, heads * head_dim, heads, kv_heads};
    return (double)shapes_parameters(&c).total;
}

int rep_write_teaching(const rep_data *d, FILE *f)
{
    teach_shape sh[12];
    char names[12][48];
    int n = collect_shapes(d, sh, 12, names);
    char a[32], b[32], c[32], e[32];

    fprintf(f, "## Teaching tables (computed from the shapes, not measured)\n\n"
               "D = H x Dh is the model width. GQA uses H/4 kv heads (the largest divisor below H when H/4 < 2), MQA one.\n\n");

    fprintf(f, "### Parameters of one attention layer\n\n"
               "W_Q and W_O are D x D; W_K and W_V are D x (Hkv Dh): 2 D^2 + 2 D Hkv Dh, which is 4 D^2 for MHA.\n\n"
               "| shape | D | H | Dh | MHA | GQA (Hkv) | MQA | MQA / MHA |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (int i = 0; i < n; i++) {
        const int64_t h = sh[i].heads, dh = sh[i].head_dim, g = gqa_heads(h);
        num(a, sizeof a, params(h, h, dh));
        num(b, sizeof b, g ? params(h, g, dh) : 0);
        num(c, sizeof c, params(h, 1, dh));
        char gq[80];
        if (g)
            snprintf(gq, sizeof gq, "%s (%lld)", b, (long long)g);
        else
            snprintf(gq, sizeof gq, "-");
        fprintf(f, "| %s | %lld | %lld | %lld | %s | %s | %s | %.2f |\n", sh[i].name, (long long)(h * dh),
                (long long)h, (long long)dh, a, gq, c, params(h, 1, dh) / params(h, h, dh));
    }

    fprintf(f, "\n### Projections vs attention FLOPs, one sequence (B = 1, self-attention, MHA)\n\n"
               "Projections: 2 S D (2 D + 2 Hkv Dh). Attention: 4 S^2 D (Q K^T and P V). Attention dominates from\n"
               "S = D + Hkv Dh (2 D for MHA), twice that when causal.\n\n"
               "| shape | D | S = 128 | S = 1024 | S = 8192 | attention dominates from S = | causal | GQA causal |\n"
               "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (int i = 0; i < n; i++) {
        const int64_t h = sh[i].heads, dh = sh[i].head_dim, g = gqa_heads(h);
        fprintf(f, "| %s | %lld |", sh[i].name, (long long)(h * dh));
        static const int64_t ss[] = {128, 1024, 8192};
        for (int k = 0; k < 3; k++) {
            double p = shapes_projection_flops(1, ss[k], h, h, dh), at = shapes_attention_flops(1, h, ss[k], ss[k], dh, 0);
            fprintf(f, " %.0f%% attention |", 100.0 * at / (at + p));
        }
        fprintf(f, " %.0f | %.0f | %s |\n", shapes_attention_dominates_at(h, h, dh, 0),
                shapes_attention_dominates_at(h, h, dh, 1), g ? (snprintf(e, sizeof e, "%.0f",
                shapes_attention_dominates_at(h, g, dh, 1)), e) : "-");
    }

    fprintf(f, "\n### Split heads vs full-size heads (the seeds' comparison)\n\n"
               "Split: H heads of Dh = D/H dims (what everyone does). Full-size: H heads of D dims each.\n"
               "The seeds count H x d^2 per step (4 x 4^2 = 64 vs 4 x 16^2 = 1024, \"16x\"), a ratio of H^2.\n"
               "Counting the attention itself, each (query, key) pair costs H x Dh = D multiply-adds split and\n"
               "H x D full-size: H times more; and full-size heads need H times the projection weights\n"
               "(W_Q: D x H D), so the parameter count is not the same either.\n\n"
               "| shape | H | seeds' count split | seeds' count full | ratio | score MACs per pair split | full-size | ratio |"
               " weights split | full-size |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (int i = 0; i < n; i++) {
        shapes_cfg cfg = layer(sh[i].heads, sh[i].head_dim, 1);
        shapes_split_cost sc = shapes_split_vs_full(&cfg);
        /* per (query, key) pair: the S = 1 attention FLOPs / 2 (one multiply-add is 2 FLOPs), per scores + PV */
        num(a, sizeof a, (double)sc.params_split);
        num(b, sizeof b, (double)sc.params_full);
        fprintf(f, "| %s | %lld | %llu | %llu | %.0fx | %llu | %llu | %.0fx | %s | %s |\n", sh[i].name,
                (long long)cfg.heads, (unsigned long long)sc.seed_split, (unsigned long long)sc.seed_full,
                (double)sc.seed_full / (double)sc.seed_split, (unsigned long long)(sc.attn_flops_split / 4),
                (unsigned long long)(sc.attn_flops_full / 4), (double)sc.attn_flops_full / (double)sc.attn_flops_split,
                a, b);
    }

    fprintf(f, "\n### KV-cache bytes per token and layer (fp32: 2 x Hkv x Dh x 4)\n\n"
               "| shape | MHA | GQA (Hkv) | MQA | MHA, 4096-token context | GQA | MQA |\n"
               "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (int i = 0; i < n; i++) {
        shapes_cfg cfg = layer(sh[i].heads, sh[i].head_dim, 4096);
        shapes_kv kv[3];
        shapes_kv_cache(&cfg, kv);
        char t[6][32];
        for (int k = 0; k < 3; k++) {
            rep_bytes_text((double)kv[k].bytes_per_token, t[k], 32);
            rep_bytes_text((double)kv[k].bytes_per_sequence, t[3 + k], 32);
            if (!kv[k].kv_heads)
                snprintf(t[k], 32, "-"), snprintf(t[3 + k], 32, "-");
        }
        fprintf(f, "| %s | %s | %s (%lld) | %s | %s | %s | %s |\n", sh[i].name, t[0], t[1], (long long)kv[1].kv_heads,
                t[2], t[3], t[4], t[5]);
    }

    /* Score memory beside the workspace the implementations reported. */
    int64_t h0 = 8;
    for (int i = 0; i < d->n_runs; i++)
        if (d->runs[i].head_dim == 64 && d->runs[i].q_len > 1) {
            h0 = d->runs[i].heads;
            break;
        }
    fprintf(f, "\n### Score memory: the S x S matrix vs a flash tile (Dh 64, H %lld, B 1)\n\n"
               "A gemm-style kernel materialises S x S x 4 bytes of scores per head it holds at once; a flash kernel\n"
               "keeps a Br x Bc tile, a Br x Dh accumulator and 2 Br statistics per thread (Br = Bc = 64 here).\n"
               "Measured columns: the workspace each implementation reported at that S (Dh 64, non-causal).\n\n"
               "| S | one head S x S | all %lld heads | flash tile per thread |", (long long)h0, (long long)h0);
    int *impl_cols = malloc(((size_t)d->n_series + 1) * sizeof *impl_cols), n_cols = 0;
    if (!impl_cols)
        return -1;
    for (int s = 0; s < d->n_series; s++)
        for (int i = 0; i < d->n_runs; i++)
            if (d->runs[i].series == s && d->runs[i].workspace >= 0 && d->runs[i].head_dim == 64) {
                impl_cols[n_cols++] = s;
                fprintf(f, " measured %s |", d->series[s].label);
                break;
            }
    fprintf(f, "\n| ---: | ---: | ---: | ---: |");
    for (int k = 0; k < n_cols; k++)
        fprintf(f, " ---: |");
    fprintf(f, "\n");
    static const int64_t ss[] = {128, 512, 1024, 2048, 4096, 8192, 16384};
    for (int k = 0; k < 7; k++) {
        rep_bytes_text(shapes_score_matrix_bytes(1, ss[k], ss[k]), a, sizeof a);
        rep_bytes_text(shapes_score_matrix_bytes(h0, ss[k], ss[k]), b, sizeof b);
        rep_bytes_text(shapes_flash_tile_bytes(64, 64, 64), c, sizeof c);
        fprintf(f, "| %lld | %s | %s | %s |", (long long)ss[k], a, b, c);
        for (int j = 0; j < n_cols; j++) {
            double best_t = -1, ws = -1;
            for (int i = 0; i < d->n_runs; i++) {
                const rep_run *r = &d->runs[i];
                if (r->series == impl_cols[j] && r->q_len == ss[k] && r->kv_len == ss[k] && r->head_dim == 64 &&
                    !r->causal && r->kv_heads == r->heads && r->heads == h0 && r->workspace >= 0 &&
                    r->threads > best_t)
                    best_t = r->threads, ws = r->workspace;
            }
            if (ws >= 0) {
                rep_bytes_text(ws, e, sizeof e);
                fprintf(f, " %s (T%.0f) |", e, best_t);
            } else {
                fprintf(f, " - |");
            }
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n");
    free(impl_cols);
    return ferror(f) ? -1 : 0;
}
