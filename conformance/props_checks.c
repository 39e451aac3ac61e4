/* The property checks of the table in props.c; see props.h. */
#include "props.h"

#include "tolerance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Row i, head h of a [S][H][Dh] tensor. */
static float *row(float *t, int64_t i, int64_t H, int64_t h, int64_t Dh)
{
    return t + (i * H + h) * Dh;
}

/* Head h alone (H = Hkv = 1) equals head h of the multi-head call (the shape has H = Hkv). */
void prop_single_head(prop *p)
{
    const case_data *d = &p->d[0];
    const mha_shape *s = &d->c.shape;
    const int64_t H = s->heads, Sq = s->q_len, Skv = s->kv_len, Dh = s->head_dim;
    const size_t row_bytes = (size_t)Dh * sizeof(float);
    case_data e;
    memset(&e, 0, sizeof e);
    e.c = d->c;
    e.c.shape.heads = e.c.shape.kv_heads = 1;
    e.in.q = malloc((size_t)(Sq * Dh) * sizeof(float));
    e.in.k = malloc((size_t)(Skv * Dh) * sizeof(float));
    e.in.v = malloc((size_t)(Skv * Dh) * sizeof(float));
    if (!e.in.q || !e.in.k || !e.in.v)
        prop_fail(p, "out of memory");
    else if (!prop_call(p, d, p->a, NULL))
        for (int64_t h = 0; h < H && !p->v.failed; h++) {
            for (int64_t i = 0; i < Sq; i++)
                memcpy(e.in.q + i * Dh, row(d->in.q, i, H, h, Dh), row_bytes);
            for (int64_t j = 0; j < Skv; j++) {
                memcpy(e.in.k + j * Dh, row(d->in.k, j, H, h, Dh), row_bytes);
                memcpy(e.in.v + j * Dh, row(d->in.v, j, H, h, Dh), row_bytes);
            }
            if (prop_call(p, &e, p->b, NULL))
                break;
            for (int64_t i = 0; i < Sq; i++) /* head h of the multi-head output, into scratch */
                memcpy(p->pa + i * Dh, row(p->a, i, H, h, Dh), row_bytes);
            char what[96];
            snprintf(what, sizeof what, "head %lld alone and within H = %lld", (long long)h, (long long)H);
            prop_compare(p, what, p->b, p->pa, (size_t)(Sq * Dh), prop_tol_out(p, d));
        }
    case_free_inputs(&e.in);
}

/* GQA (H > Hkv) equals MHA with each kv head repeated H / Hkv times. */
void prop_gqa_repeat(prop *p)
{
    const case_data *d = &p->d[0];
    const mha_shape *s = &d->c.shape;
    const int64_t H = s->heads, Hkv = s->kv_heads, Skv = s->kv_len, Dh = s->head_dim, G = H / Hkv;
    case_data e = *d; /* shares q and the reference; k and v are its own */
    e.c.shape.kv_heads = H;
    e.in.k = malloc((size_t)(Skv * H * Dh) * sizeof(float));
    e.in.v = malloc((size_t)(Skv * H * Dh) * sizeof(float));
    if (e.in.k && e.in.v) {
        for (int64_t j = 0; j < Skv; j++)
            for (int64_t h = 0; h < H; h++) {
                memcpy(row(e.in.k, j, H, h, Dh), row(d->in.k, j, Hkv, h / G, Dh), (size_t)Dh * sizeof(float));
                memcpy(row(e.in.v, j, H, h, Dh), row(d->in.v, j, Hkv, h / G, Dh), (size_t)Dh * sizeof(float));
            }
        if (!prop_call(p, d, p->a, NULL) && !prop_call(p, &e, p->b, NULL))
            prop_compare(p, "GQA and MHA with repeated K/V", p->a, p->b, case_out_count(s), prop_tol_out(p, d));
    } else {
        prop_fail(p, "out of memory");
    }
    free(e.in.k);
    free(e.in.v);
}

/* The causal flag equals an additive mask with -inf above the bottom-right diagonal. */
void prop_causal_mask(prop *p)
{
    const case_data *d = &p->d[0];
    const mha_shape *s = &d->c.shape;
    const int64_t Sq = s->q_len, Skv = s->kv_len;
    case_data e = *d; /* shares q, k, v and the reference; the mask is its own */
    e.c.causal = 0;
    e.in.mask_b = e.in.mask_h = 1;
    e.in.mask = malloc((size_t)(Sq * Skv) * sizeof(float));
    if (e.in.mask) {
        for (int64_t i = 0; i < Sq; i++)
            for (int64_t j = 0; j < Skv; j++)
                e.in.mask[i * Skv + j] = j <= i + Skv - Sq ? 0.0f : -INFINITY;
        const int pr = p->probs;
        if (!prop_call(p, d, p->a, pr ? p->pa : NULL) && !prop_call(p, &e, p->b, pr ? p->pb : NULL)) {
            prop_compare(p, "causal flag and -inf mask outputs", p->a, p->b, case_out_count(s), prop_tol_out(p, d));
            if (pr)
                prop_compare(p, "causal flag and -inf mask probs", p->pa, p->pb, case_probs_count(s),
                             prop_tol_probs(p, d));
        }
    } else {
        prop_fail(p, "out of memory");
    }
    free(e.in.mask);
}

