"""ctypes mirrors of include/mha.h's structures and constants.

Only the standard library: python/tests/check_abi_layout.py compares these
layouts with the C compiler's (python/abi_layout.c) without NumPy or libmha.
Each structure of ABI version 2 (the dtype interface) is its version-1
structure with fields appended, as mha.h appends them.
"""
import ctypes
from ctypes import c_char_p, c_float, c_int, c_int64, c_size_t, c_uint32, c_void_p

# enum mha_status: MHA_OK
MHA_OK = 0

# MHA_CAP_* bits, by the names implementations() reports
CAPS = {"probs": 1 << 0, "deterministic": 1 << 1, "threads": 1 << 2}

# enum mha_dtype (ABI 2)
MHA_F32, MHA_BF16, MHA_F16 = 0, 1, 2


class Shape(ctypes.Structure):
    _fields_ = [("batch", c_int64), ("heads", c_int64), ("kv_heads", c_int64),
                ("q_len", c_int64), ("kv_len", c_int64), ("head_dim", c_int64)]


class Strides(ctypes.Structure):
    """Element strides of a [batch][seq][head][head_dim] view."""
    _fields_ = [("batch", c_int64), ("seq", c_int64), ("head", c_int64)]


class MaskStrides(ctypes.Structure):
    """Element strides of the mask, indexed [b][h][i][j]."""
    _fields_ = [("batch", c_int64), ("head", c_int64), ("row", c_int64)]


class Args1(ctypes.Structure):
    """mha_args of ABI version 1 (fp32 only)."""
    _fields_ = [
        ("shape", Shape),
        ("q", c_void_p), ("q_strides", Strides),
        ("k", c_void_p), ("k_strides", Strides),
        ("v", c_void_p), ("v_strides", Strides),
        ("out", c_void_p), ("out_strides", Strides),
        ("scale", c_float),
        ("mask", c_void_p), ("mask_strides", MaskStrides),
        ("causal", c_int),
        ("probs", c_void_p),
        ("threads", c_int),
        ("workspace", c_void_p), ("workspace_bytes", c_size_t),
    ]


class Args2(Args1):
    """mha_args of ABI version 2: the dtypes of q/k/v and of out appended."""
    _fields_ = [("dtype", c_int), ("out_dtype", c_int)]


class Impl1(ctypes.Structure):
    """mha_impl of ABI version 1; only read, never filled in from Python."""
    _fields_ = [
        ("abi_version", c_uint32),
        ("name", c_char_p), ("algorithm", c_char_p), ("isa", c_char_p), ("summary", c_char_p),
        ("cpu_features", c_uint32), ("caps", c_uint32), ("priority", c_int),
        ("workspace", c_void_p), ("attention", c_void_p), ("matmul", c_void_p),
    ]


class Impl2(Impl1):
    """mha_impl of ABI version 2: the MHA_IO_* combinations and the matmul's work-buffer size appended."""
    _fields_ = [("dtypes", c_uint32), ("matmul_workspace", c_void_p)]


class Layer(ctypes.Structure):
    _fields_ = [("d_model", c_int64), ("heads", c_int64), ("kv_heads", c_int64),
                ("w_q", c_void_p), ("w_k", c_void_p), ("w_v", c_void_p), ("w_o", c_void_p)]


class LayerArgs(ctypes.Structure):
    _fields_ = [("batch", c_int64), ("seq_len", c_int64), ("x", c_void_p), ("y", c_void_p),
                ("mask", c_void_p), ("mask_strides", MaskStrides), ("causal", c_int),
                ("probs", c_void_p), ("threads", c_int)]


ARGS = {1: Args1, 2: Args2}
IMPL = {1: Impl1, 2: Impl2}

# Prototypes without structures: name -> (restype, argtypes), by the ABI
# version that introduced them. Those with structures are declared when the
# library is loaded (_lib.py), since the structures depend on the version.
FUNCTIONS = {
    "mha_status_str": (c_char_p, [c_int]),
    "mha_last_error": (c_char_p, []),
    "mha_impl_count": (c_size_t, []),
    "mha_cpu_feature_names": (c_char_p, [c_uint32, c_char_p, c_size_t]),
    "mha_compute_qkv": (c_int, [c_int64, c_int64] + [c_void_p] * 7),
    "mha_self_attention": (c_int, [c_int64, c_int64] + [c_void_p] * 4),
    "mha_multi_head_attention": (c_int, [c_int64, c_int64, c_int64] + [c_void_p] * 4),
}
FUNCTIONS_ABI2 = {
    "mha_dtype_combo": (c_uint32, [c_int, c_int]),
    "mha_dtype_name": (c_char_p, [c_int]),
}
