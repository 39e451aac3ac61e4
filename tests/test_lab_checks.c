/*
 * The labs' checks fail on planted wrong values: each check function of
 * teach/ gets a right input (PASS expected) and a wrong one (FAIL expected),
 * and a correct port run through a trap's conformance verdict is not
 * reported as rejected.
 * usage: test_lab_checks BROKEN_DIR VECTORS_DIR
 */
#include "lab.h"
#include "lab_001.h"
#include "lab_002.h"
#include "lab_003.h"
#include "lab_004.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                       \
    do {                                       \
        if (!(cond)) {                         \
            failures++;                        \
            printf("FAIL (test) " __VA_ARGS__); \
            printf("\n");                      \
        }                                      \
    } while (0)

static lab_env env(void)
{
    lab_env e = {stdout, ".", NULL, NULL, "mha", NULL, 0, 0};
    e.impl = mha_impl_find("naive");
    return e;
}

/* One verdict: `call` must record exactly one check whose outcome is `pass`. */
#define EXPECT(pass, call)                                                                       \
    do {                                                                                         \
        lab_env e = env();                                                                       \
        (void)(call);                                                                            \
        CHECK(e.passed + e.failed == 1 && e.passed == (pass), "%s: expected %s", #call,          \
              (pass) ? "PASS" : "FAIL");                                                         \
    } while (0)

static void generic(void)
{
    const float a[3] = {1.0f, 2.0f, 3.0f}, nan3[3] = {1.0f, NAN, 3.0f};
    const double want[3] = {1.0, 2.0, 3.0};
    EXPECT(1, lab_check_close(&e, "equal", a, want, 3, 0.0));
    const float off[3] = {1.0f, 2.001f, 3.0f};
    EXPECT(0, lab_check_close(&e, "planted 2.001", off, want, 3, 1e-4));
    EXPECT(0, lab_check_close(&e, "planted NaN", nan3, want, 3, 1e30));
    EXPECT(0, lab_check_close_f32(&e, "planted NaN f32", nan3, a, 3, 1e30));
    EXPECT(1, lab_check_equal(&e, "4096", 4096, 4096));
    EXPECT(0, lab_check_equal(&e, "planted 4095", 4095, 4096));
}

static void lab001(void)
{
    const float y[4] = {0.5f, -0.25f, 1.0f, 0.0f};
    float wrong[4];
    memcpy(wrong, y, sizeof y);
    wrong[2] += 2e-5f; /* just over the text's 1e-5 */
    EXPECT(1, lab001_check_equivalence(&e, "same", y, y, 4));
    EXPECT(0, lab001_check_equivalence(&e, "planted 2e-5", wrong, y, 4));
    EXPECT(1, lab001_check_distinct(&e, 4, 0.011, 0, 3, 0.005));
    EXPECT(0, lab001_check_distinct(&e, 4, 0.004, 0, 3, 0.005));
    lab_env e = env(); /* one head: nothing judged, no check recorded */
    CHECK(lab001_check_distinct(&e, 1, 0.0, 0, 0, 0.005) == -1 && e.passed + e.failed == 0,
          "one head must not be judged");
}

static void lab002(void)
{
    EXPECT(1, lab002_check_variance(&e, "right", 64.5, 64.0, 64, 4096, 1.0));
    EXPECT(0, lab002_check_variance(&e, "planted: the scaled variance 1 taken for Dh", 1.0, 64.0, 64, 4096, 1.0));
    /* rows of 4 keys: sharper (unscaled) row vs flatter (scaled) row */
    const float flat[4] = {0.25f, 0.25f, 0.25f, 0.25f}, sharp[4] = {0.7f, 0.1f, 0.1f, 0.1f};
    EXPECT(1, lab002_check_entropy_order(&e, 16, flat, sharp, 1, 4));
    EXPECT(0, lab002_check_entropy_order(&e, 16, sharp, flat, 1, 4)); /* planted: rows swapped */
    CHECK(fabs(lab002_entropy(flat, 4) - log(4.0)) < 1e-6, "entropy of uniform over 4 is ln 4");
}

static void lab003(void)
{
    /* T = 3, D = 4, 2 heads: the loop's row 0 is v's row 0 (one key) */
    const float q[12] = {1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1}, k[12] = {1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 1, 0};
    const float v[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    float out[12], wrong[12];
    lab003_decode_loop(3, 4, 2, q, k, v, out);
    CHECK(memcmp(out, v, 4 * sizeof(float)) == 0, "token 0 attends only to itself: out row 0 = v row 0");
    /* token 1, head 0: q (1, 0), keys (1, 1) and (0, 0): scores 1/sqrt2 and 0 */
    const double p = 1.0 / (1.0 + exp(-1.0 / sqrt(2.0)));
    CHECK(fabs(out[4] - (p * 1 + (1 - p) * 5)) < 1e-6, "token 1 head 0 by hand: %g", (double)out[4]);
    memcpy(wrong, out, sizeof out);
    wrong[7] += 1e-3f;
    EXPECT(1, lab003_check_decode(&e, "same", out, out, 12, 1e-6));
    EXPECT(0, lab003_check_decode(&e, "planted +1e-3", wrong, out, 12, 1e-6));
}

static void lab004(void)
{
    double hand[8];
    lab004_hand_values(hand);
    CHECK(fabs(hand[0] - (5.0 - 4.0 / (1.0 + exp(12.0 / sqrt(2.0))))) < 1e-12 && fabs(hand[4] - 5.0) < 1e-12 && fabs(hand[7] - 8.0) < 1e-12,
          "hand values");
    float right[8], wrong[8];
    for (int i = 0; i < 8; i++)
        right[i] = (float)hand[i];
    memcpy(wrong, right, sizeof right);
    wrong[0] = 5.0f; /* planted: the row-0 softmax taken as one-hot */
    EXPECT(1, lab004_check_worked(&e, "right", right, 1e-5));
    EXPECT(0, lab004_check_worked(&e, "planted 5.0", wrong, 1e-5));
    const float logits[2] = {3747.7f, 7990.3f};
    float naive[2], stable[2];
    lab004_softmax(logits, 2, 0, naive);
    lab004_softmax(logits, 2, 1, stable);
    lab_env e = env();
    lab004_check_stable(&e, logits, naive, stable);
    CHECK(e.failed == 0 && e.passed == 2, "stable softmax lesson on the example");
    e = env(); /* planted: the stable result passed as the naive one, which then did not overflow */
    lab004_check_stable(&e, logits, stable, stable);
    CHECK(e.failed == 1, "a finite 'no max' result must fail the overflow check");
}

int main(void)
{
    generic();
    lab001();
    lab002();
    lab003();
    lab004();
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "ok", failures);
    return failures != 0;
}
