#!/usr/bin/env python3
"""ONNX Runtime's CPU attention on the mhalab grid, written as Google Benchmark JSON.

    build/peers/venv/bin/python bench/peers/ort_peer.py --bench build/release/bench/mha-bench \\
        --grid default [--family F] -o ort.json

Two fused attention operators, each a one-node model built with the onnx package
and run by the CPU execution provider with intra_op_num_threads = the point's
thread count (inter_op 1):
  attn/ort_mha/...        com.microsoft.MultiHeadAttention: Q, K, V as (B, S, H*Dh);
                          unidirectional = 1 for causal prefill; this operator has
                          no GQA, so K and V are repeated to H heads once, outside
                          the timed call
  attn/ort_attention/...  the ONNX Attention operator (opset 23): (B, H, S, Dh)
                          inputs with Hkv kv heads (GQA natively); is_causal for
                          causal prefill
A decode step (Sq = 1) sees every cached key under the bottom-right causal
mask, so it runs without one; causal with 1 < Sq != Skv gets an explicit
bottom-right mask (both operators align their causal flag top-left). Inputs are converted to each operator's layout
once per point. Outputs are checked (peer_common.max_error) before timing; the error goes into the entries.
The grid's fp16 points run both operators on float16 tensors (output float16, checked against the
bound with the output's rounding, peer_common.tolerance); its bf16 points are skipped, as the CPU
execution provider has no bfloat16 kernel of either operator (NOT_IMPLEMENTED, onnxruntime 1.32).
"""
import sys

import peer_common as pc

TAG = "ort_peer"


