#!/usr/bin/env python3
"""`mha attend` on arrays made by numpy against numpy's float64 attention.

Tolerance: the a-priori first-order bound of tests/attention_bound.h,
computed per query row in numpy (attend_common.py).
Also checks that bad files get errors naming the file. Usage:
    attend_vs_numpy.py PATH/TO/mha
"""
import os
import sys

import numpy as np

from attend_common import main, reference, run


def tests(mha, check, P):
    rng = np.random.default_rng(2024)
    cases = [
        ("mha", 2, 6, 4, 4, 16, None, False, None),
        ("gqa", 1, 9, 8, 2, 32, None, False, None),
        ("mqa 3-d", None, 5, 4, 1, 8, None, False, None),
        ("causal Sq<Skv", 2, 4, 2, 2, 8, None, True, None),
        ("masked", 2, 5, 4, 2, 8, "4d", False, None),
        ("masked 2-d + causal", 1, 6, 2, 1, 8, "2d", True, 0.3),
    ]
    for name, B, S, H, Hkv, D, mask_kind, causal, scale in cases:
        Sq, Skv = (3, S) if "Sq<Skv" in name else (S, S)
        lead = () if B is None else (B,)
        q = rng.uniform(-1, 1, lead + (Sq, H, D)).astype(np.float32)
        k = rng.uniform(-1, 1, lead + (Skv, Hkv, D)).astype(np.float32)
        v = rng.uniform(-1, 1, lead + (Skv, Hkv, D)).astype(np.float32)
        np.save(P("q.npy"), q)
        np.save(P("k.npy"), np.asfortranarray(k))  # Fortran order is converted
        np.save(P("v.npy"), v.astype(np.float64))  # float64 is rounded to float32
        args = ["--q", P("q.npy"), "--k", P("k.npy"), "--v", P("v.npy"), "--out", P("o.npy"),
                "--impl", "naive", "--probs", P("p.npy")]
        mask = None
        if mask_kind:
            shape = (Sq, Skv) if mask_kind == "2d" else ((B or 1), 1, Sq, Skv)
            mask = rng.uniform(-2, 2, shape).astype(np.float32)
            mask[..., 1, :] = -np.inf  # a fully masked row
            mask[..., 0, 1] = -np.inf
            np.save(P("m.npy"), mask)
            args += ["--mask", P("m.npy")]
        if causal:
            args.append("--causal")
        if scale:
            args += ["--scale", str(scale)]
        run(mha, args)
        q4, k4, v4 = (x if B else x[None] for x in (q, k, v))
        m4 = None if mask is None else (mask if mask.ndim == 4 else mask[None, None])
        sc = scale if scale else 1 / np.sqrt(D)
        ref, pref, bound = reference(q4, k4, v4.astype(np.float32), m4, causal, sc)
        out = np.load(P("o.npy"))
        out4 = out if B else out[None]
        check(out.dtype == np.float32 and out.shape == q.shape, f"{name}: out {out.dtype} {out.shape}")
        err = np.abs(out4 - ref)
        ratio = float((err / bound).max())
        check(bool((err <= bound).all()), f"{name}: error {err.max():.3g} exceeds bound (ratio {ratio:.2f})")
        p = np.load(P("p.npy"))
        p4 = p if B else p[None]
        check(np.abs(p4 - pref).max() < 1e-5, f"{name}: probabilities differ by {np.abs(p4 - pref).max():.3g}")
        print(f"{name:22s} max error {err.max():.3g}, worst error/bound {ratio:.3f}")

    # Bad inputs: each error names the file and says what was expected.
    np.save(P("q.npy"), rng.uniform(-1, 1, (4, 2, 8)).astype(np.float32))
    np.save(P("k.npy"), rng.uniform(-1, 1, (4, 3, 8)).astype(np.float32))
    np.save(P("v.npy"), rng.uniform(-1, 1, (4, 3, 8)).astype(np.float32))
    np.save(P("i.npy"), np.zeros((4, 2, 8), np.int32))
    np.save(P("bad.npy"), np.zeros((4, 2, 7), np.float32))
    with open(P("junk.npy"), "wb") as f:
        f.write(b"not numpy at all")
    base = ["--q", P("q.npy"), "--k", P("k.npy"), "--v", P("v.npy"), "--out", P("o.npy")]
    r = run(mha, base, expect_ok=False)
    check(r.returncode != 0 and "k.npy" in r.stderr and "do not divide" in r.stderr, f"kv heads: {r.stderr}")
    bad = [("--q", "i.npy", "dtype '<i4'"), ("--k", "junk.npy", "not a .npy file"),
           ("--v", "bad.npy", "head_dim is 7, expected 8"), ("--q", "missing.npy", "cannot open")]
    for opt, fname, needle in bad:
        args = list(base)
        args[args.index(opt) + 1] = P(fname)
        if opt != "--k":
            args[args.index("--k") + 1] = P("q.npy")  # valid k/v: 2 heads
            args[args.index("--v") + 1] = P("q.npy") if opt != "--v" else P(fname)
        r = run(mha, args, expect_ok=False)
        check(r.returncode != 0 and fname in r.stderr and needle in r.stderr, f"{fname}: {r.stderr.strip()}")
    r = run(mha, ["--q", P("q.npy")], expect_ok=False)
    check(r.returncode == 2 and "--k is required" in r.stderr, f"missing --k: {r.stderr}")
    r = run(mha, base[:6] + ["--out", P("o.npy"), "--threads", "-3"], expect_ok=False)
    check(r.returncode == 2 and "--threads -3" in r.stderr, f"bad threads: {r.stderr}")
    good = ["--q", P("q.npy"), "--k", P("q.npy"), "--v", P("q.npy"), "--out", P("o.npy")]
    r = run(mha, good + ["--impl", "nonesuch"], expect_ok=False)
    check(r.returncode != 0 and "nonesuch" in r.stderr, f"unknown impl: {r.stderr}")

    # --scale: 0 is the default, so a nonzero scale that float32 cannot
    # hold (rounds to 0, subnormal, infinite) is refused and writes nothing.
    for text, needle in [("1e-50", "rounds to 0"), ("-1e-45", "subnormal"), ("1e-40", "subnormal"),
                         ("1e39", "out of float range")]:
        out = P("scale-o.npy")
        r = run(mha, good[:6] + ["--out", out, "--scale", text], expect_ok=False)
        check(r.returncode == 2 and f"--scale {text}" in r.stderr and needle in r.stderr
              and not os.path.exists(out), f"--scale {text}: rc {r.returncode} {r.stderr.strip()}")
    q3 = np.load(P("q.npy"))[None]
    r = run(mha, good + ["--impl", "naive", "--scale", "1.2e-38"])  # the smallest normal magnitudes run
    ref, _, bound = reference(q3, q3, q3, None, False, float(np.float32(1.2e-38)))
    err = np.abs(np.load(P("o.npy"))[None] - ref)
    check(bool((err <= bound).all()), f"--scale 1.2e-38: error {err.max():.3g} exceeds bound")


if __name__ == "__main__":
    sys.exit(main(tests))
