/*
 * One implementation's matmul (argv[1]) against a double triple loop, on
 * shapes with every tail of the 4 x 16 blocks, padded leading dimensions
 * and unaligned pointers; threads 1 and 2 must give identical bits.
 *
 * Tolerance: the standard bound for a dot product of length k evaluated in
 * fp32 in any order, with or without FMA (Higham, Accuracy and Stability of
 * Numerical Algorithms, 2nd ed., eq. 3.5):
 *     |c - c_exact| <= gamma_k * sum_p |a_ip| |b_pj|,  gamma_k = k u / (1 - k u),
 * u = 2^-24, plus u |c| for storing. It is a proof, not a tuned number.
 * Not the conformance model (conformance/tolerance.h): that one measures
 * the plain fp32 attention's error; a matmul has no plain fp32 attention to
 * measure, while its own error has this closed-form bound.
 * Exit 77 (meson: SKIP) when the implementation cannot run on this CPU.
 */
#include "mha.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"

static void check(const mha_impl *impl, int64_t m, int64_t n, int64_t k)
{
    const int64_t lda = k + 3, ldb = n + 5, ldc = n + 1;
    mha_rng rng;
    mha_rng_seed(&rng, (uint64_t)(m * 1000003 + n * 1009 + k));
    float *a = malloc((size_t)(m * lda + 1) * sizeof(float));
    float *b = malloc((size_t)(k * ldb + 1) * sizeof(float));
    float *c1 = calloc((size_t)(m * ldc + 1), sizeof(float));
    float *c2 = calloc((size_t)(m * ldc + 1), sizeof(float));
    mha_rng_fill(&rng, a, (size_t)(m * lda + 1), 1.0f);
    mha_rng_fill(&rng, b, (size_t)(k * ldb + 1), 1.0f);
    /* +1: unaligned */
    /* the work buffer the descriptor asks for, 64-byte aligned */
    const size_t bytes = impl->matmul_workspace ? impl->matmul_workspace(m, n, k, 2) : 0;
    void *work = bytes ? aligned_alloc(64, (bytes + 63) / 64 * 64) : NULL;
    if (bytes && !work) {
        printf("FAIL: %zu bytes of work buffer could not be allocated\n", bytes);
        exit(1);
    }
    impl->matmul(m, n, k, a + 1, lda, b + 1, ldb, c1 + 1, ldc, 1, work);
    impl->matmul(m, n, k, a + 1, lda, b + 1, ldb, c2 + 1, ldc, 2, work);
    const double u = ldexp(1.0, -24), gamma = k * u / (1.0 - k * u);
    double worst = 0.0; /* error / bound */
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double exact = 0.0, mag = 0.0;
            for (int64_t p = 0; p < k; p++) {
                const double x = (double)a[1 + i * lda + p] * (double)b[1 + p * ldb + j];
                exact += x;
                mag += fabs(x);
            }
            const double got = c1[1 + i * ldc + j];
            const double bound = gamma * mag + u * fabs(exact) + DBL_MIN;
            worst = fmax(worst, fabs(got - exact) / bound);
        }
    /* columns of the padding stay untouched */
    int pad_ok = c1[0] == 0.0f;
    for (int64_t i = 0; i < m; i++)
        pad_ok &= c1[1 + i * ldc + n] == 0.0f;
    const int same = memcmp(c1, c2, (size_t)(m * ldc + 1) * sizeof(float)) == 0;
    CHECK(worst <= 1.0 && same && pad_ok, "%s matmul m%lld n%lld k%lld: error %.3f of the bound%s%s", impl->name,
          (long long)m, (long long)n, (long long)k, worst, same ? "" : ", threads 1 and 2 differ",
          pad_ok ? "" : ", wrote outside C");
    free(a); free(b); free(c1); free(c2); free(work);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s IMPL_NAME\n", argv[0]);
        return 2;
    }
    const mha_impl *impl = mha_impl_find(argv[1]);
    if (!impl || !impl->matmul) {
        printf("FAIL: %s is not compiled in or has no matmul\n", argv[1]);
        return 1;
    }
    char why[128];
    if (!mha_impl_runnable(impl, why, sizeof why)) {
        printf("SKIP: %s: %s\n", argv[1], why);
        return 77;
    }
    static const int64_t ms[] = {1, 3, 4, 5, 17}, ns[] = {1, 7, 8, 15, 16, 17, 33}, ks[] = {1, 5, 64};
    for (size_t x = 0; x < sizeof ms / sizeof *ms; x++)
        for (size_t y = 0; y < sizeof ns / sizeof *ns; y++)
            for (size_t z = 0; z < sizeof ks / sizeof *ks; z++)
                check(impl, ms[x], ns[y], ks[z]);
    check(impl, 67, 35, 80); /* large enough to run on 2 threads */
    check(impl, 130, 64, 256);
    printf("%s matmul: ", impl->name);
    return check_summary();
}
