/*
 * The project's SGEMM (impl/gemm/sgemm.h) and the matmuls the gemm and
 * blas implementations (and blas_scipy, blas_mkl where built) give the
 * layer, against a double-precision triple
 * loop, on odd shapes (m, n, k each in 1, 7, 33, 257) and all transposes.
 *
 * Tolerance (a rigorous bound, not a tuned number): a float sum of k
 * products, in any order, has |error| <= gamma_k * sum_p |a_ip b_pj|
 * with gamma_k = k u / (1 - k u), u = 2^-24 (Higham, "Accuracy and
 * Stability of Numerical Algorithms", 2nd ed., section 3.1). Scaling by
 * alpha and adding beta * c add two more roundings, so
 *   |C - C_exact| <= gamma_{k+2} * (|alpha| sum_p |a_ip b_pj| + |beta c_ij|).
 * A wrong transpose, leading dimension, edge tile or k-block gives errors
 * of the size of the entries themselves and fails it.
 *
 * Also: beta == 0 never reads C (C starts as NaN), k == 0 gives beta * C,
 * unaligned pointers and leading dimensions larger than the rows, the
 * same bits for 1, 2 and 3 threads (the layer matmuls: when the
 * implementation declares MHA_CAP_DETERMINISTIC), and gemm_packed (pre-packed B, the
 * path the attention uses, with a leading part of the packed operand)
 * agreeing with gemm.
 */
#include "mha.h"
#include "sgemm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const double u = 1.0 / 16777216.0; /* 2^-24 */

static double gamma_n(int64_t n)
{
    return (double)n * u / (1.0 - (double)n * u);
}

/* op(X)[i][j] of a row-major X with leading dimension ld */
static float at(const float *x, int64_t ld, int trans, int64_t i, int64_t j)
{
    return trans ? x[j * ld + i] : x[i * ld + j];
}

typedef struct problem {
    int64_t m, n, k, lda, ldb, ldc;
    int ta, tb;
    float alpha, beta;
    float *a, *b, *c0; /* c0: C before the call */
    double *ref, *bound;
} problem;

static void fill(mha_rng *rng, float *x, size_t n)
{
    mha_rng_fill(rng, x, n, 1.0f);
}

/* A and B with odd leading dimensions, stored one float past an aligned address. */
static void make(problem *p, mha_rng *rng, int64_t m, int64_t n, int64_t k, int ta, int tb,
                 float alpha, float beta)
{
    p->m = m; p->n = n; p->k = k; p->ta = ta; p->tb = tb; p->alpha = alpha; p->beta = beta;
    const int64_t arows = ta ? k : m, acols = ta ? m : k;
    const int64_t brows = tb ? n : k, bcols = tb ? k : n;
    p->lda = acols + 3; p->ldb = bcols + 1; p->ldc = n + 5;
    p->a = (float *)malloc((size_t)(arows * p->lda + 1) * sizeof(float)) + 1;
    p->b = (float *)malloc((size_t)(brows * p->ldb + 1) * sizeof(float)) + 1;
    p->c0 = malloc((size_t)(m * p->ldc) * sizeof(float));
    fill(rng, p->a, (size_t)(arows * p->lda));
    fill(rng, p->b, (size_t)(brows * p->ldb));
    fill(rng, p->c0, (size_t)(m * p->ldc));
    p->ref = malloc((size_t)(m * n) * sizeof(double));
    p->bound = malloc((size_t)(m * n) * sizeof(double));
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0.0, abs_sum = 0.0;
            for (int64_t q = 0; q < k; q++) {
                double t = (double)at(p->a, p->lda, ta, i, q) * (double)at(p->b, p->ldb, tb, q, j);
                s += t;
                abs_sum += fabs(t);
            }
            double c = beta == 0.0f ? 0.0 : (double)beta * p->c0[i * p->ldc + j];
            p->ref[i * n + j] = (double)alpha * s + c;
            p->bound[i * n + j] = gamma_n(k + 2) * (fabs((double)alpha) * abs_sum + fabs(c));
        }
}

static void release(problem *p)
{
    free(p->a - 1); free(p->b - 1); free(p->c0); free(p->ref); free(p->bound);
}

