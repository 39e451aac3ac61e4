"""What the peer scripts share: the grid, the inputs, the output check, the
timing rule and the Google Benchmark JSON they write.

Timing rule (the same for every peer): one call to warm up, one checked
call, then `repetitions` repetitions (the grid's, 3 on the default grid);
each repetition runs whole batches of calls until it has at least
`min_iters` calls AND at least `min_time` seconds, and records the mean
time per call. Inputs are allocated once per point. A point whose call is
estimated (from the peer's last measured rate at the same thread count)
to take longer than the grid's budget is skipped, as mha-bench does.
"""
import argparse
import json
import math
import os
import socket
import subprocess
import sys
import time

try:
    import numpy as np
except ImportError:  # each peer script checks its own imports and says what is missing
    np = None

MIN_ITERS = 3


def log(tag, msg):
    print("%s: %s" % (tag, msg), file=sys.stderr)


def load_grid(bench, grid, grid_json=None, family=None):
    if grid_json:
        with open(grid_json) as f:
            doc = json.load(f)
    else:
        out = subprocess.run([bench, "--list-grid", grid, "--json"], check=True, capture_output=True,
                             text=True).stdout
        doc = json.loads(out)
    if family:
        families = sorted({p["family"] for p in doc["points"]})
        if family not in families:
            raise SystemExit("--family %s: the %s grid has no such family; expected one of %s"
                             % (family, doc["grid"], ", ".join(families)))
        doc["points"] = [p for p in doc["points"] if p["family"] == family]
    return doc


def dtype_of(p):
    """The point's input dtype: "fp32", "bf16" or "fp16" (out is fp32 for mha-bench)."""
    return p.get("dtype", "fp32")


def point_name(p):
    """As mha-bench's (bench/grid.h): "/dtype:bf16" after the threads unless fp32."""
    name = "B:{B}/H:{H}/Hkv:{Hkv}/Sq:{Sq}/Skv:{Skv}/Dh:{Dh}/causal:{causal}/threads:{threads}".format(**p)
    return name if dtype_of(p) == "fp32" else name + "/dtype:" + dtype_of(p)


def visible(sq, skv, i, causal):
    """Keys row i sees: bottom-right aligned causal mask, as in mha.h."""
    if not causal:
        return skv
    return max(0, min(skv, i + skv - sq + 1))


# unit roundoff of each dtype: 2^-(significand bits)
UNIT_ROUNDOFF = {"fp32": 2.0 ** -24, "bf16": 2.0 ** -8, "fp16": 2.0 ** -11}


def tolerance(skv, dh, dtype="fp32", out_rounded=False):
    """bench/refcheck.h's bounds, |inputs| <= 1: fp32 u * (2 Dh^1.5 + 2 Skv + 16); bf16 and fp16 inputs add
    2 u_d (P rounded to the dtype before P V). out_rounded: O is returned in the inputs' dtype (mha-bench's
    dtype points return fp32), which moves each |O| <= max|V| = 1 by at most u_d more."""
    bound = 2.0 ** -24 * (2 * dh ** 1.5 + 2 * skv + 16)
    if dtype != "fp32":
        bound += (3.0 if out_rounded else 2.0) * UNIT_ROUNDOFF[dtype]
    return bound


def attention_flops(p):
    pairs = sum(visible(p["Sq"], p["Skv"], i, p["causal"]) for i in range(p["Sq"])) if p["causal"] \
        else p["Sq"] * p["Skv"]
    return 4.0 * p["B"] * p["H"] * p["Dh"] * pairs


def attention_bytes(p):
    """Bytes of Q, K, V and O at the inputs' element size, as mha-bench counts them."""
    size = 4.0 if dtype_of(p) == "fp32" else 2.0
    return size * (2 * p["B"] * p["Sq"] * p["H"] * p["Dh"] + 2 * p["B"] * p["Skv"] * p["Hkv"] * p["Dh"])


def inputs(p, seed=0):
    """q (B, Sq, H, Dh), k and v (B, Skv, Hkv, Dh): float32 uniform in [-1, 1)."""
    rng = np.random.default_rng(seed)
    q = rng.uniform(-1, 1, (p["B"], p["Sq"], p["H"], p["Dh"])).astype(np.float32)
    k = rng.uniform(-1, 1, (p["B"], p["Skv"], p["Hkv"], p["Dh"])).astype(np.float32)
    v = rng.uniform(-1, 1, (p["B"], p["Skv"], p["Hkv"], p["Dh"])).astype(np.float32)
    return q, k, v


def round_to(x, dtype):
    """float32 x rounded to dtype (nearest even), as float32 (exact): the values a bf16 or fp16 tensor holds."""
    if dtype == "fp32":
        return x
    if dtype == "fp16":
        return x.astype(np.float16).astype(np.float32)
    bits = x.view(np.uint32).astype(np.uint64)  # bf16: keep the upper 16 bits, ties to even (inputs are finite)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return bits.astype(np.uint32).view(np.float32)


# bench/refcheck.c: shapes with at most this many multiply-adds get a full reference, others 8 sampled rows
FULL_REFERENCE_MACS = 1 << 24
SAMPLED_ROWS = 8