/* Rows whose keys are all masked are exactly zero in out and probs: shape 0 by the mask, 1 by causal Sq > Skv. */
void prop_masked_rows_zero(prop *p)
{
    for (int t = 0; t < 2 && !p->v.failed; t++) {
        const case_data *d = &p->d[t];
        const mha_shape *s = &d->c.shape;
        const char *how = t ? "causal Sq > Skv" : "mask full_rows";
        const int pr = p->probs;
        if (prop_call(p, d, p->a, pr ? p->pa : NULL))
            break;
        for (int64_t h = 0; h < s->heads && !p->v.failed; h++)
            for (int64_t i = 0; i < s->q_len && !p->v.failed; i++) {
                const int empty = t == 0 ? i % 5 == 1 : i < s->q_len - s->kv_len;
                if (!empty)
                    continue;
                for (int64_t x = 0; x < s->head_dim; x++)
                    if (p->a[(i * s->heads + h) * s->head_dim + x] != 0.0f) {
                        prop_fail(p, "%s: fully masked row out[b=0,i=%lld,h=%lld,d=%lld] = %.9g, expected 0", how,
                                  (long long)i, (long long)h, (long long)x, p->a[(i * s->heads + h) * s->head_dim + x]);
                        break;
                    }
                for (int64_t j = 0; pr && j < s->kv_len && !p->v.failed; j++)
                    if (p->pa[(h * s->q_len + i) * s->kv_len + j] != 0.0f)
                        prop_fail(p, "%s: fully masked row probs[b=0,h=%lld,i=%lld,j=%lld] = %.9g, expected 0", how,
                                  (long long)h, (long long)i, (long long)j, p->pa[(h * s->q_len + i) * s->kv_len + j]);
            }
    }
}

/* Max over rows of |sum_j p[j] - 1| (rows the reference leaves at 0 must sum to 0). */
static double row_sum_error(const float *probs, const double *ref, int64_t rows, int64_t skv)
{
    double worst = 0;
    for (int64_t r = 0; r < rows; r++) {
        double sum = 0, want = 0;
        for (int64_t j = 0; j < skv; j++) {
            sum += probs[r * skv + j];
            want += ref[r * skv + j];
        }
        const double e = fabs(sum - (want > 0.5 ? 1.0 : 0.0));
        worst = e > worst || isnan(e) ? e : worst;
    }
    return worst;
}

/* Every probability row sums to 1 within factor * (naive's row-sum error) + floor * eps. */
void prop_probs_sum(prop *p)
{
    const case_data *d = &p->d[0];
    const mha_shape *s = &d->c.shape;
    if (prop_call(p, d, p->a, p->pa))
        return;
    mha_args a = case_args(&d->c, &d->in);
    a.out = p->b;
    a.probs = p->pb;
    a.threads = 1;
    if (mha_attention(naive_impl(), &a) != MHA_OK) {
        prop_fail(p, "naive: %s", mha_last_error());
        return;
    }
    const int64_t rows = s->batch * s->heads * s->q_len;
    const double e_naive = row_sum_error(p->pb, d->ref_probs, rows, s->kv_len);
    const double e_impl = row_sum_error(p->pa, d->ref_probs, rows, s->kv_len);
    const double tol = tolerance_of(p->v.o->factor, p->v.o->floor, e_naive, 1.0);
    if (!(e_impl <= tol))
        prop_fail(p, "a probability row sums to 1 +- %.3g, allowed %.3g (naive: %.3g)", e_impl, tol, e_naive);
}

/* Permuting keys and values together (no mask) leaves the output unchanged. */
void prop_permute_kv(prop *p)
{
    const case_data *d = &p->d[0];
    const mha_shape *s = &d->c.shape;
    const int64_t Skv = s->kv_len, Hkv = s->kv_heads, Dh = s->head_dim, rows = s->heads * s->q_len;
    int64_t *perm = malloc((size_t)Skv * sizeof *perm);
    float *un = malloc(case_probs_count(s) * sizeof *un);
    case_data e = *d; /* shares q and the reference; k and v are its own */
    e.in.k = malloc((size_t)(Skv * Hkv * Dh) * sizeof(float));
    e.in.v = malloc((size_t)(Skv * Hkv * Dh) * sizeof(float));
    if (!perm || !un || !e.in.k || !e.in.v) {
        prop_fail(p, "out of memory");
        goto done;
    }
    /* Fisher-Yates from the portable PRNG */
    mha_rng rng;
    mha_rng_seed(&rng, 2024);
    for (int64_t j = 0; j < Skv; j++)
        perm[j] = j;
    for (int64_t j = Skv - 1; j > 0; j--) {
        int64_t r = (int64_t)(mha_rng_next(&rng) % (uint64_t)(j + 1)), t = perm[j];
        perm[j] = perm[r];
        perm[r] = t;
    }
    for (int64_t j = 0; j < Skv; j++) {
        memcpy(e.in.k + j * Hkv * Dh, d->in.k + perm[j] * Hkv * Dh, (size_t)(Hkv * Dh) * sizeof(float));
        memcpy(e.in.v + j * Hkv * Dh, d->in.v + perm[j] * Hkv * Dh, (size_t)(Hkv * Dh) * sizeof(float));
    }
    const int pr = p->probs;
    if (prop_call(p, d, p->a, pr ? p->pa : NULL) || prop_call(p, &e, p->b, pr ? p->pb : NULL))
        goto done;
    prop_compare(p, "outputs with and without permuted keys", p->a, p->b, case_out_count(s), prop_tol_out(p, d));
    if (pr) { /* probs of the permuted call, un-permuted */
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < Skv; j++)
                un[r * Skv + perm[j]] = p->pb[r * Skv + j];
        prop_compare(p, "probs with and without permuted keys", p->pa, un, case_probs_count(s), prop_tol_probs(p, d));
    }
done:
    free(perm);
    free(un);
    free(e.in.k);
    free(e.in.v);
}
