/*
 * The loops of each flash table (impl/flash/flash_tmpl.c, compiled per
 * ISA): pack_k, scores, softmax and run_block (which also packs V and runs
 * the mask, P V and, when V holds NaN or inf, the guarded P V), on driver
 * contexts built as flash_attention.c builds them (flash_loop_case.h), for
 * shapes with tails: keys not a multiple of the block, Dh not a multiple of
 * the vector width, query blocks not a multiple of the row tile, causal
 * diagonal blocks, rows that see no key, keys hidden by a -inf mask whose
 * K and V are NaN. Every table, flash_c's included, against a double
 * model; run_block also against flash_c's run_block. Every float of the
 * thread workspace a loop must not write keeps its bits, and the canary
 * past the workspace stays.
 *
 * Bounds (checkasm.h: u, gamma; e = MHA_VEXP_MAX_ERR * 2u, the relative
 * error of every exp of the loops: the vector exp, libm's expf within 0.502
 * ULP; inputs keep every exp argument above -87, so the results are
 * normal):
 *   pack_k:    exact (a transpose; keys past n are 0)
 *   scores:    as qk_tile (check_flash.c): gamma(Dh + 1) |scale| sum |q k|
 *   softmax:   m exact; alpha and each p = exp of the fp32 difference the
 *              loop forms, within e; l = alpha l_old + sum of nc values:
 *              sum of their bounds + gamma(nc + 1) (alpha l_old + sum p);
 *              a row with a NaN score: l NaN
 *   run_block: per row, over its visible keys t_j = scale q.k_j + mask_j
 *              (double), M = max t_j: a computed score is within
 *              D = max_j gamma(Dh + 2) (|scale| sum |q k_j| + |mask_j|), so
 *              |m - M| <= D; an exponent's argument rounding adds at most
 *              u (M - t_j + 2D) <= u R in total over the T key blocks (the
 *              rescales telescope), and each weight meets at most T exps.
 *              With a = D + u R - T log(1 - e) every unnormalised weight is
 *              within exp(+-a) of exp(t_j - m); the sums of O and l, with
 *              at most N + 2T + 1 roundings per term (N = T * bk_pad terms,
 *              padding included), add gamma = gamma(N + 2T + 1):
 *                l   within  l* (exp(a) (1 + gamma) - 1),  l* = sum exp(t_j - m)
 *                O/l within  max|V| (exp(2a) (1 + gamma) / (1 - gamma) - 1)
 *              of the model; against flash_c the sum of both bounds (m:
 *              2D). Rows that see no key: m = -inf, l = 0, O = 0 exactly.
 */
#include "checkasm.h"
#include "flash_loop_case.h"
#include "impl/vec/vexp_consts.h"

#include <math.h>
#include <string.h>

FLASH_TMPL_PROTOTYPES(c);

static const loop_shape shapes[] = {
    {{2, 4, 2, 37, 37, 33}, 1, 0, 20, 13}, /* GQA, causal diagonal blocks, Dh and key tails */
    {{1, 2, 2, 19, 50, 7}, 0, 1, 19, 24},  /* -inf mask, hidden keys' K and V NaN */
    {{1, 3, 1, 5, 41, 16}, 1, 1, 15, 16},  /* MQA, causal and mask */
    {{1, 1, 1, 30, 30, 64}, 1, 0, 11, 8},  /* causal, many key blocks, 3 query blocks */
    {{1, 2, 1, 12, 29, 9}, 0, 2, 24, 10},  /* NaN in V of a key hidden from some rows: guarded P V */
    {{1, 1, 1, 20, 9, 8}, 1, 0, 20, 4},    /* Sq > Skv causal: rows that see no key */
    {{1, 1, 1, 10, 17, 1}, 0, 0, 10, 5},   /* Dh 1 */
};
enum { SHAPES = sizeof shapes / sizeof shapes[0] };

static int64_t round_up(int64_t x, int64_t m)
{
    return (x + m - 1) / m * m;
}

