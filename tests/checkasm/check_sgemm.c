/*
 * The project's SGEMM (impl/gemm/sgemm.h, mha_sgemm_ops_<isa>): pack_b
 * with gemm_packed, and gemm. Both tables compile one source with the
 * same tile, but with different contraction (FMA under -mfma), so they
 * agree only within rounding: each is compared with C = alpha op(A) op(B)
 * + beta C evaluated in double on the same fp32 inputs.
 *
 * Bound (checkasm.h: u, gamma): a term a_ip b_pj goes through its
 * product, at most k - 1 additions inside its k-block and the additions
 * of the later k-blocks to C (at most k in all), the product with alpha,
 * and the addition of beta c (one product, one addition):
 * |C - C_exact| <= gamma(2k + 2) (|alpha| sum_p |a_ip b_pj| + |beta c_ij|).
 * Exact: beta == 0 never reads C (NaN there does not show), k == 0 gives
 * beta C, entries of C outside m x n and floats past every buffer (the
 * packed B, the work buffer) are left alone, and gemm's result has the
 * same bits for 1 and 2 threads.
 */
#include "checkasm.h"
#include "impl/gemm/sgemm.h"

#include <math.h>

static const checkasm_table tables[] = {
    {"c", 0, &mha_sgemm_ops_c},
#ifdef CHECKASM_HAVE_AVX2
    {"avx2", CHECKASM_AVX2, &mha_sgemm_ops_avx2},
#endif
};

/* op(X)[i][j] of a row-major X with leading dimension ld */
static float op_at(const float *x, int64_t ld, int trans, int64_t i, int64_t j)
{
    return trans ? x[j * ld + i] : x[i * ld + j];
}

typedef struct problem {
    int trans_a, trans_b;
    int64_t m, n, k, lda, ldb, ldc;
    float alpha, beta;
    float *a, *b, *c0; /* c0: C before the call */
} problem;

/* Random operands with odd leading dimensions; beta == 0 puts NaN into C. */
static problem make_problem(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float beta)
{
    problem p = {trans_a, trans_b, m, n, k, 0, 0, 0, 0.5f + checkasm_rand(1.0f), beta, NULL, NULL, NULL};
    const int64_t a_rows = trans_a ? k : m, a_cols = trans_a ? m : k;
    const int64_t b_rows = trans_b ? n : k, b_cols = trans_b ? k : n;
    p.lda = a_cols + 1 + 2 * checkasm_rand_below(2);
    p.ldb = b_cols + 1 + 2 * checkasm_rand_below(2);
    p.ldc = n + 1 + 2 * checkasm_rand_below(2);
    p.a = checkasm_alloc(a_rows * p.lda);
    p.b = checkasm_alloc(b_rows * p.ldb);
    p.c0 = checkasm_alloc(m * p.ldc);
    for (int64_t i = 0; i < a_rows * p.lda; i++)
        p.a[i] = checkasm_rand(1.0f);
    for (int64_t i = 0; i < b_rows * p.ldb; i++)
        p.b[i] = checkasm_rand(1.0f);
    for (int64_t i = 0; i < m * p.ldc; i++)
        p.c0[i] = beta == 0.0f ? NAN : checkasm_rand(1.0f);
    return p;
}

static void free_problem(problem *p)
{
    checkasm_free(p->a);
    checkasm_free(p->b);
    checkasm_free(p->c0);
}

/* A fresh copy of C (with its guard) to compute into. */
static float *copy_c(const problem *p)
{
    float *c = checkasm_alloc(p->m * p->ldc);
    for (int64_t i = 0; i < p->m * p->ldc; i++)
        c[i] = p->c0[i];
    return c;
}

static void expect_c(const problem *p, const float *c)
{
    for (int64_t i = 0; i < p->m; i++)
        for (int64_t j = 0; j < p->ldc; j++) {
            const int64_t at = i * p->ldc + j;
            if (j >= p->n) {
                checkasm_same("C (past n)", at, c[at], p->c0[at]);
                continue;
            }
            double sum = 0.0, abs_sum = 0.0;
            for (int64_t q = 0; q < p->k; q++) {
                const double t = (double)op_at(p->a, p->lda, p->trans_a, i, q) * op_at(p->b, p->ldb, p->trans_b, q, j);
                sum += t;
                abs_sum += fabs(t);
            }
            const double bc = p->beta == 0.0f ? 0.0 : (double)p->beta * p->c0[at];
            checkasm_near("C", at, c[at], p->alpha * sum + bc,
                          checkasm_gamma(2 * p->k + 2) * (fabs(p->alpha) * abs_sum + fabs(bc)));
        }
    checkasm_check_guard("C", c, p->m * p->ldc);
}

static const int64_t ms[] = {1, 3, 4, 5, 17, 150};
static const int64_t ns[] = {1, 15, 16, 17, 33};
static const int64_t ks[] = {0, 1, 7, 64, 257};

