"""What the `mha attend` tests share: numpy's float64 attention with the
a-priori error bound of tests/attention_bound.h, running `mha attend`, and
the runner (a temporary folder, pass/fail counts, the exit status).

The bound, per query row:
    Delta = max_j (gamma_Dh + 2u) * scale * sum_d |q_d k_jd| + u |mask_j|
    |out - ref| <= max|V| * (expm1(2 Delta) + 2 gamma_Skv + 4u)
with u = 2^-24 and gamma_n = n u / (1 - n u).
"""
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np

U = 2.0 ** -24


def gamma(n):
    return n * U / (1 - n * U)


def reference(q, k, v, mask, causal, scale):
    """float64 attention; q (B,Sq,H,D), k/v (B,Skv,Hkv,D) -> out (B,Sq,H,D), probabilities, bound (B,Sq,H,1)."""
    q, k, v = (x.astype(np.float64) for x in (q, k, v))
    B, Sq, H, D = q.shape
    Skv, Hkv = k.shape[1], k.shape[2]
    kr, vr = np.repeat(k, H // Hkv, axis=2), np.repeat(v, H // Hkv, axis=2)
    s = np.einsum("bihd,bjhd->bhij", q, kr) * scale
    if mask is not None:
        s = s + mask.astype(np.float64)
    if causal:
        hidden = np.arange(Skv)[None, :] > np.arange(Sq)[:, None] + Skv - Sq
        s = np.where(hidden, -np.inf, s)
    m = s.max(-1, keepdims=True)
    full = np.isneginf(m)
    e = np.exp(s - np.where(full, 0, m))
    p = e / np.where(full, 1, e.sum(-1, keepdims=True))
    out = np.einsum("bhij,bjhd->bihd", p, vr)
    # per-row bound
    absdot = np.einsum("bihd,bjhd->bhij", np.abs(q), np.abs(kr)) * scale
    mterm = 0 if mask is None else U * np.abs(np.where(np.isfinite(mask), mask, 0))
    delta = ((gamma(D) + 2 * U) * absdot + mterm).max(-1)  # (B,H,Sq)
    bound = np.abs(v).max() * (np.expm1(2 * delta) + 2 * gamma(Skv) + 4 * U)
    return out, p, bound.transpose(0, 2, 1)[..., None]  # (B,Sq,H,1)


def run(mha, args, expect_ok=True):
    """`mha attend ARGS`; stops the test when it fails and expect_ok."""
    # Under a cross build meson sets MESON_EXE_WRAPPER (e.g. qemu-aarch64 -L ...).
    wrapper = shlex.split(os.environ.get("MESON_EXE_WRAPPER", ""))
    r = subprocess.run(wrapper + [mha, "attend"] + args, capture_output=True, text=True)
    if expect_ok and r.returncode != 0:
        raise SystemExit(f"mha attend failed: {r.stderr}")
    return r


def main(body):
    """Calls body(mha, check, path) with mha from argv[1], check(cond, message)
    counting results and path(name) a file in a fresh temporary folder;
    prints "N passed, N failed" and returns the exit status."""
    counts = {"passed": 0, "failed": 0}

    def check(cond, msg):
        if cond:
            counts["passed"] += 1
        else:
            counts["failed"] += 1
            print("FAIL", msg, file=sys.stderr)

    with tempfile.TemporaryDirectory() as d:
        body(sys.argv[1], check, lambda name: os.path.join(d, name))
    print(f"{counts['passed']} passed, {counts['failed']} failed")
    return 1 if counts["failed"] else 0