/* K or V row of key j of the current block's batch and kv head. */
static const float *kv_row(const loop_block *lb, const float *base, int64_t j)
{
    return mha_row(base, lb->c.a->k_strides, lb->c.b, j, lb->c.g);
}

/* Calls fn(lb) for every query block of every shape, opened for table fk. */
static void each_block(const flash_kernels *fk, void (*fn)(loop_block *lb, const loop_inputs *in))
{
    for (int si = 0; si < SHAPES; si++) {
        loop_inputs in;
        loop_inputs_make(&in, &shapes[si]);
        const mha_shape *s = &shapes[si].s;
        for (int64_t b = 0; b < s->batch; b++)
            for (int64_t g = 0; g < s->kv_heads; g++)
                for (int64_t qb = 0;; qb++) {
                    loop_block lb;
                    loop_block_open(&lb, fk, &in, &shapes[si], b, g, qb);
                    const int64_t qblocks = lb.p.qblocks;
                    fn(&lb, &in);
                    loop_block_close(&lb);
                    if (qb + 1 >= qblocks)
                        break;
                }
        loop_inputs_free(&in);
    }
}

/* ---- pack_k ---- */

static void pack_k_block(loop_block *lb, const loop_inputs *in)
{
    const int64_t dh = in->a.shape.head_dim, nr = lb->fk->tile.nr, bk = lb->p.bk, skv = in->a.shape.kv_len;
    for (int64_t k0 = 0; k0 < skv; k0 += bk)
        for (int64_t n = 1; n <= bk && k0 + n <= skv; n++) { /* every tail of the strips */
            const int64_t cols = round_up(n, nr);
            float *before = loop_snapshot(lb);
            lb->fk->pack_k(&lb->c, k0, n);
            for (int64_t x = 0; x < cols * dh; x++) {
                const int64_t strip = x / (dh * nr), d = x / nr % dh, j = strip * nr + x % nr;
                checkasm_same("k_pack", x, lb->c.k_pack[x], j < n ? kv_row(lb, in->k, k0 + j)[d] : 0.0f);
            }
            for (int64_t x = cols * dh; x < lb->p.bk_pad * dh; x++)
                checkasm_same("k_pack (past the keys)", x, lb->c.k_pack[x], before[lb->p.off_k + (size_t)x]);
            loop_check_untouched(lb, before, 1u << PART_K);
        }
}

/* ---- scores ---- */

static void scores_block(loop_block *lb, const loop_inputs *in)
{
    const flash_kernels *fk = lb->fk;
    const int64_t dh = in->a.shape.head_dim, ld = lb->p.bk_pad, mr = fk->tile.mr, nr = fk->tile.nr;
    const int64_t n = flash_key_end(&lb->c, lb->p.bk);
    const double scale = in->a.scale;
    if (n <= 0)
        return;
    fk->pack_k(&lb->c, 0, n);
    for (int64_t r0 = 0; r0 < lb->c.nrows; r0 += loop_pass_rows(fk)) {
        const int64_t r1 = r0 + loop_pass_rows(fk) < lb->c.nrows ? r0 + loop_pass_rows(fk) : lb->c.nrows;
        const int64_t nt = lb->c.lim[r1 - 1] < n ? lb->c.lim[r1 - 1] : n, rows = round_up(r1, mr) - r0;
        if (nt <= 0)
            continue;
        float *before = loop_snapshot(lb);
        fk->scores(&lb->c, r0, r1, nt);
        for (int64_t rr = 0; rr < loop_pass_rows(fk); rr++)
            for (int64_t j = 0; j < ld; j++) {
                const int64_t x = rr * ld + j;
                if (rr >= rows || j >= round_up(nt, nr)) {
                    checkasm_same("s (outside the tiles)", x, lb->c.s[x], before[lb->p.off_s + (size_t)x]);
                    continue;
                }
                const float *q = lb->c.q + (r0 + rr) * dh, *k = j < n ? kv_row(lb, in->k, j) : NULL;
                double dot = 0.0, abs_dot = 0.0;
                for (int64_t d = 0; k && d < dh; d++) {
                    dot += (double)q[d] * k[d];
                    abs_dot += fabs((double)q[d] * k[d]);
                }
                checkasm_near("s", x, lb->c.s[x], scale * dot, checkasm_gamma(dh + 1) * scale * abs_dot);
            }
        loop_check_untouched(lb, before, 1u << PART_S);
    }
}

