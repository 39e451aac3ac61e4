/*
 * Constants of the vectorized expf shared by vexp_avx2.h, vexp_avx512.h and
 * vexp_neon.h, so the three compute the same function.
 */
#ifndef MHA_VEXP_CONSTS_H
#define MHA_VEXP_CONSTS_H

/* 1/ln2 rounded to fp32 */
#define MHA_VEXP_LOG2E 0x1.715476p+0f
/* Cody-Waite split of ln2 (Cephes expf.c, S. L. Moshier): LN2_HI =
 * 0.693359375 has 9 significant bits, LN2_HI + LN2_LO = ln2 to ~2^-33 */
#define MHA_VEXP_LN2_HI 0.693359375f
#define MHA_VEXP_LN2_LO -2.12194440e-4f
/* 1.5 * 2^23: x + SHIFTER rounds x to an integer held in the low mantissa bits */
#define MHA_VEXP_SHIFTER 0x1.8p23f
/* Bits of 86.0f: |x| <= 86 gives |n| <= 124, so p * 2^n is a normal float */
#define MHA_VEXP_FAST_MAX_BITS 0x42ac0000
/* Clamp of the rare path: exp(-110) rounds to 0, exp(100) to +inf */
#define MHA_VEXP_X_MIN -110.0f
#define MHA_VEXP_X_MAX 100.0f
/* p(r) = 1 + r + C2 r^2 + ... + C6 r^6, minimax relative error on
 * [-ln2/2, ln2/2] (fit_exp.py), rounded to fp32 */
#define MHA_VEXP_C2 0x1.fffffap-2f
#define MHA_VEXP_C3 0x1.55540ap-3f
#define MHA_VEXP_C4 0x1.55589ap-5f
#define MHA_VEXP_C5 0x1.126d0cp-7f
#define MHA_VEXP_C6 0x1.6ab98p-10f

/* Accuracy over every float in [-104, 89] (tests/checkasm/check_vec.c asserts both):
 * integer ULPs from the correctly rounded result, and the real-valued
 * error against exp() in double, in ULPs of the result. */
#define MHA_VEXP_MAX_ULP 1
#define MHA_VEXP_MAX_ERR 1.06

#endif
