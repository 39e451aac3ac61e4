/*
 * naive against the float64 reference on small cases covering the whole
 * contract, within the a-priori bound of attention_bound.h; plus NaN
 * propagation, fully masked rows, layouts and thread-count determinism.
 */
#include "attention_bound.h"
#include "check.h"
#include "mha.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct problem {
    const char *name;
    int64_t B, H, Hkv, Sq, Skv, Dh;
    int causal, head_major, mask_kind; /* mask: 0 none, 1 broadcast with -inf, 2 per head, 3 row fully masked */
    float scale, magnitude;            /* magnitude: inputs uniform in [-magnitude, magnitude) */
} problem;

typedef struct buffers {
    float *q, *k, *v, *mask, *out, *probs;
    double *ref, *ref_probs;
    mha_args args;
} buffers;

static void make(const problem *p, buffers *x, uint64_t seed)
{
    size_t nq = (size_t)(p->B * p->Sq * p->H * p->Dh), nkv = (size_t)(p->B * p->Skv * p->Hkv * p->Dh);
    size_t nm = (size_t)(p->B * p->H * p->Sq * p->Skv);
    x->q = malloc(nq * 4); x->k = malloc(nkv * 4); x->v = malloc(nkv * 4);
    x->out = malloc(nq * 4); x->probs = malloc(nm * 4);
    x->ref = malloc(nq * 8); x->ref_probs = malloc(nm * 8);
    x->mask = p->mask_kind ? malloc(nm * 4) : NULL;
    mha_rng rng;
    mha_rng_seed(&rng, seed);
    mha_rng_fill(&rng, x->q, nq, p->magnitude);
    mha_rng_fill(&rng, x->k, nkv, p->magnitude);
    mha_rng_fill(&rng, x->v, nkv, 1.0f);
    mha_args *a = &x->args;
    memset(a, 0, sizeof *a);
    a->shape = (mha_shape){p->B, p->H, p->Hkv, p->Sq, p->Skv, p->Dh};
    mha_strides (*layout)(int64_t, int64_t, int64_t) = p->head_major ? mha_strides_bhsd : mha_strides_bshd;
    a->q = x->q; a->q_strides = layout(p->Sq, p->H, p->Dh);
    a->k = x->k; a->k_strides = layout(p->Skv, p->Hkv, p->Dh);
    a->v = x->v; a->v_strides = layout(p->Skv, p->Hkv, p->Dh);
    a->out = x->out; a->out_strides = layout(p->Sq, p->H, p->Dh);
    a->scale = p->scale;
    a->causal = p->causal;
    a->probs = x->probs;
    a->threads = 1;
    if (p->mask_kind) {
        mha_rng_fill(&rng, x->mask, nm, 2.0f);
        for (size_t e = 0; e < nm; e += 3)
            x->mask[e] = -INFINITY; /* every third entry hides a key */
        a->mask = x->mask;
        a->mask_strides.row = p->Skv;
        a->mask_strides.head = p->mask_kind == 2 ? p->Sq * p->Skv : 0;
        a->mask_strides.batch = p->mask_kind == 2 ? p->H * p->Sq * p->Skv : 0;
        if (p->mask_kind == 3)
            for (int64_t j = 0; j < p->Skv; j++)
                x->mask[1 * p->Skv + j] = -INFINITY; /* query row 1 sees nothing */
    }
}

static void release(buffers *x)
{
    free(x->q); free(x->k); free(x->v); free(x->mask); free(x->out); free(x->probs);
    free(x->ref); free(x->ref_probs);
}

static const float *out_row(const mha_args *a, int64_t b, int64_t i, int64_t h)
{
    return (const float *)a->out + b * a->out_strides.batch + i * a->out_strides.seq + h * a->out_strides.head;
}

/* Compares naive's output and probabilities with the reference row by row. */
static void compare(const problem *p, buffers *x)
{
    const mha_args *a = &x->args;
    double max_v = 0;
    for (size_t e = 0; e < (size_t)(p->B * p->Skv * p->Hkv * p->Dh); e++)
        max_v = max_of(max_v, fabs((double)x->v[e]));
    double worst_ratio = 0;
    for (int64_t b = 0; b < p->B; b++)
        for (int64_t h = 0; h < p->H; h++)
            for (int64_t i = 0; i < p->Sq; i++) {
                double tol = attention_row_bound(a, b, i, h, max_v, 0);
                double ptol = attention_row_bound(a, b, i, h, max_v, 1);
                const float *o = out_row(a, b, i, h);
                const double *r = x->ref + ((b * p->Sq + i) * p->H + h) * p->Dh;
                for (int64_t d = 0; d < p->Dh; d++) {
                    double err = fabs((double)o[d] - r[d]);
                    worst_ratio = max_of(worst_ratio, err / tol);
                    CHECK(err <= tol, "%s: out[b%lld i%lld h%lld d%lld] = %.9g, reference %.17g, error %.3g > bound %.3g",
                          p->name, (long long)b, (long long)i, (long long)h, (long long)d, (double)o[d], r[d], err,
                          tol);
                }
                size_t prow = (size_t)(((b * p->H + h) * p->Sq + i) * p->Skv);
                for (int64_t j = 0; j < p->Skv; j++) {
                    double err = fabs((double)x->probs[prow + j] - x->ref_probs[prow + j]);
                    CHECK(err <= ptol, "%s: probs[b%lld h%lld i%lld j%lld] error %.3g > bound %.3g", p->name,
                          (long long)b, (long long)h, (long long)i, (long long)j, err, ptol);
                }
            }
    printf("%-28s worst error / bound = %.3f\n", p->name, worst_ratio);
}