/* ---- softmax ---- */

/* Scores of a pass with every case of the update: rows 0 and 1 see nothing new (m_old -inf, finite), row 2 a NaN. */
static void softmax_block(loop_block *lb, const loop_inputs *in)
{
    const flash_kernels *fk = lb->fk;
    const int64_t ld = lb->p.bk_pad, n = lb->p.bk, nc = round_up(n, fk->tile.nr);
    const int64_t r1 = loop_pass_rows(fk) < lb->c.nrows ? loop_pass_rows(fk) : lb->c.nrows;
    const double e = MHA_VEXP_MAX_ERR * 2 * CHECKASM_U;
    (void)in;
    float m_old[64], l_old[64], s_in[64 * 512];
    for (int64_t r = 0; r < r1; r++) {
        m_old[r] = r == 0 || checkasm_rand_below(4) == 0 ? -INFINITY : checkasm_rand(8.0f);
        l_old[r] = m_old[r] == -INFINITY ? 0.0f : 1.0f + checkasm_rand(0.5f);
        for (int64_t j = 0; j < nc; j++)
            s_in[r * nc + j] = j >= n || r < 2 || checkasm_rand_below(4) == 0 ? -INFINITY : checkasm_rand(8.0f);
        if (r == 2)
            s_in[r * nc + checkasm_rand_below(n)] = NAN;
        lb->c.m[r] = m_old[r];
        lb->c.l[r] = l_old[r];
        memcpy(lb->c.s + r * ld, s_in + r * nc, (size_t)nc * sizeof(float));
    }
    float *before = loop_snapshot(lb);
    fk->softmax(&lb->c, 0, r1, n);
    for (int64_t r = 0; r < r1; r++) {
        float m_new = m_old[r];
        int has_nan = 0;
        for (int64_t j = 0; j < nc; j++) {
            m_new = s_in[r * nc + j] > m_new ? s_in[r * nc + j] : m_new;
            has_nan |= isnan(s_in[r * nc + j]);
        }
        if (has_nan) { /* a NaN score: l is NaN (row_max may pass it over; m is left unspecified) */
            checkasm_same("l (NaN score)", r, lb->c.l[r], NAN);
            continue;
        }
        const float *p = lb->c.s + r * ld;
        checkasm_same("m", r, lb->c.m[r], m_new);
        if (m_new == -INFINITY) { /* nothing visible yet: P = 0, the state as it was */
            for (int64_t j = 0; j < nc; j++)
                checkasm_same("p", r * ld + j, p[j], 0.0f);
            checkasm_same("alpha", r, lb->c.alpha[r], 1.0f);
            checkasm_same("l", r, lb->c.l[r], l_old[r]);
            continue;
        }
        const double alpha = m_new == m_old[r] ? 1.0 : exp((double)(float)(m_old[r] - m_new));
        checkasm_near("alpha", r, lb->c.alpha[r], alpha, e * alpha);
        double sum = fabs((double)lb->c.alpha[r] * l_old[r]), want_l = (double)lb->c.alpha[r] * l_old[r], bounds = 0;
        for (int64_t j = 0; j < nc; j++) {
            const double want = exp((double)(float)(s_in[r * nc + j] - m_new));
            checkasm_near("p", r * ld + j, p[j], want, e * want);
            want_l += want;
            sum += want * (1 + e);
            bounds += e * want;
        }
        checkasm_near("l", r, lb->c.l[r], want_l, bounds + checkasm_gamma(nc + 1) * sum);
    }
    for (int64_t x = r1 * ld; x < loop_pass_rows(fk) * ld; x++)
        checkasm_same("s (rows past the pass)", x, lb->c.s[x], before[lb->p.off_s + (size_t)x]);
    loop_check_untouched(lb, before, 1u << PART_S | 1u << PART_M | 1u << PART_L | 1u << PART_ALPHA);
}

