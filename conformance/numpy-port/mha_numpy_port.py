#!/usr/bin/env python3
"""A port of mhalab's attention to NumPy, validated through `mha check --exec`.

    mha check --exec 'python3 conformance/numpy-port/mha_numpy_port.py'

It speaks the exec protocol of docs/porting-protocol.md: one JSON object per
line on stdin (requests) and stdout (replies), tensors as .npy files in the
folder the request names. Read it as a template for a port in any language:
the protocol part (serve, handle, main) stays, attention() is yours; from
Python, import this file and pass your function to serve().
Only the standard library and NumPy.

--bug NAME plants a known bug so that a test can prove the check catches it:
  no_max        softmax without subtracting the row maximum (overflows)
  wrong_scale   ignores the request's scale and always uses 1/sqrt(Dh)
  thread_order  with more than one thread, sums P V in reverse key order: as
                accurate, but not the same bits, though it declares itself
                deterministic
"""
import argparse
import concurrent.futures
import json
import os
import sys

import numpy as np

PROTOCOL = 1
BUGS = ("no_max", "wrong_scale", "thread_order")


def attention_head(q, k, v, mask, scale, causal, bug):
    """One (batch, head) slice in float32: q (Sq, Dh), k and v (Skv, Dh),
    mask (Sq, Skv) or None. Returns out (Sq, Dh) and probs (Sq, Skv)."""
    sq, skv = q.shape[0], k.shape[0]
    # which keys each query row may see: bottom-right causal, and the mask's -inf
    visible = np.ones((sq, skv), dtype=bool)
    if causal:
        visible = np.arange(skv)[None, :] <= np.arange(sq)[:, None] + (skv - sq)
    if mask is not None:
        visible &= mask != -np.inf
    if bug == "wrong_scale":
        scale = np.float32(1.0 / np.sqrt(q.shape[1]))
    scores = (q @ k.T) * scale
    if mask is not None:
        scores = scores + mask
    # hidden keys are never read: a NaN in a hidden key's K must not leak
    scores = np.where(visible, scores, np.float32(-np.inf))
    row_max = scores.max(axis=1, keepdims=True)  # NaN when any visible score is NaN
    empty = row_max == -np.inf  # rows that see no key give zeros, not NaN
    if bug == "no_max":
        row_max = np.zeros_like(row_max)
    e = np.exp(scores - np.where(empty, np.float32(0), row_max))
    probs = e / np.where(empty, np.float32(1), e.sum(axis=1, keepdims=True))
    weights = np.where(visible, probs, np.float32(0))
    # the same for V: hidden keys' values are not read, visible non-finite ones are
    bad = ~np.isfinite(v)
    if bug == "thread_order":
        weights, v, bad, visible = weights[:, ::-1], v[::-1], bad[::-1], visible[:, ::-1]
    out = weights @ np.where(bad, np.float32(0), v)
    if bad.any():
        for i, d in zip(*np.nonzero(visible.astype(np.float32) @ bad.astype(np.float32))):
            seen = visible[i]
            out[i, d] = np.sum(weights[i, seen] * v[seen, d], dtype=np.float32)
    return out, probs


def attention(q, k, v, mask, scale, causal, want_probs, threads, bug):
    """q (B, Sq, H, Dh), k and v (B, Skv, Hkv, Dh), mask (mask_b, mask_h, Sq, Skv)
    or None. Every (b, h) slice is computed the same way whatever the thread
    count, so the results are the same bits for every `threads`."""
    batch, sq, heads, dh = q.shape
    if bug == "thread_order" and threads == 1:
        bug = None
    group = heads // k.shape[2]
    out = np.empty((batch, sq, heads, dh), dtype=np.float32)
    probs = np.empty((batch, heads, sq, k.shape[1]), dtype=np.float32) if want_probs else None

    def one(bh):
        b, h = bh
        m = None
        if mask is not None:
            m = mask[b if mask.shape[0] > 1 else 0, h if mask.shape[1] > 1 else 0]
        o, p = attention_head(q[b, :, h], k[b, :, h // group], v[b, :, h // group], m, scale, causal, bug)
        out[b, :, h] = o
        if probs is not None:
            probs[b, h] = p

    slices = [(b, h) for b in range(batch) for h in range(heads)]
    # inf and NaN are part of the contract (masked keys, NaN inputs): no warnings for them
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            list(pool.map(one, slices))  # NumPy releases the GIL inside its loops
    return out, probs


def handle(request, compute):
    """One attention request: read the inputs, compute, write the outputs."""
    folder = request["dir"]

    def load(name):
        a = np.load(os.path.join(folder, name), allow_pickle=False)
        if a.dtype != np.float32:
            raise ValueError(f"{name}: dtype {a.dtype}, expected float32")
        return a

    s = request["shape"]
    q, k, v = load(request["q"]), load(request["k"]), load(request["v"])
    expect = {"q": (s["B"], s["Sq"], s["H"], s["Dh"]), "k": (s["B"], s["Skv"], s["Hkv"], s["Dh"])}
    if q.shape != expect["q"] or k.shape != expect["k"] or v.shape != expect["k"]:
        raise ValueError(f"q, k, v shapes {q.shape}, {k.shape}, {v.shape} do not match {s}")
    mask = load(request["mask"]) if request["mask"] is not None else None
    out, probs = compute(q, k, v, mask, np.float32(request["scale"]), request["causal"],
                         request["probs"] is not None, request["threads"])
    np.save(os.path.join(folder, request["out"]), out)
    if probs is not None:
        np.save(os.path.join(folder, request["probs"]), probs)


def serve(requests, replies, compute, name, summary, capabilities):
    """The protocol loop: a handshake, then one reply line per request line, until EOF.
    compute(q, k, v, mask, scale, causal, want_probs, threads) returns (out, probs)."""
    def send(obj):
        replies.write(json.dumps(obj) + "\n")
        replies.flush()

    hello = json.loads(requests.readline() or "null")
    if not isinstance(hello, dict) or hello.get("op") != "hello":
        send({"error": f"expected a hello request first, got {hello!r}"})
        return 2
    if hello.get("protocol") != PROTOCOL:
        send({"error": f"protocol {hello.get('protocol')!r} is not supported: this port speaks {PROTOCOL}"})
        return 2
    send({"protocol": PROTOCOL, "name": name, "summary": summary, "capabilities": capabilities})
    # a GPU port would initialise its device here, after the handshake (see docs/porting-protocol.md)
    for line in requests:
        request = json.loads(line)
        reply = {"id": request.get("id"), "ok": True}
        try:
            if request.get("op") != "attention":
                raise ValueError(f"unknown op {request.get('op')!r}")
            handle(request, compute)
        except Exception as e:  # reported to the harness, which fails the case with this text
            reply = {"id": request.get("id"), "ok": False, "error": f"{type(e).__name__}: {e}"}
        send(reply)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bug", choices=BUGS, help="plant a known bug (for testing the check)")
    args = parser.parse_args()
    # stdout is the protocol channel: keep it for replies, send every stray print to stderr
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    summary = f"NumPy {np.__version__}, float32" + (f", planted bug {args.bug}" if args.bug else "")
    return serve(sys.stdin, replies, lambda *call: attention(*call, args.bug), "numpy", summary,
                 {"probs": True, "deterministic": True, "threads": True})


if __name__ == "__main__":
    sys.exit(main())
