#!/usr/bin/env python3
"""PyTorch's CPU attention on the mhalab grid, written as Google Benchmark JSON.

    /usr/bin/python3 bench/peers/torch_peer.py --bench build/bench/mha-bench \
        --grid default -o torch.json

The grid comes from `mha-bench --list-grid GRID --json`, so the points are
the ones mha-bench times. Three peers, as users write them:
  attn/torch_matmul/...  softmax(Q K^T * scale + mask) V with torch.matmul
  attn/torch_sdpa/...    torch's scaled-dot-product attention
                         (F.scaled_dot_product_attention, or 1.13's private
                         F._scaled_dot_product_attention)
  layer/torch_mha/...    nn.MultiheadAttention (bias off): projections,
                         attention, output projection; MHA self-attention
                         points only (Sq == Skv, Hkv == H)
Each output is checked once against a float64 computation of sampled rows
(the same bound as mha-bench) before it is timed. Without torch the script
prints a message and exits 0 without writing (absent peers are skipped).
"""
import argparse
import json
import math
import os
import platform
import socket
import subprocess
import sys
import time


def log(msg):
    print("torch_peer: " + msg, file=sys.stderr)


def load_grid(args):
    if args.grid_json:
        with open(args.grid_json) as f:
            return json.load(f)
    out = subprocess.run([args.bench, "--list-grid", args.grid, "--json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def point_name(p):
    return "B:{B}/H:{H}/Hkv:{Hkv}/Sq:{Sq}/Skv:{Skv}/Dh:{Dh}/causal:{causal}/threads:{threads}".format(**p)


def visible(sq, skv, i, causal):
    """Keys row i sees: bottom-right aligned causal mask, as in mha.h."""
    if not causal:
        return skv
    return max(0, min(skv, i + skv - sq + 1))


def tolerance(skv, dh):
    """Same bound as bench/refcheck.h: u * (2 Dh^1.5 + 2 Skv + 16), |inputs| <= 1."""
    return 2.0 ** -24 * (2 * dh ** 1.5 + 2 * skv + 16)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default="build/bench/mha-bench", help="mha-bench, to read the grid from")
    ap.add_argument("--grid", default="default")
    ap.add_argument("--grid-json", help="read the grid from this file instead of running mha-bench")
    ap.add_argument("--min-time", type=float, default=None, help="seconds per point (default: the grid's)")
    ap.add_argument("--budget", type=float, default=None, help="skip a call estimated slower than this")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()

    try:
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        log("PyTorch is not installed here (%s); the torch peer is skipped" % e)
        return 0

    grid = load_grid(args)
    min_time = args.min_time if args.min_time is not None else grid.get("min_time", 0.1)
    budget = args.budget if args.budget is not None else grid.get("budget_seconds", 2.0)
    sdpa = getattr(F, "scaled_dot_product_attention", None)
    sdpa_name = "F.scaled_dot_product_attention"
    if sdpa is None and hasattr(F, "_scaled_dot_product_attention"):
        def sdpa(q, k, v, attn_mask=None, is_causal=False, _f=F._scaled_dot_product_attention):
            return _f(q, k, v, attn_mask, 0.0, False, is_causal)[0]
        sdpa_name = "F._scaled_dot_product_attention (torch 1.13)"
    if sdpa is None:
        log("this torch has no scaled_dot_product_attention; torch_sdpa is skipped")

    def bool_mask(sq, skv, causal):
        """True = may attend (torch's boolean mask convention), bottom-right aligned."""
        if not causal or sq == 1:
            return None
        i = torch.arange(sq).unsqueeze(1)
        j = torch.arange(skv).unsqueeze(0)
        return j <= i + (skv - sq)

    def matmul_attention(q, k, v, causal):
        # what users write: repeat kv heads for GQA, scores, mask, softmax, weighted sum
        g = q.shape[1] // k.shape[1]
        if g > 1:
            k = k.repeat_interleave(g, dim=1)
            v = v.repeat_interleave(g, dim=1)
        s = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
        m = bool_mask(q.shape[2], k.shape[2], causal)
        if m is not None:
            s = s.masked_fill(~m, float("-inf"))
        return torch.matmul(torch.softmax(s, dim=-1), v)

    def sdpa_attention(q, k, v, causal):
        g = q.shape[1] // k.shape[1]
        if g > 1:
            k = k.repeat_interleave(g, dim=1)
            v = v.repeat_interleave(g, dim=1)
        m = bool_mask(q.shape[2], k.shape[2], causal)
        if m is not None and q.shape[2] == k.shape[2]:
            return sdpa(q, k, v, is_causal=True)
        return sdpa(q, k, v, attn_mask=m)

    def check(out, q, k, v, causal):
        """max |out - float64 reference| over 8 sampled rows; out is (B, H, Sq, Dh)."""
        b_, h, sq, dh = q.shape
        skv = k.shape[2]
        rows = sorted(set(int(r * (sq - 1) / 7) for r in range(8))) if sq > 1 else [0]
        g = h // k.shape[1]
        kd = k.double().repeat_interleave(g, dim=1)
        vd = v.double().repeat_interleave(g, dim=1)
        worst = 0.0
        for i in rows:
            n = visible(sq, skv, i, causal)
            if n == 0:
                ref = torch.zeros(b_, h, dh, dtype=torch.float64)
            else:
                s = torch.einsum("bhd,bhjd->bhj", q[:, :, i].double(), kd[:, :, :n]) / math.sqrt(dh)
                ref = torch.einsum("bhj,bhjd->bhd", torch.softmax(s, dim=-1), vd[:, :, :n])
            err = (out[:, :, i].double() - ref).abs().max().item()
            worst = max(worst, err if err == err else float("inf"))
        return worst

    def timed(fn, est_key, flops):
        rate = last_rate.get(est_key)
        if rate and flops / rate > budget:
            return None, "skipped: one call would take ~%.1f s at the last measured %.2f GFLOP/s, over the %.1f s " \
                         "budget" % (flops / rate, rate / 1e9, budget)
        fn()  # warm-up
        iters, total = 0, 0.0
        while total < min_time:
            n = max(1, iters)  # doubles the batch each round, like Google Benchmark's growth
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            total += time.perf_counter() - t0
            iters += n
        last_rate[est_key] = flops * iters / total
        return total / iters, iters

    last_rate = {}
    results = []
    torch.manual_seed(0)
    for p in grid["points"]:
        torch.set_num_threads(p["threads"])
        B, H, Hkv, Sq, Skv, Dh, causal = (p[k] for k in ("B", "H", "Hkv", "Sq", "Skv", "Dh", "causal"))
        q = torch.rand(B, H, Sq, Dh) * 2 - 1
        k = torch.rand(B, Hkv, Skv, Dh) * 2 - 1
        v = torch.rand(B, Hkv, Skv, Dh) * 2 - 1
        pairs = sum(visible(Sq, Skv, i, causal) for i in range(Sq)) if causal else Sq * Skv
        flops = 4.0 * B * H * Dh * pairs
        nbytes = 4.0 * (2 * B * Sq * H * Dh + 2 * B * Skv * Hkv * Dh)
        peers = [("torch_matmul", matmul_attention)]
        if sdpa is not None:
            peers.append(("torch_sdpa", sdpa_attention))
        for name, fn in peers:
            full = "attn/%s/%s/real_time" % (name, point_name(p))
            entry = {"name": full, "run_name": full, "run_type": "iteration", "repetitions": 1,
                     "repetition_index": 0, "threads": 1, "time_unit": "us"}
            rate = last_rate.get("%s/%d" % (name, p["threads"]))
            if rate and flops / rate > budget:  # before the check, which costs one call too
                entry.update({"error_occurred": True, "error_message": "skipped: one call would take ~%.1f s at the "
                              "last measured %.2f GFLOP/s, over the %.1f s budget" % (flops / rate, rate / 1e9, budget)})
                results.append(entry)
                log("%-13s %s %s" % (name, point_name(p), entry["error_message"]))
                continue
            with torch.no_grad():
                try:
                    err = check(fn(q, k, v, causal), q, k, v, causal)
                except RuntimeError as e:  # e.g. out of memory for the S x S scores
                    entry.update({"error_occurred": True, "error_message": "torch error: %s" % str(e)[:200]})
                    results.append(entry)
                    continue
                if not err <= tolerance(Skv, Dh):
                    entry.update({"error_occurred": True,
                                  "error_message": "wrong output: max error %.3g, bound %.3g" % (err, tolerance(Skv, Dh))})
                    results.append(entry)
                    continue
                sec, iters = timed(lambda: fn(q, k, v, causal), "%s/%d" % (name, p["threads"]), flops)
            if sec is None:
                entry.update({"error_occurred": True, "error_message": iters})
            else:
                entry.update({"iterations": iters, "real_time": sec * 1e6, "cpu_time": sec * 1e6,
                              "FLOP/s": flops / sec, "bytes/s": nbytes / sec})
            results.append(entry)
            log("%-13s %s %s" % (name, point_name(p), "%.1f us" % (sec * 1e6) if sec else entry["error_message"]))
        if Sq == Skv and Hkv == H and Sq > 1:
            D = H * Dh
            layer = torch.nn.MultiheadAttention(D, H, bias=False, batch_first=True)
            x = torch.rand(B, Sq, D) * 2 - 1
            m = None if not causal else ~bool_mask(Sq, Skv, True)  # MultiheadAttention: True = masked
            full = "layer/torch_mha/%s/real_time" % point_name(p)
            entry = {"name": full, "run_name": full, "run_type": "iteration", "repetitions": 1,
                     "repetition_index": 0, "threads": 1, "time_unit": "us"}
            lflops = flops + 2.0 * B * Sq * D * (4 * D)
            with torch.no_grad():
                sec, iters = timed(lambda: layer(x, x, x, attn_mask=m, need_weights=False),
                                   "torch_mha/%d" % p["threads"], lflops)
            if sec is None:
                entry.update({"error_occurred": True, "error_message": iters})
            else:
                entry.update({"iterations": iters, "real_time": sec * 1e6, "cpu_time": sec * 1e6,
                              "FLOP/s": lflops / sec})
            results.append(entry)

    doc = {
        "context": {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "host_name": socket.gethostname(),
            "executable": os.path.abspath(__file__),
            "num_cpus": os.cpu_count(),
            "peer": "torch",
            "torch_version": torch.__version__,
            "torch_sdpa": sdpa_name if sdpa is not None else "absent",
            "torch_config": torch.__config__.show().strip().splitlines()[0] if hasattr(torch, "__config__") else "",
            "python_version": platform.python_version(),
            "mha_grid": grid["grid"],
            "mha_check_rule": "float64 reference on 8 sampled rows, |O - ref| <= u*(2*Dh^1.5 + 2*Skv + 16)",
        },
        "benchmarks": results,
    }
    tmp = args.output + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
    os.replace(tmp, args.output)
    log("wrote %d entries to %s" % (len(results), args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