/* C as the call under test leaves it: starts as c0, or NaN when beta == 0. */
static float *fresh_c(const problem *p)
{
    float *c = malloc((size_t)(p->m * p->ldc) * sizeof(float));
    for (int64_t i = 0; i < p->m * p->ldc; i++)
        c[i] = p->beta == 0.0f ? NAN : p->c0[i];
    return c;
}

/* Every element within its bound; padding columns past n untouched. Returns the worst error / bound. */
static double compare(const problem *p, const float *c, const char *what)
{
    double worst = 0.0;
    int64_t bad = 0, bi = 0, bj = 0;
    for (int64_t i = 0; i < p->m; i++) {
        for (int64_t j = 0; j < p->n; j++) {
            double err = fabs((double)c[i * p->ldc + j] - p->ref[i * p->n + j]);
            double r = err / (p->bound[i * p->n + j] + 1e-300);
            if (!(err <= p->bound[i * p->n + j])) {
                if (!bad) { bi = i; bj = j; }
                bad++;
            }
            if (r > worst)
                worst = r;
        }
        for (int64_t j = p->n; j < p->ldc; j++)
            if (memcmp(&c[i * p->ldc + j], p->beta == 0.0f ? &(float){NAN} : &p->c0[i * p->ldc + j], sizeof(float)))
                bad++;
    }
    CHECK(bad == 0, "%s m=%lld n=%lld k=%lld ta=%d tb=%d: %lld elements outside the bound, first (%lld,%lld) "
          "got %.9g want %.9g bound %.3g", what, (long long)p->m, (long long)p->n, (long long)p->k, p->ta, p->tb,
          (long long)bad, (long long)bi, (long long)bj, (double)c[bi * p->ldc + bj], p->ref[bi * p->n + bj],
          p->bound[bi * p->n + bj]);
    return worst;
}

static void test_ops(const mha_sgemm_ops *ops)
{
    static const int64_t sizes[] = {1, 7, 33, 257};
    mha_rng rng;
    mha_rng_seed(&rng, 4);
    double worst = 0.0;
    for (int si = 0; si < 64; si++) {
        const int64_t m = sizes[si / 16], n = sizes[si / 4 % 4], k = sizes[si % 4];
        for (int t = 0; t < 4; t++) {
            const float alpha = t == 0 ? 1.0f : 0.75f, beta = (si + t) % 3 == 0 ? 1.5f : 0.0f;
            problem p;
            make(&p, &rng, m, n, k, t & 1, t >> 1, alpha, beta);

            float *c1 = fresh_c(&p);
            float *gwork = malloc((ops->gemm_work_floats(m, n, k, 3) + 1) * sizeof(float));
            ops->gemm(p.ta, p.tb, m, n, k, alpha, p.a, p.lda, p.b, p.ldb, beta, c1, p.ldc, 1, gwork);
            double w = compare(&p, c1, ops->isa);
            worst = w > worst ? w : worst;

            for (int threads = 2; threads <= 3; threads++) {
                float *ct = fresh_c(&p);
                ops->gemm(p.ta, p.tb, m, n, k, alpha, p.a, p.lda, p.b, p.ldb, beta, ct, p.ldc, threads, gwork);
                CHECK(memcmp(c1, ct, (size_t)(m * p.ldc) * sizeof(float)) == 0,
                      "%s m=%lld n=%lld k=%lld: %d threads changed bits", ops->isa, (long long)m, (long long)n,
                      (long long)k, threads);
                free(ct);
            }

            /* Pre-packed B with one extra row and column: the product uses its leading k x n part. */
            const int64_t kb = k + 1, nb = n + 1;
            float *bbig = calloc((size_t)(kb * nb), sizeof(float));
            for (int64_t q = 0; q < k; q++)
                for (int64_t j = 0; j < n; j++)
                    bbig[q * nb + j] = at(p.b, p.ldb, p.tb, q, j);
            for (int64_t q = 0; q < kb; q++)
                bbig[q * nb + n] = NAN; /* never used */
            for (int64_t j = 0; j < nb; j++)
                bbig[k * nb + j] = NAN;
            float *packed = malloc(ops->packed_b_floats(kb, nb) * sizeof(float));
            float *work = malloc(ops->work_floats * sizeof(float));
            ops->pack_b(MHA_NO_TRANS, kb, nb, bbig, nb, packed);
            mha_packed_b bp = {packed, kb, nb};
            float *cp = fresh_c(&p);
            ops->gemm_packed(p.ta, m, n, k, alpha, p.a, p.lda, &bp, beta, cp, p.ldc, work);
            compare(&p, cp, "gemm_packed");
            free(cp); free(work); free(packed); free(bbig);
            free(c1);
            free(gwork);
            release(&p);
        }
    }
    printf("%s: worst error %.3f of the bound\n", ops->isa, worst);

    /* k == 0: C = beta * C, and beta == 0 writes zeros; no work buffer is needed. */
    CHECK(ops->gemm_work_floats(2, 3, 0, 1) == 0, "%s k=0 asks for work", ops->isa);
    float c[6] = {1, 2, 3, 4, 5, 6}, a[1] = {0}, b[1] = {0};
    ops->gemm(MHA_NO_TRANS, MHA_NO_TRANS, 2, 3, 0, 1.0f, a, 1, b, 3, 2.0f, c, 3, 1, NULL);
    CHECK(c[0] == 2 && c[5] == 12, "%s k=0 beta=2: got %g %g", ops->isa, (double)c[0], (double)c[5]);
    ops->gemm(MHA_NO_TRANS, MHA_NO_TRANS, 2, 3, 0, 1.0f, a, 1, b, 3, 0.0f, c, 3, 1, NULL);
    CHECK(c[0] == 0 && c[5] == 0, "%s k=0 beta=0: got %g %g", ops->isa, (double)c[0], (double)c[5]);
}