def reference_rows(b_, h, sq, skv, dh):
    """The query rows checked, as bench/refcheck.c picks them: every row of a small shape or of Sq <= 8, else
    8 spread from the first to the last."""
    if b_ * h * sq * skv * dh <= FULL_REFERENCE_MACS or sq <= SAMPLED_ROWS:
        return list(range(sq))
    return [r * (sq - 1) // (SAMPLED_ROWS - 1) for r in range(SAMPLED_ROWS)]


def max_error(out, q, k, v, causal):
    """max |out - float64 reference| over the reference rows (reference_rows); out is (B, Sq, H, Dh), q, k, v
    hold the exact values the implementation read (round_to). A NaN counts as infinity. mha-bench computes the
    same (bench/refcheck.c, bench_output_error)."""
    b_, sq, h, dh = q.shape
    skv, g = k.shape[1], h // k.shape[2]
    rows = reference_rows(b_, h, sq, skv, dh)
    kd = np.repeat(k.astype(np.float64), g, axis=2)
    vd = np.repeat(v.astype(np.float64), g, axis=2)
    worst = 0.0
    for i in rows:
        n = visible(sq, skv, i, causal)
        if n == 0:
            ref = np.zeros((b_, h, dh))
        else:
            s = np.einsum("bhd,bjhd->bhj", q[:, i].astype(np.float64), kd[:, :n]) / math.sqrt(dh)
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            ref = np.einsum("bhj,bjhd->bhd", s / s.sum(axis=-1, keepdims=True), vd[:, :n])
        d = np.abs(np.asarray(out, dtype=np.float64)[:, i] - ref)
        err = float("inf") if np.isnan(d).any() else float(d.max())
        worst = max(worst, err)
    return worst


class Timer:
    """The timing rule above; remembers each peer's last rate for the budget estimate."""

    def __init__(self, grid, min_time=None, budget=None):
        self.min_time = min_time if min_time is not None else grid.get("min_time", 0.1)
        self.budget = budget if budget is not None else grid.get("budget_seconds", 4.0)
        self.reps = grid.get("repetitions", 1)
        self.last_rate = {}

    def over_budget(self, key, flops):
        rate = self.last_rate.get(key)
        if rate and flops / rate > self.budget:
            return "skipped: one call would take ~%.1f s at the last measured %.2f GFLOP/s, over the %.1f s " \
                   "budget" % (flops / rate, rate / 1e9, self.budget)
        return None

    def time(self, fn, key, flops):
        """Seconds per call of each repetition."""
        fn()  # warm
        times = []
        for _ in range(self.reps):
            iters, total, batch = 0, 0.0, 1
            while iters < MIN_ITERS or total < self.min_time:
                t0 = time.perf_counter()
                for _ in range(batch):
                    fn()
                total += time.perf_counter() - t0
                iters += batch
                # the calls still needed at the rate so far, at most twice as many as done
                need = max(MIN_ITERS - iters, math.ceil((self.min_time - total) * iters / total))
                batch = max(1, min(need, 2 * iters))
            times.append(total / iters)
        self.last_rate[key] = flops / min(times)
        return times


def entries(kind, name, p, times=None, error=None, flops=None, nbytes=None, max_abs_error=None, bound=None):
    """Google Benchmark entries: one per repetition, or one error entry. max_abs_error and bound (the checked
    output's error and its bound) become the counters "max_abs_error" and "error_bound", as mha-bench's."""
    full = "%s/%s/%s/real_time" % (kind, name, point_name(p))
    base = {"name": full, "run_name": full, "run_type": "iteration", "threads": 1, "time_unit": "us"}
    if error:
        return [dict(base, repetitions=1, repetition_index=0, error_occurred=True, error_message=error)]
    out = []
    for i, sec in enumerate(times):
        e = dict(base, repetitions=len(times), repetition_index=i, iterations=1, real_time=sec * 1e6,
                 cpu_time=sec * 1e6)
        e["FLOP/s"] = flops / sec
        if nbytes:
            e["bytes/s"] = nbytes / sec
        if max_abs_error is not None:
            e["max_abs_error"] = max_abs_error
            e["error_bound"] = bound
        out.append(e)
    return out


def write(path, context, results, tag):
    ctx = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "host_name": socket.gethostname(),
           "executable": os.path.abspath(sys.argv[0]), "num_cpus": os.cpu_count()}
    ctx.update(context)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"context": ctx, "benchmarks": results}, f, indent=2)
    os.replace(tmp, path)
    log(tag, "wrote %d entries to %s" % (len(results), path))


def parse_args(doc):
    """The peer scripts' command line (the same for each)."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default="build/release/bench/mha-bench", help="mha-bench, to read the grid from")
    ap.add_argument("--grid", default="default")
    ap.add_argument("--family", help="only the grid's points of this family (as mha-bench --family)")
    ap.add_argument("--grid-json", help="read the grid from this file instead of running mha-bench")
    ap.add_argument("--min-time", type=float, default=None, help="seconds per repetition (default: the grid's)")
    ap.add_argument("--budget", type=float, default=None, help="skip a call estimated slower than this")
    ap.add_argument("-o", "--output", required=True)
    return ap.parse_args()


def grid_and_timer(args):
    grid = load_grid(args.bench, args.grid, args.grid_json, args.family)
    return grid, Timer(grid, args.min_time, args.budget)
