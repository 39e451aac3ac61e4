#!/usr/bin/env python3
"""PyTorch 2.x's CPU attention on the mhalab grid, written as Google Benchmark JSON.

    build/peers/venv-torch/bin/python bench/peers/torch_peer.py --bench build/release/bench/mha-bench \\
        --grid default [--family F] -o torch.json

Three peers, as users write them, at torch.set_num_threads(the point's threads):
  attn/torch_sdpa/...    F.scaled_dot_product_attention (its CPU flash kernel),
                         enable_gqa=True for GQA, is_causal for causal prefill
  attn/torch_matmul/...  softmax(Q K^T * scale + mask) V with torch.matmul, kv heads
                         repeated for GQA
  layer/torch_mha/...    nn.MultiheadAttention (bias off): projections, attention,
                         output projection; MHA self-attention points of head size 64
                         only (Sq == Skv, Hkv == H, Dh 64, as mha-bench's layer/ entries);
                         FLOPs include the projections
Inputs are (B, H, S, Dh) tensors made once per point. A decode step (Sq = 1)
sees every cached key, so it runs without a mask. Attention outputs are
checked (peer_common.max_error) before timing and their error written into
the entries; the layer is not (its weights are torch's own random ones).
The grid's bf16 and fp16 points (the dtype family) run torch_sdpa only, on
torch.bfloat16 / torch.float16 tensors (the fp32 inputs rounded to nearest
even, as mha-bench rounds its own): the output comes back in that dtype
(mha-bench's is fp32), so its bound has the output's rounding added
(peer_common.tolerance). torch's CPU kernel accumulates in fp32.
Requires torch >= 2.5 (enable_gqa).
"""
import sys

import peer_common as pc

TAG = "torch_peer"


def main():
    args = pc.parse_args(__doc__)
    try:
        import numpy as np
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        pc.log(TAG, "PyTorch is not installed here (%s); the torch peer is skipped" % e)
        return 0
    major, minor = (int(x) for x in torch.__version__.split(".")[:2])
    if (major, minor) < (2, 5):
        pc.log(TAG, "torch %s is older than 2.5 (no enable_gqa); the torch peer is skipped" % torch.__version__)
        return 0
    grid, timer = pc.grid_and_timer(args)

    def bottom_right_keep(sq, skv):
        """True where row i may see key j (mha.h's bottom-right aligned causal mask)."""
        return torch.arange(skv).unsqueeze(0) <= torch.arange(sq).unsqueeze(1) + (skv - sq)

    def sdpa(q, k, v, causal):
        gqa = q.shape[1] != k.shape[1]
        sq, skv = q.shape[2], k.shape[2]
        if causal and sq > 1 and sq != skv:  # is_causal is top-left aligned: an explicit mask
            return F.scaled_dot_product_attention(q, k, v, attn_mask=bottom_right_keep(sq, skv), enable_gqa=gqa)
        return F.scaled_dot_product_attention(q, k, v, is_causal=bool(causal and sq > 1), enable_gqa=gqa)

    def matmul(q, k, v, causal):
        g = q.shape[1] // k.shape[1]
        if g > 1:
            k = k.repeat_interleave(g, dim=1)
            v = v.repeat_interleave(g, dim=1)
        s = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / q.shape[-1] ** 0.5)
        sq, skv = q.shape[2], k.shape[2]
        if causal and sq > 1:
            s = s.masked_fill(~bottom_right_keep(sq, skv), float("-inf"))
        return torch.matmul(torch.softmax(s, dim=-1), v)

    torch_dtypes = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
    results = []
    torch.manual_seed(0)
    for p in grid["points"]:
        torch.set_num_threads(p["threads"])
        dtype = pc.dtype_of(p)
        flops, nbytes = pc.attention_flops(p), pc.attention_bytes(p)
        qn, kn, vn = (pc.round_to(x, dtype) for x in pc.inputs(p))  # the values the tensors hold, exactly
        q, k, v = (torch.from_numpy(np.ascontiguousarray(x.transpose(0, 2, 1, 3))).to(torch_dtypes[dtype])
                   for x in (qn, kn, vn))
        peers = (("torch_sdpa", sdpa), ("torch_matmul", matmul)) if dtype == "fp32" else (("torch_sdpa", sdpa),)
        for name, fn in peers:
            key = "%s/%d" % (name, p["threads"])
            skip = timer.over_budget(key, flops)
            if skip:
                results += pc.entries("attn", name, p, error=skip)
                continue
            with torch.inference_mode():
                try:
                    out = fn(q, k, v, p["causal"]).transpose(1, 2).float().numpy()
                except RuntimeError as e:  # e.g. out of memory for the S x S scores
                    results += pc.entries("attn", name, p, error="torch error: %s" % str(e)[:200])
                    continue
                err = pc.max_error(out, qn, kn, vn, p["causal"])
                bound = pc.tolerance(p["Skv"], p["Dh"], dtype, out_rounded=True)
                if not err <= bound:
                    results += pc.entries("attn", name, p,
                                          error="wrong output: max error %.3g, bound %.3g" % (err, bound))
                    continue
                times = timer.time(lambda: fn(q, k, v, p["causal"]), key, flops)
            results += pc.entries("attn", name, p, times, flops=flops, nbytes=nbytes, max_abs_error=err, bound=bound)
            pc.log(TAG, "%-13s %s %.1f us" % (name, pc.point_name(p), sorted(times)[len(times) // 2] * 1e6))
        # as mha-bench's layer/ entries (fp32 only)
        if dtype == "fp32" and p["Sq"] == p["Skv"] and p["Hkv"] == p["H"] and p["Sq"] > 1 and p["Dh"] == 64:
            d = p["H"] * p["Dh"]
            layer = torch.nn.MultiheadAttention(d, p["H"], bias=False, batch_first=True)
            x = torch.rand(p["B"], p["Sq"], d) * 2 - 1
            mask = None
            if p["causal"]:  # nn.MultiheadAttention: True = masked
                mask = torch.ones(p["Sq"], p["Sq"], dtype=torch.bool).triu(1)
            lflops = flops + 2.0 * p["B"] * p["Sq"] * d * (4 * d)
            key = "torch_mha/%d" % p["threads"]
            skip = timer.over_budget(key, lflops)
            if skip:
                results += pc.entries("layer", "torch_mha", p, error=skip)
                continue
            with torch.inference_mode():
                times = timer.time(lambda: layer(x, x, x, attn_mask=mask, need_weights=False), key, lflops)
            results += pc.entries("layer", "torch_mha", p, times, flops=lflops)
    pc.write(args.output, {
        "mha_peer_torch": "torch %s (CPU capability %s), numpy %s: torch_sdpa = F.scaled_dot_product_attention, "
                          "torch_matmul = softmax(Q K^T) V, torch_mha = nn.MultiheadAttention"
                          % (torch.__version__, torch.backends.cpu.get_cpu_capability(), np.__version__),
        "mha_torch_parallel": torch.__config__.parallel_info().strip().splitlines()[0],
        "mha_grid": grid["grid"],
    }, results, TAG)
    return 0


if __name__ == "__main__":
    sys.exit(main())
