/*
 * Lab 004: the interview problem "Implement Multi-Head Attention" (seed
 * 004). Its worked example (section "Examples", Example 1): X = [[1, 2, 3,
 * 4], [5, 6, 7, 8]], W_q = W_k = W_v = np.eye(4), n_heads = 2; "Output:
 * result.shape = (2, 4)". The text states only the shape; the values are
 * worked out by hand below. Its "Important" note asks for the stable
 * softmax (subtract the max before exponentiating).
 */
#include "lab.h"
#include "lab_004.h"
#include "lab_conformance.h"

#include "conformance/harness.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* The example's X (the text's np.array([[1, 2, 3, 4], [5, 6, 7, 8]])). */
static const float example_x[2][4] = {{1, 2, 3, 4}, {5, 6, 7, 8}};

/*
 * By hand. With identity weights Q = K = V = X. Head h reads features 2h
 * and 2h+1, so Dh = 2 and the scale is 1/sqrt(2). Token i's scores against
 * keys 0 and 1 are s_i0, s_i1; with two keys softmax is
 *   p_i1 = 1 / (1 + exp((s_i0 - s_i1) / sqrt(2))),  p_i0 = 1 - p_i1,
 * and out_i = p_i0 v_0 + p_i1 v_1, i.e. v_1 - p_i0 (v_1 - v_0) = v_1 - 4 p_i0:
 *   head 0: s_00 = 1*1 + 2*2 = 5, s_01 = 1*5 + 2*6 = 17, s_11 = 5*5 + 6*6 = 61
 *   head 1: s_00 = 3*3 + 4*4 = 25, s_01 = 3*7 + 4*8 = 53, s_11 = 7*7 + 8*8 = 113
 * Row 0, head 0: p_00 = 1 / (1 + exp(12/sqrt(2))) = 2.0654e-4, so
 * out_0 = (5 - 4 p_00, 6 - 4 p_00) = (4.999174, 5.999174); every other
 * p_i0 is below 3e-9 (exponents 28/sqrt(2), 44/sqrt(2), 60/sqrt(2)), so the
 * rest is (7, 8) and (5, 6, 7, 8) to fp32 precision.
 */
void lab004_hand_values(double out[8])
{
    static const double scores[2][2][2] = {{{5, 17}, {17, 61}}, {{25, 53}, {53, 113}}}; /* [head][i][j] */
    for (int h = 0; h < 2; h++)
        for (int i = 0; i < 2; i++) {
            const double p0 = 1.0 / (1.0 + exp((scores[h][i][1] - scores[h][i][0]) / sqrt(2.0)));
            for (int d = 0; d < 2; d++) {
                const double v0 = example_x[0][2 * h + d], v1 = example_x[1][2 * h + d];
                out[i * 4 + 2 * h + d] = v1 - p0 * (v1 - v0);
            }
        }
}

int lab004_check_worked(lab_env *e, const char *what, const float got[8], double tol)
{
    double hand[8];
    lab004_hand_values(hand);
    return lab_check_close(e, what, got, hand, 8, tol);
}

void lab004_softmax(const float *logits, int n, int subtract_max, float *p)
{
    float m = subtract_max ? logits[0] : 0.0f;
    for (int j = 1; subtract_max && j < n; j++)
        m = logits[j] > m ? logits[j] : m;
    float sum = 0.0f;
    for (int j = 0; j < n; j++) {
        p[j] = expf(logits[j] - m);
        sum += p[j];
    }
    for (int j = 0; j < n; j++)
        p[j] /= sum;
}

int lab004_check_stable(lab_env *e, const float logits[2], const float naive[2], const float stable[2])
{
    const double p1 = 1.0 / (1.0 + exp((double)logits[0] - (double)logits[1])), want[2] = {1.0 - p1, p1};
    int ok = lab_check(e, !isfinite(naive[0]) || !isfinite(naive[1]),
                       "without the max: exp(%.1f) overflows (fp32 exp overflows above ln(FLT_MAX) = %.2f): "
                       "p = (%g, %g)", (double)logits[1], log(FLT_MAX), (double)naive[0], (double)naive[1]);
    /* each p is one exp and one division away from the closed form: a few ulps of 1 */
    ok &= lab_check_close(e, "with the max subtracted, p against 1/(1 + exp(s0 - s1))", stable, want, 2,
                          4.0 * FLT_EPSILON);
    return ok;
}

