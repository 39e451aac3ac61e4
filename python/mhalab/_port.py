"""A Python callable as a port of docs/porting-protocol.md (`mha check --exec`).

serve() answers the protocol on any pair of text streams: mhalab.check()
runs it in the caller's process on a Unix socket that mhalab/_relay.py
joins to mha's pipes. Run as a program,

    python -m mhalab._port MODULE:FUNCTION [--deterministic]

it imports the function and answers on its own stdin and stdout (check()
with a "module:function" string starts it so).
"""
import importlib
import json
import os
import re
import sys
import traceback

import numpy as np

PROTOCOL = 1
MAX_ERROR_CHARS = 4000  # a reply must stay under the harness's 64 KiB


def port_name(fn):
    """The port's name for the report: fn's name in [A-Za-z0-9_.-], 1 to 63 characters."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", getattr(fn, "__name__", type(fn).__name__)).strip("_")
    return (name or "python")[:63]


def as_float32(result):
    """fn's result as a C-order float32 NumPy array: PyTorch tensors are moved to
    the CPU, other arrays (JAX, NumPy) converted by NumPy; floating dtypes are
    converted to float32 (exact for bfloat16 and float16), others refused."""
    if hasattr(result, "detach") and hasattr(result, "cpu"):  # a PyTorch tensor
        result = result.detach().cpu()
        if result.is_floating_point():
            result = result.float()
        result = result.numpy()
    a = np.asarray(result)
    if a.dtype.kind != "f" and a.dtype.name != "bfloat16":
        raise TypeError(f"the function returned an array of dtype {a.dtype}; expected floating point")
    return np.ascontiguousarray(a, dtype="<f4")


def handle(request, fn):
    """One attention request: read the inputs, call fn, write out."""
    folder = request["dir"]

    def load(name):
        return np.load(os.path.join(folder, name), allow_pickle=False) if name is not None else None

    if request.get("probs") is not None:
        raise ValueError("asked for probabilities, which this port does not declare")
    out = fn(load(request["q"]), load(request["k"]), load(request["v"]), load(request["mask"]),
             bool(request["causal"]), float(request["scale"]))
    np.save(os.path.join(folder, request["out"]), as_float32(out))


def serve(requests, replies, fn, name, summary, deterministic, lock, errors):
    """The protocol loop until EOF: the handshake, then one reply line per
    request line. fn(q, k, v, mask, causal, scale) -> out runs under lock;
    each exception's traceback is appended to errors as (request id, text),
    or printed to stderr when errors is None."""
    def send(obj):
        replies.write(json.dumps(obj) + "\n")
        replies.flush()

    hello = json.loads(requests.readline() or "null")
    if not isinstance(hello, dict) or hello.get("op") != "hello":
        send({"error": f"expected a hello request first, got {hello!r}"})
        return
    if hello.get("protocol") != PROTOCOL:
        send({"error": f"protocol {hello.get('protocol')!r} is not supported: this port speaks {PROTOCOL}"})
        return
    send({"protocol": PROTOCOL, "name": name, "summary": summary,
          "capabilities": {"probs": False, "deterministic": bool(deterministic), "threads": False}})
    for line in requests:
        request = json.loads(line)
        reply = {"id": request.get("id"), "ok": True}
        try:
            if request.get("op") != "attention":
                raise ValueError(f"unknown op {request.get('op')!r}")
            with lock:
                handle(request, fn)
        except Exception as e:  # the harness fails the case with this text; the traceback is kept
            if errors is None:
                traceback.print_exc()
            else:
                errors.append((request.get("id"), traceback.format_exc()))
            reply = {"id": request.get("id"), "ok": False, "error": f"{type(e).__name__}: {e}"[:MAX_ERROR_CHARS]}
        send(reply)


def load_function(spec):
    """The callable named by "package.module:function" (a dotted attribute path after the colon)."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"{spec!r}: expected MODULE:FUNCTION, e.g. 'my_kernels:attention'")
    obj = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{spec!r} names a {type(obj).__name__}, not a function")
    return obj


def main(argv):
    import threading
    if len(argv) not in (1, 2) or (len(argv) == 2 and argv[1] != "--deterministic"):
        sys.exit(__doc__)
    # stdout is the protocol channel: keep it for replies, send every stray print to stderr
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    fn = load_function(argv[0])
    serve(sys.stdin, replies, fn, port_name(fn), f"{argv[0]} (Python, mhalab.check)", len(argv) == 2,
          threading.Lock(), None)


if __name__ == "__main__":
    main(sys.argv[1:])