/* ---- run_block ---- */

/* The driver's key loop (flash_attention.c run_keys) over the whole key range; returns the blocks run. */
static int64_t run_keys(loop_block *lb)
{
    const int64_t bk = lb->p.bk, kend = flash_key_end(&lb->c, lb->c.a->shape.kv_len);
    int64_t blocks = 0;
    for (int64_t k0 = 0; k0 < kend; k0 += bk, blocks++)
        lb->fk->run_block(&lb->c, k0, kend - k0 < bk ? kend - k0 : bk);
    return blocks;
}

/* One row's model in double over its visible keys, and the row's bounds after T key blocks. */
typedef struct row_model {
    int64_t visible;
    double m, delta, lo, max_v; /* M, D, min t_j, max |V| (NaN ignored) */
    double o[128];              /* sum_j exp(t_j - M) V_j / sum_j exp(t_j - M) */
} row_model;

static double score(const loop_block *lb, const loop_inputs *in, int64_t r, int64_t j, double *abs_part)
{
    const int64_t dh = in->a.shape.head_dim;
    int64_t i, h;
    flash_row_ih(&lb->c, r, &i, &h);
    const float *q = mha_row(in->q, in->a.q_strides, lb->c.b, i, h), *k = kv_row(lb, in->k, j);
    const float *mrow = mha_mask_row(&in->a, lb->c.b, h, i);
    double dot = 0.0, abs_dot = 0.0;
    for (int64_t d = 0; d < dh; d++) {
        dot += (double)q[d] * k[d];
        abs_dot += fabs((double)q[d] * k[d]);
    }
    const double mask = mrow ? mrow[j] : 0.0;
    *abs_part = fabs((double)in->a.scale) * abs_dot + fabs(mask);
    return in->a.scale * dot + mask;
}

static void model_row(const loop_block *lb, const loop_inputs *in, int64_t r, row_model *mo)
{
    const int64_t dh = in->a.shape.head_dim;
    mo->visible = 0;
    mo->m = mo->lo = mo->delta = mo->max_v = 0.0;
    for (int64_t pass = 0; pass < 2; pass++) {
        double z = 0.0;
        for (int64_t d = 0; d < dh; d++)
            mo->o[d] = 0.0;
        for (int64_t j = 0; j < lb->c.lim[r]; j++) {
            if (flash_key_hidden(&lb->c, r, 0, j))
                continue;
            double abs_part;
            const double t = score(lb, in, r, j, &abs_part);
            const float *v = kv_row(lb, in->v, j);
            if (pass == 0) { /* comparisons, not fmax: gcc 12 for AArch64 crashes vectorizing an fmax reduction */
                mo->m = !mo->visible || t > mo->m ? t : mo->m;
                mo->lo = !mo->visible || t < mo->lo ? t : mo->lo;
                const double delta = checkasm_gamma(dh + 2) * abs_part;
                mo->delta = delta > mo->delta ? delta : mo->delta;
                for (int64_t d = 0; d < dh; d++) /* a NaN in V compares false: left out */
                    mo->max_v = fabs((double)v[d]) > mo->max_v ? fabs((double)v[d]) : mo->max_v;
                mo->visible++;
                continue;
            }
            z += exp(t - mo->m);
            for (int64_t d = 0; d < dh; d++)
                mo->o[d] += exp(t - mo->m) * v[d];
        }
        for (int64_t d = 0; pass == 1 && d < dh; d++)
            mo->o[d] /= z;
    }
}

/* l* = sum_j exp(t_j - m) over the row's visible keys, with the computed m */
static double model_l(const loop_block *lb, const loop_inputs *in, int64_t r, double m)
{
    double l = 0.0, abs_part;
    for (int64_t j = 0; j < lb->c.lim[r]; j++)
        if (!flash_key_hidden(&lb->c, r, 0, j))
            l += exp(score(lb, in, r, j, &abs_part) - m);
    return l;
}