static int worked_example(lab_env *e)
{
    float q[8], k[8], v[8], out[8], eye[16] = {0};
    for (int i = 0; i < 4; i++)
        eye[i * 5] = 1.0f;
    lab_section(e, "Worked example (seed 004, Examples, Example 1): X = [[1, 2, 3, 4], [5, 6, 7, 8]], "
                   "W_q = W_k = W_v = I, n_heads = 2");
    mha_status st = mha_compute_qkv(2, 4, &example_x[0][0], eye, eye, eye, q, k, v);
    if (st == MHA_OK)
        st = mha_multi_head_attention(2, 4, 2, q, k, v, out);
    if (st != MHA_OK) {
        fprintf(stderr, "mha lab 004: %s: %s\n", mha_status_str(st), mha_last_error());
        return -1;
    }
    fprintf(e->out, "By hand (Q = K = V = X; head h reads features 2h, 2h+1; scale 1/sqrt(2)):\n"
                    "  head 0 scores: s00 = 5, s01 = 17, s11 = 61   head 1: s00 = 25, s01 = 53, s11 = 113\n"
                    "  p(token 0 -> key 0), head 0 = 1/(1 + exp(12/sqrt(2))) = %.6g; the other rows put < 3e-9 on key 0\n",
            1.0 / (1.0 + exp(12.0 / sqrt(2.0))));
    double hand[8];
    lab004_hand_values(hand);
    fprintf(e->out, "  %-26s %-40s %s\n", "", "by hand", "mha_multi_head_attention");
    for (int i = 0; i < 2; i++)
        fprintf(e->out, "  row %d %20s [%.7g, %.7g, %.7g, %.7g]  [%.7g, %.7g, %.7g, %.7g]\n", i, "", hand[4 * i],
                hand[4 * i + 1], hand[4 * i + 2], hand[4 * i + 3], (double)out[4 * i], (double)out[4 * i + 1],
                (double)out[4 * i + 2], (double)out[4 * i + 3]);
    fprintf(e->out, "  result.shape = (2, 4), as the text says: 2 tokens x (2 heads x 2 features)\n");
    mha_args a = mha_args_bshd((mha_shape){1, 2, 2, 2, 2, 2}, q, k, v, out);
    a.threads = 1; /* a 2 x 2 problem; and no pool thread is running when the lab forks its checks */
    double tol;
    if (lab_attention_tolerance(&a, &tol, NULL)) {
        fprintf(stderr, "mha lab 004: the float64 reference failed: %s\n", mha_last_error());
        return -1;
    }
    lab004_check_worked(e, "mha_multi_head_attention against the hand values (tolerance of mha check)", out, tol);
    float lib[8];
    a.out = lib;
    if ((st = mha_attention(e->impl, &a)) != MHA_OK) {
        fprintf(stderr, "mha lab 004: %s: %s\n", e->impl->name, mha_last_error());
        return -1;
    }
    char what[128];
    snprintf(what, sizeof what, "%s on the same Q, K, V against the hand values", e->impl->name);
    lab004_check_worked(e, what, lib, tol);
    st = mha_multi_head_attention(2, 4, 3, q, k, v, out);
    lab_check(e, st != MHA_OK, "n_heads = 3 does not divide d_model = 4 and is refused: %s", mha_last_error());
    return 0;
}

static int stable_softmax(lab_env *e)
{
    lab_section(e, "Stable softmax (seed 004, Important): the same example with X times 10");
    /* head 1, token 1: features (70, 80) against keys (30, 40) and (70, 80): 5300 and 11300, over sqrt(2) */
    const float logits[2] = {5300.0f / sqrtf(2.0f), 11300.0f / sqrtf(2.0f)};
    float naive[2], stable[2];
    lab004_softmax(logits, 2, 0, naive);
    lab004_softmax(logits, 2, 1, stable);
    fprintf(e->out, "  scores of head 1, token 1: (%.1f, %.1f)\n  exp(s) / sum:           p = (%g, %g)\n"
                    "  exp(s - max) / sum:     p = (%g, %g)\n",
            (double)logits[0], (double)logits[1], (double)naive[0], (double)naive[1], (double)stable[0],
            (double)stable[1]);
    lab004_check_stable(e, logits, naive, stable);

    fprintf(e->out, "\nThe conformance check on a port without the max (conformance/broken, no_max):\n");
    lab_conformance bad, good;
    lab_conformance_run(e, "no_max", "large_logits,seqlen_s17", &bad);
    fprintf(e->out, "  rerun: %s\n", bad.command);
    lab_check(e, bad.status == CHECK_FAILED && lab_conformance_case(&bad, "large_logits") == 0,
              "mha check rejects broken_no_max on large_logits (its logits overflow exp)");
    lab_check(e, lab_conformance_case(&bad, "seqlen_s17") == 1,
              "broken_no_max passes seqlen_s17: small logits never overflow, so only large ones catch it");
    lab_conformance_run(e, NULL, "large_logits,seqlen_s17", &good);
    lab_check(e, good.status == CHECK_PASSED, "%s (subtracts the max) passes both cases", e->impl->name);
    lab_conformance_free(&bad);
    lab_conformance_free(&good);
    return 0;
}

int lab_004_run(lab_env *e)
{
    if (worked_example(e))
        return -1;
    return stable_softmax(e);
}
