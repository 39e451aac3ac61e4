"""A Python callable as a port of docs/porting-protocol.md (`mha check --exec`).

The protocol is conformance/numpy-port/mha_numpy_port.py's serve(), which
pip installs into this package: compute() below adapts a callable
fn(q, k, v, mask, causal, scale) -> out to it. mhalab.check() serves it in
the caller's process on a Unix socket that mhalab/_relay.py joins to mha's
pipes. Run as a program,

    python -m mhalab._port MODULE:FUNCTION [--deterministic]

it imports the function and answers on its own stdin and stdout (check()
with a "module:function" string starts it so).
"""
import importlib
import os
import re
import sys
import threading
import traceback

import numpy as np

from . import mha_numpy_port


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


def serve(requests, replies, fn, summary, deterministic, lock, errors):
    """Answers the protocol on two text streams until EOF. fn runs under lock;
    the traceback of each exception it raises is appended to errors, or
    printed to stderr when errors is None, and the case fails with its message."""
    def compute(q, k, v, mask, scale, causal, want_probs, threads):
        try:
            with lock:
                return as_float32(fn(q, k, v, mask, bool(causal), float(scale))), None
        except Exception:
            if errors is None:
                traceback.print_exc()
            else:
                errors.append(traceback.format_exc())
            raise

    mha_numpy_port.serve(requests, replies, compute, port_name(fn), summary,
                         {"probs": False, "deterministic": bool(deterministic), "threads": False})


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
    if len(argv) not in (1, 2) or (len(argv) == 2 and argv[1] != "--deterministic"):
        sys.exit(__doc__)
    # stdout is the protocol channel: keep it for replies, send every stray print to stderr
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(sys.stdin, replies, load_function(argv[0]), f"{argv[0]} (Python, mhalab.check)", len(argv) == 2,
          threading.Lock(), None)


if __name__ == "__main__":
    main(sys.argv[1:])