/* The bound of O/l for row r (see the top), and of l relative to l* through *l_rel. */
static double row_bound(const loop_block *lb, const row_model *mo, int64_t blocks, double *l_rel)
{
    const double e = MHA_VEXP_MAX_ERR * 2 * CHECKASM_U, u = CHECKASM_U;
    const double a = mo->delta + u * (mo->m - mo->lo + 2 * mo->delta) - (double)blocks * log1p(-e);
    const double g = checkasm_gamma(blocks * lb->p.bk_pad + 2 * blocks + 1);
    *l_rel = exp(a) * (1 + g) - 1;
    return mo->max_v * (exp(2 * a) * (1 + g) / (1 - g) - 1);
}

/* got, a double from fp32 results, within bound of want; converting it to float for the report adds u |got|. */
static void near_double(const char *what, int64_t i, double got, double want, double bound)
{
    checkasm_near(what, i, (float)got, want, bound + CHECKASM_U * (fabs(want) + bound));
}

static void run_block_block(loop_block *lb, const loop_inputs *in)
{
    const int64_t dh = in->a.shape.head_dim;
    float *before = loop_snapshot(lb);
    const int64_t blocks = run_keys(lb);
    loop_check_untouched(lb, before, 1u << PART_K | 1u << PART_V | 1u << PART_S | 1u << PART_O | 1u << PART_M |
                                         1u << PART_L | 1u << PART_ALPHA);
    loop_block ref; /* flash_c's loop on the same query block */
    loop_block_open(&ref, &flash_kernels_c, in, lb->shape, lb->c.b, lb->c.g, lb->qb);
    const int64_t ref_blocks = run_keys(&ref);
    for (int64_t r = 0; r < lb->c.nrows; r++) {
        row_model mo;
        model_row(lb, in, r, &mo);
        const float m = lb->c.m[r], l = lb->c.l[r], *o = lb->c.o + r * lb->p.dhp;
        if (!mo.visible) {
            checkasm_same("m (no key)", r, m, -INFINITY);
            checkasm_same("l (no key)", r, l, 0.0f);
            for (int64_t d = 0; d < dh; d++)
                checkasm_same("O (no key)", r * lb->p.dhp + d, o[d], 0.0f);
            continue;
        }
        double l_rel, ref_l_rel;
        const double bound = row_bound(lb, &mo, blocks, &l_rel);
        const double ref_bound = row_bound(&ref, &mo, ref_blocks, &ref_l_rel);
        checkasm_near("m", r, m, mo.m, mo.delta);
        checkasm_near("m against flash_c", r, m, ref.c.m[r], 2 * mo.delta);
        const double l_star = model_l(lb, in, r, m);
        checkasm_near("l", r, l, l_star, l_rel * l_star);
        const float *ref_o = ref.c.o + r * ref.p.dhp;
        for (int64_t d = 0; d < dh; d++) {
            const double got = (double)o[d] / l;
            near_double("O/l", r * lb->p.dhp + d, got, mo.o[d], bound);
            near_double("O/l against flash_c", r * lb->p.dhp + d, got, (double)ref_o[d] / ref.c.l[r],
                        bound + ref_bound);
        }
    }
    loop_block_close(&ref);
}

/* ---- the table's loops, from check_flash.c ---- */

void checkasm_flash_loops_check(const void *table)
{
    static const struct { const char *name; void (*fn)(loop_block *, const loop_inputs *); } loops[] = {
        {"pack_k", pack_k_block}, {"scores", scores_block}, {"softmax", softmax_block}, {"run_block", run_block_block},
    };
    for (size_t k = 0; k < sizeof loops / sizeof loops[0]; k++)
        if (checkasm_begin(loops[k].name)) {
            each_block(table, loops[k].fn);
            checkasm_end();
        }
}