/* A work buffer of the bytes impl's matmul asks for with `threads` threads (NULL for none). */
static void *matmul_work(const mha_impl *impl, const problem *p, int threads)
{
    const size_t bytes = impl->matmul_workspace ? impl->matmul_workspace(p->m, p->n, p->k, threads) : 0;
    void *work = bytes ? aligned_alloc(64, (bytes + 63) / 64 * 64) : NULL;
    CHECK(!bytes || work, "matmul of %s: %zu bytes of work buffer could not be allocated", impl->name, bytes);
    return work;
}

/* The layer matmul of an implementation: C = A B, C overwritten. */
static void test_matmul(const char *name)
{
    const mha_impl *impl = mha_impl_find(name);
    if (!impl) {
        printf("SKIP matmul of %s: not compiled into this build\n", name);
        return;
    }
    char why[128];
    if (!mha_impl_runnable(impl, why, sizeof why)) {
        printf("SKIP matmul of %s: %s\n", name, why);
        return;
    }
    mha_rng rng;
    mha_rng_seed(&rng, 9);
    static const int64_t shapes[][3] = {{1, 1, 1}, {7, 33, 257}, {257, 7, 33}, {300, 130, 270}};
    for (int s = 0; s < 4; s++) {
        problem p;
        make(&p, &rng, shapes[s][0], shapes[s][1], shapes[s][2], 0, 0, 1.0f, 0.0f);
        float *c1 = fresh_c(&p), *c2 = fresh_c(&p);
        /* the work buffer the descriptor asks for, 64-byte aligned, not one byte more */
        void *w1 = matmul_work(impl, &p, 1), *w2 = matmul_work(impl, &p, 2);
        impl->matmul(p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, c1, p.ldc, 1, w1);
        impl->matmul(p.m, p.n, p.k, p.a, p.lda, p.b, p.ldb, c2, p.ldc, 2, w2);
        free(w1); free(w2);
        compare(&p, c1, name);
        compare(&p, c2, name);
        if (impl->caps & MHA_CAP_DETERMINISTIC)
            CHECK(memcmp(c1, c2, (size_t)(p.m * p.ldc) * sizeof(float)) == 0, "matmul of %s: 2 threads changed bits",
                  name);
        free(c1); free(c2);
        release(&p);
    }
}

int main(void)
{
    test_ops(&mha_sgemm_ops_c);
#ifdef HAVE_SGEMM_AVX2
    if ((mha_cpu_features() & (MHA_CPU_AVX2 | MHA_CPU_FMA)) == (MHA_CPU_AVX2 | MHA_CPU_FMA))
        test_ops(&mha_sgemm_ops_avx2);
    else
        printf("SKIP sgemm avx2: CPU lacks avx2 fma\n");
#else
    printf("SKIP sgemm avx2: not compiled into this build\n");
#endif
    test_matmul("gemm");
    test_matmul("gemm_avx2");
    test_matmul("blas");
    test_matmul("blas_scipy");
    test_matmul("blas_mkl");
    return check_summary();
}
