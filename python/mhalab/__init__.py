"""mhalab: multi-head attention on CPUs, from Python (docs/python.md).

    import mhalab
    out = mhalab.attention(q, k, v, causal=True)           # libmha's fastest here
    mhalab.implementations()                                 # what is compiled in
    mhalab.check(my_attention)                               # golden vectors, as `mha check`

The C library libmha and the `mha` program are inside this package; the
functions take NumPy arrays and call libmha through ctypes.
"""
from importlib.metadata import PackageNotFoundError, version as _version

from ._lib import MhaError, abi as _abi_version
from .attention import attention, reference
from .check import CaseResult, CheckResult, check
from .implementations import Implementation, default_implementation, implementations
from .layer import compute_qkv, layer_forward, multi_head_attention, self_attention

MhaError.__module__ = __name__  # shown as mhalab.MhaError

try:
    __version__ = _version("mhalab")
except PackageNotFoundError:  # imported from a source tree
    __version__ = "unknown"
__all__ = ["attention", "reference", "implementations", "default_implementation", "Implementation",
           "layer_forward", "compute_qkv", "self_attention", "multi_head_attention", "check", "CheckResult",
           "CaseResult", "MhaError", "dtypes"]


def dtypes():
    """The NumPy dtypes attention() takes with this libmha: float32, and
    float16 and bfloat16 where the library has the dtype interface."""
    return ("float32", "float16", "bfloat16") if _abi_version >= 2 else ("float32",)
