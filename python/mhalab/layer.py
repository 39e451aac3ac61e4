"""The full attention layer (mha_layer_forward) and the seeds' helpers
(mha_compute_qkv, mha_self_attention, mha_multi_head_attention) on NumPy
arrays. Matrices are C-contiguous float32, as the C functions read them."""
import ctypes

import numpy as np

from . import _abi, _views
from ._lib import check_status, lib
from .attention import _threads
from .implementations import find_impl


def _count(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name}: {value!r}, expected an integer > 0")
    return int(value)


def layer_forward(x, w_q, w_k, w_v, w_o, heads, kv_heads=None, mask=None, causal=False, impl=None,
                  threads=0, return_probs=False):
    """Y = merge_heads(attention(split(X W_q), split(X W_k), split(X W_v))) W_o.

    x (B, S, D) or (S, D); w_q and w_o (D, D); w_k and w_v (D, Hkv*Dh) with
    Dh = D / heads and Hkv = kv_heads (None: heads). mask: additive float32,
    broadcast to (B, H, S, S). Returns y shaped like x, or (y, probs) with
    probs (B, H, S, S)."""
    x = _views.as_array("x", x)
    if x.ndim not in (2, 3):
        raise ValueError(f"x: shape {x.shape}, expected (B, S, D) or (S, D)")
    batch, seq_len, d_model = (1,) + x.shape if x.ndim == 2 else x.shape
    heads = _count("heads", heads)
    kv_heads = heads if kv_heads is None else _count("kv_heads", kv_heads)
    if d_model % heads:
        raise ValueError(f"heads: {heads} does not divide d_model = {d_model} (x's last axis); expected a divisor")
    d_kv = kv_heads * (d_model // heads)
    x, x_ptr = _views.matrix("x", x, x.shape, "(B, S, D)" if x.ndim == 3 else "(S, D)")
    weights = {}
    for name, a, cols in (("w_q", w_q, d_model), ("w_k", w_k, d_kv), ("w_v", w_v, d_kv), ("w_o", w_o, d_model)):
        text = "(D, D)" if cols == d_model else "(D, kv_heads * D / heads)"
        weights[name] = _views.matrix(name, a, (d_model, cols), text)
    y, y_ptr = _views.new_matrix(x.shape)
    layer = _abi.Layer(d_model, heads, kv_heads, *(weights[n][1] for n in ("w_q", "w_k", "w_v", "w_o")))
    args = _abi.LayerArgs(batch=batch, seq_len=seq_len, x=x_ptr, y=y_ptr, causal=1 if causal else 0,
                          threads=_threads(threads))
    keep = None
    if mask is not None:
        keep, args.mask, args.mask_strides = _views.mask_view(_views.as_array("mask", mask),
                                                              (batch, heads, seq_len, seq_len))
    probs = None
    if return_probs:
        probs, args.probs = _views.new_matrix((batch, heads, seq_len, seq_len))
    check_status(lib.mha_layer_forward(find_impl(impl), ctypes.byref(layer), ctypes.byref(args)))
    del keep, weights
    return (y, probs) if return_probs else y


def _sequence(name, a, seq_len=None, d=None):
    """A (S, D) matrix of the seeds; seq_len and d, when given, must match."""
    a = _views.as_array(name, a)
    if a.ndim != 2:
        raise ValueError(f"{name}: shape {a.shape}, expected 2 dimensions (S, D): one sequence")
    shape = (seq_len or a.shape[0], d or a.shape[1])
    return _views.matrix(name, a, shape, "(S, D)")


def compute_qkv(x, w_q, w_k, w_v):
    """The seeds' projections: Q = X W_q, K = X W_k, V = X W_v, each (S, D)."""
    x, x_ptr = _sequence("x", x)
    s, d = x.shape
    ws = [_views.matrix(name, w, (d, d), "(D, D)") for name, w in (("w_q", w_q), ("w_k", w_k), ("w_v", w_v))]
    outs = [_views.new_matrix((s, d)) for _ in range(3)]
    check_status(lib.mha_compute_qkv(s, d, x_ptr, *(p for _, p in ws), *(p for _, p in outs)))
    return tuple(a for a, _ in outs)


def self_attention(q, k, v):
    """One head, as the seeds write it: softmax(Q K^T / sqrt(d)) V, all (S, d)."""
    q, q_ptr = _sequence("q", q)
    (k, k_ptr), (v, v_ptr) = _sequence("k", k, *q.shape), _sequence("v", v, *q.shape)
    out, out_ptr = _views.new_matrix(q.shape)
    check_status(lib.mha_self_attention(q.shape[0], q.shape[1], q_ptr, k_ptr, v_ptr, out_ptr))
    return out


def multi_head_attention(q, k, v, n_heads):
    """The seeds' multi-head attention: split (S, D) into n_heads heads, attend
    each with self_attention, concatenate back to (S, D)."""
    q, q_ptr = _sequence("q", q)
    (k, k_ptr), (v, v_ptr) = _sequence("k", k, *q.shape), _sequence("v", v, *q.shape)
    n_heads = _count("n_heads", n_heads)
    out, out_ptr = _views.new_matrix(q.shape)
    check_status(lib.mha_multi_head_attention(q.shape[0], q.shape[1], n_heads, q_ptr, k_ptr, v_ptr, out_ptr))
    return out