/* Calls fn for every size, both transposes of each operand and beta 0 and 0.5. */
static void each_problem(const mha_sgemm_ops *ops, void (*fn)(const mha_sgemm_ops *, const problem *))
{
    for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++)
        for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
            for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
                const int trans = (int)checkasm_rand_below(4);
                problem p = make_problem(trans & 1, trans >> 1, ms[mi], ns[ni], ks[ki], (mi + ni + ki) % 2 ? 0.5f : 0.0f);
                fn(ops, &p);
                free_problem(&p);
            }
}

/* pack_b of op(B) as a k2 x n2 operand (k2 >= k, n2 >= n: the product uses its leading part), then gemm_packed. */
static void run_gemm_packed(const mha_sgemm_ops *ops, const problem *p)
{
    const int leading = p->m % 2 == 1; /* half the problems use a larger packed operand */
    const int64_t k2 = p->k + (leading ? 3 : 0), n2 = p->n + (leading ? 5 : 0);
    const int64_t ldb2 = p->trans_b ? k2 : n2;
    float *b2 = checkasm_alloc((p->trans_b ? n2 : k2) * ldb2);
    for (int64_t r = 0; r < (p->trans_b ? n2 : k2); r++)
        for (int64_t c = 0; c < ldb2; c++) {
            const int inside = p->trans_b ? r < p->n && c < p->k : r < p->k && c < p->n;
            b2[r * ldb2 + c] = inside ? p->b[r * p->ldb + c] : checkasm_rand(1.0f);
        }
    const int64_t packed_floats = (int64_t)ops->packed_b_floats(k2, n2);
    float *packed = checkasm_alloc(packed_floats), *work = checkasm_alloc((int64_t)ops->work_floats);
    ops->pack_b(p->trans_b, k2, n2, b2, ldb2, packed);
    checkasm_check_guard("packed B", packed, packed_floats);
    const mha_packed_b bp = {packed, k2, n2};
    float *c = copy_c(p);
    ops->gemm_packed(p->trans_a, p->m, p->n, p->k, p->alpha, p->a, p->lda, &bp, p->beta, c, p->ldc, work);
    expect_c(p, c);
    checkasm_check_guard("work", work, (int64_t)ops->work_floats);
    checkasm_free(b2);
    checkasm_free(packed);
    checkasm_free(work);
    checkasm_free(c);
}

/* gemm with 1 and 2 threads: within the bound, and the same bits. */
static void run_gemm(const mha_sgemm_ops *ops, const problem *p)
{
    float *c[2];
    for (int t = 0; t < 2; t++) {
        const int64_t work_floats = (int64_t)ops->gemm_work_floats(p->m, p->n, p->k, t + 1);
        float *work = checkasm_alloc(work_floats);
        c[t] = copy_c(p);
        ops->gemm(p->trans_a, p->trans_b, p->m, p->n, p->k, p->alpha, p->a, p->lda, p->b, p->ldb, p->beta, c[t], p->ldc,
                  t + 1, work);
        checkasm_check_guard("work", work, work_floats);
        checkasm_free(work);
    }
    expect_c(p, c[0]);
    for (int64_t i = 0; i < p->m * p->ldc; i++)
        checkasm_same("C with 2 threads", i, c[1][i], c[0][i]);
    checkasm_free(c[0]);
    checkasm_free(c[1]);
}

static void check(const checkasm_table *t)
{
    if (checkasm_begin("gemm_packed")) {
        each_problem(t->table, run_gemm_packed);
        checkasm_end();
    }
    if (checkasm_begin("gemm")) {
        each_problem(t->table, run_gemm);
        checkasm_end();
    }
}

/* ---- --bench: 128 x 128 x 128, one thread ------------------------ */

enum { B_N = 128 };

typedef struct sgemm_bench {
    float a[B_N * B_N], b[B_N * B_N], c[B_N * B_N];
    float *work; /* gemm_work_floats(128, 128, 128, 1) of both tables */
} sgemm_bench;

static void bench_gemm(const void *table, void *ctx)
{
    const mha_sgemm_ops *ops = table;
    sgemm_bench *b = ctx;
    ops->gemm(MHA_NO_TRANS, MHA_NO_TRANS, B_N, B_N, B_N, 1.0f, b->a, B_N, b->b, B_N, 0.0f, b->c, B_N, 1, b->work);
}

static void bench(const checkasm_table *t, const checkasm_table *ref)
{
    static sgemm_bench b;
    const mha_sgemm_ops *ops = t->table, *ref_ops = ref && ref != t ? ref->table : NULL;
    size_t work_floats = ops->gemm_work_floats(B_N, B_N, B_N, 1);
    if (ref_ops && ref_ops->gemm_work_floats(B_N, B_N, B_N, 1) > work_floats)
        work_floats = ref_ops->gemm_work_floats(B_N, B_N, B_N, 1);
    b.work = checkasm_alloc((int64_t)work_floats);
    for (int i = 0; i < B_N * B_N; i++) {
        b.a[i] = checkasm_rand(1.0f);
        b.b[i] = checkasm_rand(1.0f);
    }
    if (checkasm_begin("gemm"))
        checkasm_bench(bench_gemm, ops, ref_ops, &b);
    checkasm_free(b.work);
}

const checkasm_family checkasm_sgemm = {"sgemm", tables, (int)(sizeof tables / sizeof tables[0]), check, bench};
