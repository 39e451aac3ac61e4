#!/usr/bin/env python3
"""`mha attend --dtype/--out-dtype`: bf16 and fp16 inputs and outputs.

- fp16 '<f2' files are read as they are; bf16 is read from '<u2' bit
  patterns; float32 files are rounded to the dtype (nearest even) with a
  line naming the file: both ways give the same bits.
- The output is '<u2' (bf16), '<f2' (fp16) or '<f4', and within the bound of
  tests/attention_bound.h (fp32 arithmetic, attend_common.py) plus
  what the low-precision steps add, against numpy's float64 attention on the
  rounded inputs: P rounded to the inputs' dtype moves O by at most
  u_in * max|V| (sum_j |p_j| u_in |v_j|), the one rounding of O by at most
  u_out * max|V|, where u is the unit roundoff (2^-8 bf16, 2^-11 fp16, 0 fp32).
- Bad combinations and mismatched files are refused naming the option.
Usage: attend_dtype.py PATH/TO/mha
"""
import os
import sys

import numpy as np

from attend_common import main, reference, run

UNIT_ROUNDOFF = {"fp32": 0.0, "bf16": 2.0 ** -8, "fp16": 2.0 ** -11}


def bf16_bits(x):
    """float32 -> bfloat16 patterns, nearest even, by choosing between the two neighbours in float64."""
    u = x.view(np.uint32)
    lo = u & np.uint32(0xFFFF0000)
    hi = lo + np.uint32(0x10000)
    d_lo = np.abs(x.astype(np.float64) - lo.view(np.float32))
    d_hi = np.abs(hi.view(np.float32).astype(np.float64) - x)
    take_hi = (d_hi < d_lo) | ((d_hi == d_lo) & ((lo >> np.uint32(16)) & np.uint32(1) == 1))
    return (np.where(take_hi, hi, lo) >> np.uint32(16)).astype(np.uint16)


def widen(bits):
    return (bits.astype(np.uint32) << np.uint32(16)).view(np.float32)


def tests(mha, check, P):
    rng = np.random.default_rng(17)
    B, Sq, Skv, H, Hkv, D = 2, 7, 33, 4, 2, 64
    q = rng.uniform(-1, 1, (B, Sq, H, D)).astype(np.float32)
    k = rng.uniform(-1, 1, (B, Skv, Hkv, D)).astype(np.float32)
    v = rng.uniform(-1, 1, (B, Skv, Hkv, D)).astype(np.float32)
    for name, x in (("q", q), ("k", k), ("v", v)):
        np.save(P(name + "32.npy"), x)
        np.save(P(name + "bf.npy"), bf16_bits(x))
        np.save(P(name + "16.npy"), x.astype(np.float16))
    given = {"bf16": [widen(bf16_bits(x)) for x in (q, k, v)],
             "fp16": [x.astype(np.float16).astype(np.float32) for x in (q, k, v)]}
    suffix = {"bf16": "bf", "fp16": "16"}
    out_type = {"fp32": np.float32, "bf16": np.uint16, "fp16": np.float16}
    for dt in ("bf16", "fp16"):
        for out_dt in ("fp32", dt):
            base = ["--dtype", dt, "--out-dtype", out_dt, "--impl", "naive", "--causal"]
            r = run(mha, base + ["--q", P("q32.npy"), "--k", P("k32.npy"), "--v", P("v32.npy"),
                                 "--out", P("o32.npy")])
            check(all(f"{P(n + '32.npy')}: float32 converted to {dt}" in r.stderr for n in "qkv"),
                  f"{dt}: a float32 input is converted with a line saying so: {r.stderr}")
            r = run(mha, base + ["--q", P("q" + suffix[dt] + ".npy"), "--k", P("k" + suffix[dt] + ".npy"),
                                 "--v", P("v" + suffix[dt] + ".npy"), "--out", P("o.npy")])
            check("converted" not in r.stderr, f"{dt}: a file of the dtype is read as it is: {r.stderr}")
            out, out32 = np.load(P("o.npy")), np.load(P("o32.npy"))
            check(out.dtype == out_type[out_dt] and out.shape == q.shape, f"{dt} -> {out_dt}: {out.dtype}")
            check(np.array_equal(out, out32), f"{dt} -> {out_dt}: float32 input rounded != the dtype's file")
            got = widen(out) if out_dt == "bf16" else out.astype(np.float32)
            qg, kg, vg = given[dt]
            ref, _, bound = reference(qg, kg, vg, None, True, 1 / np.sqrt(D))
            limit = bound + np.abs(vg).max() * (UNIT_ROUNDOFF[dt] + UNIT_ROUNDOFF[out_dt])
            err = np.abs(got - ref)
            check(bool((err <= limit).all()), f"{dt} -> {out_dt}: error {err.max():.3g} > bound {limit.min():.3g}")
            print(f"{dt} -> {out_dt}: max error {err.max():.3g}, worst error/bound {float((err / limit).max()):.3f}")

    ok = ["--q", P("q32.npy"), "--k", P("k32.npy"), "--v", P("v32.npy"), "--out", P("bad.npy")]
    refusals = [(["--dtype", "bf16", "--out-dtype", "fp16"], 2, "--out-dtype fp16 with --dtype bf16"),
                (["--out-dtype", "bf16"], 2, "--out-dtype bf16 with --dtype fp32"),
                (["--dtype", "int8"], 2, "--dtype int8: expected fp32, bf16 or fp16"),
                (["--q", P("qbf.npy")], 1, "qbf.npy: uint16 ('<u2') is how bf16 bit patterns are stored"),
                (["--dtype", "fp16", "--q", P("qbf.npy")], 1, "qbf.npy: uint16"),
                (["--dtype", "bf16", "--impl", "flash_c"], 1, "flash_c supports q/k/v fp32 -> out fp32; "
                                                                "asked q/k/v bf16 -> out fp32")]
    for extra, rc, needle in refusals:
        args = list(ok)
        for i in range(0, len(extra), 2):
            if extra[i] in args:
                args[args.index(extra[i]) + 1] = extra[i + 1]
            else:
                args += extra[i:i + 2]
        r = run(mha, args, expect_ok=False)
        check(r.returncode == rc and needle in r.stderr and not os.path.exists(P("bad.npy")),
              f"{extra}: rc {r.returncode}, expected {rc} and '{needle}': {r.stderr.strip()}")


if __name__ == "__main__":
    sys.exit(main(tests))