def main():
    args = pc.parse_args(__doc__)
    try:
        import numpy as np
        import onnx
        import onnxruntime as ort
        from onnx import TensorProto, helper
    except ImportError as e:
        pc.log(TAG, "onnxruntime or onnx is not installed here (%s); the ONNX Runtime peer is skipped" % e)
        return 0
    grid, timer = pc.grid_and_timer(args)

    def explicit_mask(p):
        """Causal with 1 < Sq != Skv: both operators align the causal flag top-left, mha.h bottom-right."""
        return p["causal"] and 1 < p["Sq"] != p["Skv"]

    def model(op, p):
        f = TensorProto.FLOAT16 if pc.dtype_of(p) == "fp16" else TensorProto.FLOAT
        causal = int(p["causal"] and p["Sq"] > 1 and not explicit_mask(p))
        masked = explicit_mask(p)
        if op == "ort_mha":
            shapes = [["B", "S", p["H"] * p["Dh"]], ["B", "L", p["H"] * p["Dh"]]]
            names = ["q", "k", "v", "", "", "mask"] if masked else ["q", "k", "v"]
            node = helper.make_node("MultiHeadAttention", names, ["o"], domain="com.microsoft",
                                    num_heads=p["H"], unidirectional=causal)
            ins = [helper.make_tensor_value_info(n, f, shapes[n != "q"]) for n in ("q", "k", "v")]
            if masked:  # additive attention_bias (1, 1, Sq, Skv), of the inputs' type
                ins.append(helper.make_tensor_value_info("mask", f, [1, 1, p["Sq"], p["Skv"]]))
            out = helper.make_tensor_value_info("o", f, shapes[0])
            opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
        else:
            q_shape, kv_shape = ["B", p["H"], "S", p["Dh"]], ["B", p["Hkv"], "L", p["Dh"]]
            node = helper.make_node("Attention", ["q", "k", "v", "mask"] if masked else ["q", "k", "v"], ["o"],
                                    is_causal=causal)
            ins = [helper.make_tensor_value_info(n, f, q_shape if n == "q" else kv_shape) for n in ("q", "k", "v")]
            if masked:  # boolean attn_mask (Sq, Skv), True = attend
                ins.append(helper.make_tensor_value_info("mask", TensorProto.BOOL, [p["Sq"], p["Skv"]]))
            out = helper.make_tensor_value_info("o", f, q_shape)
            opsets = [helper.make_opsetid("", 23)]
        m = helper.make_model(helper.make_graph([node], op, ins, [out]), opset_imports=opsets)
        so = ort.SessionOptions()
        so.intra_op_num_threads = p["threads"]
        so.inter_op_num_threads = 1
        return ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])

    def feeds(op, q, k, v, p):
        """Inputs in the operator's layout; the output back as (B, Sq, H, Dh)."""
        B, H, Sq, Skv, Dh = p["B"], p["H"], p["Sq"], p["Skv"], p["Dh"]
        g = H // p["Hkv"]
        keep = np.arange(Skv)[None, :] <= np.arange(Sq)[:, None] + (Skv - Sq)
        if op == "ort_mha":
            f = {"q": q.reshape(B, Sq, H * Dh),
                 "k": np.ascontiguousarray(np.repeat(k, g, axis=2).reshape(B, Skv, H * Dh)),
                 "v": np.ascontiguousarray(np.repeat(v, g, axis=2).reshape(B, Skv, H * Dh))}
            if explicit_mask(p):
                f["mask"] = np.where(keep, 0.0, -np.inf).astype(q.dtype).reshape(1, 1, Sq, Skv)
            return f, lambda o: o.reshape(B, Sq, H, Dh)
        f = {n: np.ascontiguousarray(x.transpose(0, 2, 1, 3)) for n, x in (("q", q), ("k", k), ("v", v))}
        if explicit_mask(p):
            f["mask"] = keep
        return f, lambda o: o.transpose(0, 2, 1, 3)

    results = []
    bf16 = [p for p in grid["points"] if pc.dtype_of(p) == "bf16"]
    if bf16:
        pc.log(TAG, "%d bf16 point(s) skipped: no bfloat16 kernel of either operator on the CPU" % len(bf16))
    for p in grid["points"]:
        dtype = pc.dtype_of(p)
        if dtype == "bf16":
            continue
        flops, nbytes = pc.attention_flops(p), pc.attention_bytes(p)
        q, k, v = (pc.round_to(x, dtype) for x in pc.inputs(p))  # the values the operator reads, exactly
        fed = tuple(x.astype(np.float16) for x in (q, k, v)) if dtype == "fp16" else (q, k, v)
        for op in ("ort_mha", "ort_attention"):
            key = "%s/%d" % (op, p["threads"])
            skip = timer.over_budget(key, flops)
            if skip:
                results += pc.entries("attn", op, p, error=skip)
                continue
            try:
                sess = model(op, p)
                f, back = feeds(op, *fed, p)
                err = pc.max_error(back(sess.run(None, f)[0]), q, k, v, p["causal"])
            except Exception as e:  # an operator this build lacks, out of memory, ...
                results += pc.entries("attn", op, p, error="onnxruntime error: %s" % str(e)[:200])
                pc.log(TAG, "%s %s: %s" % (op, pc.point_name(p), str(e)[:200]))
                continue
            bound = pc.tolerance(p["Skv"], p["Dh"], dtype, out_rounded=True)
            if not err <= bound:
                results += pc.entries("attn", op, p, error="wrong output: max error %.3g, bound %.3g" % (err, bound))
                continue
            times = timer.time(lambda: sess.run(None, f), key, flops)
            results += pc.entries("attn", op, p, times, flops=flops, nbytes=nbytes, max_abs_error=err, bound=bound)
            pc.log(TAG, "%-13s %s %.1f us (median of %d)" % (op, pc.point_name(p), sorted(times)[len(times) // 2] * 1e6,
                                                            len(times)))
    pc.write(args.output, {
        "mha_peer_onnxruntime": "onnxruntime %s (CPUExecutionProvider), onnx %s, numpy %s: ort_mha = "
                                "com.microsoft.MultiHeadAttention, ort_attention = ONNX Attention (opset 23)"
                                % (ort.__version__, onnx.__version__, np.__version__),
        "mha_grid": grid["grid"],
    }, results, TAG)
    return 0


if __name__ == "__main__":
    sys.exit(main())
