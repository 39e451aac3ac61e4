"""attention() and reference(): mha_attention() and mha_reference() on NumPy arrays."""
import ctypes
import math

import numpy as np

from . import _abi, _views
from ._lib import Args, abi, check_status, lib
from .implementations import find_impl

FLT_MIN = 1.1754943508222875e-38
FLT_MAX = 3.4028234663852886e+38


def _scale(scale):
    """The float32 scale libmha takes: 0 selects 1/sqrt(Dh), so None becomes 0 and 0 is refused."""
    if scale is None:
        return 0.0
    try:
        value = float(scale)
    except (TypeError, ValueError):
        raise TypeError(f"scale: {scale!r}, expected a number or None (None: 1/sqrt(Dh))") from None
    if not math.isfinite(value) or abs(value) > FLT_MAX:
        raise ValueError(f"scale: {value!r}, expected a finite float32 (|scale| <= 3.4e38)")
    if abs(value) < FLT_MIN:
        raise ValueError(f"scale: {value!r}, expected |scale| >= 1.18e-38 (a normal float32); "
                         "libmha reads 0 as the default 1/sqrt(Dh), which scale=None selects")
    return value


def _threads(threads):
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 0:
        raise ValueError(f"threads: {threads!r}, expected an integer >= 0 (0: every core this process may use)")
    return int(threads)


def _args(q, k, v, mask, causal, scale, threads, layout):
    """Validated mha_args for q, k and v (out and probs left for the caller), the
    arrays they point into (to keep alive) and the input dtype code."""
    if layout not in _views.LAYOUTS:
        raise ValueError(f"layout: {layout!r}, expected one of {sorted(_views.LAYOUTS)}")
    arrays = {name: _views.as_array(name, a) for name, a in (("q", q), ("k", k), ("v", v))}
    codes = {name: _views.dtype_code(name, a) for name, a in arrays.items()}
    if len(set(codes.values())) > 1:
        raise TypeError("q, k, v: dtypes " + ", ".join(f"{n} {a.dtype}" for n, a in arrays.items()) +
                        "; expected one dtype for all three")
    views = {name: _views.attention_view(name, a, layout) for name, a in arrays.items()}
    (batch, q_len, heads, head_dim), (kb, kv_len, kv_heads, kd) = views["q"][2], views["k"][2]
    want = {"k": (batch, kv_len, kv_heads, head_dim), "v": (batch, kv_len, kv_heads, head_dim)}
    for name in ("k", "v"):
        if views[name][2] != want[name]:
            raise ValueError(f"{name}: (B, S, H, Dh) = {views[name][2]}, expected {want[name]}: the batch and "
                             f"head dimension of q {(batch, head_dim)}, and for v the length and heads of k")
    a = Args()
    a.shape = _abi.Shape(batch, heads, kv_heads, q_len, kv_len, head_dim)
    for name, (pointer, strides, _) in views.items():
        setattr(a, name, pointer)
        setattr(a, name + "_strides", strides)
    a.scale = _scale(scale)
    a.causal = 1 if causal else 0
    a.threads = _threads(threads)
    keep = list(arrays.values())
    if mask is not None:
        full, a.mask, a.mask_strides = _views.mask_view(_views.as_array("mask", mask),
                                                        (batch, heads, q_len, kv_len))
        keep.append(full)
    if abi >= 2:
        a.dtype = codes["q"]
    return a, keep, codes["q"]


def _new_output(shape_bshd, layout, dtype):
    b, s, h, d = shape_bshd
    return np.empty((b, s, h, d) if layout == "bshd" else (b, h, s, d), dtype)


def attention(q, k, v, mask=None, causal=False, scale=None, impl=None, threads=0, return_probs=False,
              *, layout="bshd", out=None):
    """Multi-head attention through libmha (semantics: include/mha.h).

    q (B, Sq, H, Dh), k and v (B, Skv, Hkv, Dh) in layout "bshd"; in layout
    "bhsd" they are (B, H, S, Dh). Any strides with a contiguous head
    dimension are used in place (a seed-layout (B, S, H*Dh) array reshaped to
    (B, S, H, Dh) is a view). mask: additive float32, broadcast to
    (B, H, Sq, Skv). scale None: 1/sqrt(Dh). impl: a name from
    implementations(), or None for the fastest that runs here. threads 0:
    every core. out: an array to write into (same layout as q), else one is
    made. Returns out, or (out, probs) with probs (B, H, Sq, Skv) float32.
    """
    args, keep, in_code = _args(q, k, v, mask, causal, scale, threads, layout)
    b, h, sq, skv, dh = (args.shape.batch, args.shape.heads, args.shape.q_len, args.shape.kv_len,
                         args.shape.head_dim)
    if out is None:
        out = _new_output((b, sq, h, dh), layout, _views.numpy_dtype(in_code))
    out = _views.as_array("out", out)
    out_code = _views.dtype_code("out", out)
    args.out, args.out_strides, out_dims = _views.attention_view("out", out, layout, writeable=True)
    if out_dims != (b, sq, h, dh):
        raise ValueError(f"out: (B, S, H, Dh) = {out_dims}, expected q's {(b, sq, h, dh)}")
    if abi >= 2:
        args.out_dtype = out_code
    probs = None
    if return_probs:
        probs = np.empty((b, h, sq, skv), np.float32)
        args.probs = probs.ctypes.data
    check_status(lib.mha_attention(find_impl(impl), ctypes.byref(args)))
    del keep
    return (out, probs) if return_probs else out


def reference(q, k, v, mask=None, causal=False, scale=None, return_probs=False, *, layout="bshd"):
    """The float64 reference (mha_reference: the naive algorithm in double on
    the same inputs). Returns out float64 in q's layout (a view of a
    contiguous (B, Sq, H, Dh) array), or (out, probs (B, H, Sq, Skv))."""
    args, keep, _ = _args(q, k, v, mask, causal, scale, 1, layout)
    s = args.shape
    out = np.empty((s.batch, s.q_len, s.heads, s.head_dim), np.float64)
    probs = np.empty((s.batch, s.heads, s.q_len, s.kv_len), np.float64) if return_probs else None
    # validation wants an out view; the reference writes only its double buffers
    args.out = out.ctypes.data
    args.out_strides = _abi.Strides(s.q_len * s.heads * s.head_dim, s.heads * s.head_dim, s.head_dim)
    check_status(lib.mha_reference(ctypes.byref(args), out.ctypes.data,
                                   probs.ctypes.data if probs is not None else None))
    del keep
    if layout == "bhsd":
        out = out.transpose(0, 2, 1, 3)
    return (out, probs) if return_probs else out
