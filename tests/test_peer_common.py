#!/usr/bin/env python3
"""bench/peers/peer_common.py: the float64 check catches a wrong output (a
top-left causal mask, one perturbed element), the FLOP count of a causal
point counts visible pairs, the timing rule keeps both minimums, entries
carry every repetition and the checked error; bf16/fp16 points: rounding
to nearest even, names with mha-bench's dtype suffix, the bound with the
output's rounding, the rows checked as bench/refcheck.c picks them.
Needs numpy (Debian's python3-numpy).
usage: test_peer_common.py BENCH_PEERS_DIR"""
import math
import sys
import time

sys.path.insert(0, sys.argv[1])
import numpy as np  # noqa: E402

import peer_common as pc  # noqa: E402

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what, file=sys.stderr)


def attention(q, k, v, keep):
    """(B, Sq, H, Dh) softmax attention in float64 with a (Sq, Skv) boolean mask."""
    g = q.shape[2] // k.shape[2]
    kk, vv = np.repeat(k, g, axis=2).astype(np.float64), np.repeat(v, g, axis=2).astype(np.float64)
    s = np.einsum("bihd,bjhd->bhij", q.astype(np.float64), kk) / math.sqrt(q.shape[3])
    s = np.where(keep, s, -np.inf)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    return np.einsum("bhij,bjhd->bihd", p / p.sum(axis=-1, keepdims=True), vv).astype(np.float32)


p = {"B": 1, "H": 4, "Hkv": 2, "Sq": 37, "Skv": 91, "Dh": 40, "causal": 1, "threads": 1}
q, k, v = pc.inputs(p)
bottom_right = np.arange(91)[None, :] <= np.arange(37)[:, None] + (91 - 37)
top_left = np.arange(91)[None, :] <= np.arange(37)[:, None]
bound = pc.tolerance(91, 40)
good = attention(q, k, v, bottom_right)
check(pc.max_error(good, q, k, v, 1) <= bound, "the bottom-right causal output passes")
check(pc.max_error(attention(q, k, v, top_left), q, k, v, 1) > bound, "a top-left causal output fails")
bad = good.copy()
bad[0, 36, 3, 7] += 1e-3  # row 36 is sampled (the last row)
check(pc.max_error(bad, q, k, v, 1) > bound, "one perturbed element of a sampled row fails")
check(pc.attention_flops(p) == 4.0 * 4 * 40 * sum(min(91, i + 55) for i in range(37)),
      "causal FLOPs count the visible pairs")

grid = {"min_time": 0.02, "budget_seconds": 1.0, "repetitions": 2}
timer = pc.Timer(grid)
calls = []
times = timer.time(lambda: calls.append(1), "noop/1", 1.0)
check(len(times) == 2, "one time per repetition")
check(len(calls) >= 1 + 2 * pc.MIN_ITERS, "the minimum number of calls per repetition")
slow = pc.Timer({"min_time": 0.0, "budget_seconds": 1.0, "repetitions": 1})
n = []
slow.time(lambda: (n.append(1), time.sleep(0.01)), "slow/1", 1e9)
check(len(n) == 1 + pc.MIN_ITERS, "a zero min_time still runs MIN_ITERS calls (and not more): %d" % len(n))
check(slow.over_budget("slow/1", 2e11) is not None, "a call estimated at 2 s, over the 1 s budget, is skipped")
check(slow.over_budget("slow/1", 5e10) is None, "a call estimated at 0.5 s is timed")
entries = pc.entries("attn", "x", p, times, flops=2.0)
check(len(entries) == 2 and [e["repetition_index"] for e in entries] == [0, 1], "an entry per repetition")
check(entries[0]["name"] == "attn/x/B:1/H:4/Hkv:2/Sq:37/Skv:91/Dh:40/causal:1/threads:1/real_time",
      "mha-bench's naming")
entries = pc.entries("attn", "x", p, times, flops=2.0, max_abs_error=3e-7, bound=9e-5)
check(all(e["max_abs_error"] == 3e-7 and e["error_bound"] == 9e-5 for e in entries),
      "every repetition's entry carries the checked error and its bound")

# bf16: 8 significand bits, so around 1 the spacing is 2^-7 and a tie is 2^-8 away
x = np.array([1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, -(1 + 2 ** -9), 0.5], dtype=np.float32)
want = np.array([1.0, 1 + 2 ** -6, 1 + 2 ** -7, -1.0, 0.5], dtype=np.float32)
check(np.array_equal(pc.round_to(x, "bf16"), want), "bf16 rounds to nearest, ties to even: %s" % pc.round_to(x, "bf16"))
check(pc.round_to(np.array([1 + 2 ** -11, 1 + 3 * 2 ** -11], dtype=np.float32), "fp16").tolist()
      == [1.0, 1 + 2 ** -9], "fp16 rounds to nearest, ties to even")
low = dict(p, dtype="bf16")
check(pc.point_name(low) == "B:1/H:4/Hkv:2/Sq:37/Skv:91/Dh:40/causal:1/threads:1/dtype:bf16",
      "a bf16 point is named as mha-bench names it")
check(pc.attention_bytes(low) * 2 == pc.attention_bytes(p), "bf16 moves half the bytes of fp32")
check(pc.tolerance(91, 40, "bf16", out_rounded=True) == bound + 3 * 2 ** -8
      and pc.tolerance(91, 40, "fp16") == bound + 2 * 2 ** -11, "the low-precision bounds")
check(pc.reference_rows(1, 4, 37, 91, 40) == list(range(37)), "a small shape checks every row")
check(pc.reference_rows(1, 8, 512, 512, 64) == [0, 73, 146, 219, 292, 365, 438, 511],
      "a large shape checks 8 rows from the first to the last")
# the exact attention of bf16 inputs, returned in bf16: passes the bound with the output's rounding, and the
# rounding alone (up to 2^-9 of |O|) is above the fp32 bound
ql, kl, vl = (pc.round_to(t, "bf16") for t in (q, k, v))
out_bf16 = pc.round_to(attention(ql, kl, vl, bottom_right), "bf16")
err = pc.max_error(out_bf16, ql, kl, vl, 1)
check(bound < err <= pc.tolerance(91, 40, "bf16", out_rounded=True), "bf16 output error %g" % err)
out_bf16[0, 5, 1, 2] = np.nan
check(pc.max_error(out_bf16, ql, kl, vl, 1) == float("inf"), "a NaN counts as an infinite error")
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