int main(void)
{
    const mha_impl *naive = mha_impl_find("naive");
    const problem cases[] = {
        {"mha", 2, 4, 4, 5, 5, 8, 0, 0, 0, 0.0f, 1.0f},
        {"gqa", 1, 6, 2, 7, 9, 16, 0, 0, 0, 0.0f, 1.0f},
        {"mqa head-major", 2, 4, 1, 4, 6, 5, 0, 1, 0, 0.0f, 1.0f},
        {"causal Sq<Skv", 1, 2, 2, 3, 8, 4, 1, 0, 0, 0.0f, 1.0f},
        {"causal Sq>Skv", 1, 2, 1, 6, 3, 4, 1, 0, 0, 0.0f, 1.0f},
        {"mask broadcast -inf", 2, 2, 2, 4, 7, 3, 0, 0, 1, 0.0f, 1.0f},
        {"mask per head", 2, 3, 1, 4, 5, 3, 0, 1, 2, 0.0f, 1.0f},
        {"mask full row + causal", 1, 2, 2, 4, 4, 8, 1, 0, 3, 0.0f, 1.0f},
        {"large logits 1e4", 1, 2, 2, 4, 6, 8, 0, 0, 0, 1.0f, 40.0f}, /* |score| up to 8*1600 = 1.3e4 */
        {"custom scale", 1, 1, 1, 3, 3, 2, 0, 0, 0, 0.25f, 1.0f},
        {"Dh 1 S 1", 1, 1, 1, 1, 1, 1, 0, 0, 0, 0.0f, 1.0f},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const problem *p = &cases[c];
        buffers x;
        make(p, &x, 100 + c);
        mha_status st = mha_attention(naive, &x.args);
        CHECK(st == MHA_OK, "%s: %s", p->name, mha_last_error());
        st = mha_reference(&x.args, x.ref, x.ref_probs);
        CHECK(st == MHA_OK, "%s: reference: %s", p->name, mha_last_error());
        compare(p, &x);

        /* Threads: same bits for 1 and 3 threads. */
        size_t nq = (size_t)(p->B * p->Sq * p->H * p->Dh);
        float *one = malloc(nq * 4);
        memcpy(one, x.out, nq * 4);
        x.args.threads = 3;
        mha_attention(naive, &x.args);
        CHECK(memcmp(one, x.out, nq * 4) == 0, "%s: 3 threads differ from 1", p->name);
        free(one);

        /* Fully masked rows are zeros, in the output and the probabilities. */
        if (p->mask_kind == 3 || (p->causal && p->Sq > p->Skv)) {
            int64_t row = p->mask_kind == 3 ? 1 : 0; /* causal Sq > Skv: row 0 sees j <= 0 + 3 - 6 < 0 */
            const float *o = out_row(&x.args, 0, row, 0);
            int zeros = 1;
            for (int64_t d = 0; d < p->Dh; d++)
                zeros &= o[d] == 0.0f;
            for (int64_t j = 0; j < p->Skv; j++)
                zeros &= x.probs[row * p->Skv + j] == 0.0f;
            CHECK(zeros, "%s: fully masked row %lld is not zeros", p->name, (long long)row);
        }
        release(&x);
    }

    /* NaN: in one query row it reaches that row only; in a V row every row that sees it;
     * in a V row hidden by the causal mask, no row. */
    problem np = {"nan", 1, 1, 1, 4, 4, 4, 1, 0, 0, 0.0f, 1.0f};
    buffers x;
    make(&np, &x, 7);
    x.q[2 * 4 + 1] = NAN; /* query row 2 */
    mha_attention(naive, &x.args);
    for (int64_t i = 0; i < 4; i++)
        CHECK((isnan(x.out[i * 4]) != 0) == (i == 2), "NaN in q row 2: out row %lld nan=%d", (long long)i,
              isnan(x.out[i * 4]) != 0);
    x.q[2 * 4 + 1] = 0.5f;
    x.v[1 * 4 + 3] = NAN; /* key 1: seen by causal rows 1, 2, 3 */
    mha_attention(naive, &x.args);
    for (int64_t i = 0; i < 4; i++)
        CHECK((isnan(x.out[i * 4 + 3]) != 0) == (i >= 1), "NaN in v row 1: out row %lld nan=%d", (long long)i,
              isnan(x.out[i * 4 + 3]) != 0);
    release(&x);
    return check_summary();
}
