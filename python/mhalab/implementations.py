"""The implementations compiled into libmha, with their properties."""
import ctypes
from dataclasses import dataclass
from typing import Optional, Tuple

from . import _abi
from ._lib import abi, lib, text

# MHA_IO_* bits (ABI 2) and the combination each names
_IO_COMBOS = ((1 << 0, "fp32->fp32"), (1 << 1, "bf16->fp32"), (1 << 2, "bf16->bf16"),
              (1 << 3, "fp16->fp32"), (1 << 4, "fp16->fp16"))


@dataclass(frozen=True)
class Implementation:
    """One entry of libmha's registry (`mha list` shows the same)."""
    name: str
    algorithm: str                  # "naive", "gemm", "flash", ...
    isa: str                        # "c", "avx2", "avx512", "blas", ...
    summary: str
    cpu_features: Tuple[str, ...]   # what it needs, e.g. ("avx2", "fma")
    caps: Tuple[str, ...]           # of "probs", "deterministic", "threads"
    dtypes: Tuple[str, ...]         # input->output dtypes, e.g. ("fp32->fp32",)
    priority: int                   # the highest runnable one is the default
    runnable: bool                  # whether it runs on this CPU (and CPU-level mask)
    why_not: Optional[str]          # if not, why ("CPU lacks avx512f")


def _feature_names(bits):
    if not bits:
        return ()
    buf = ctypes.create_string_buffer(256)
    return tuple(text(lib.mha_cpu_feature_names(bits, buf, len(buf))).split())


def _describe(impl):
    d = impl.contents
    why = ctypes.create_string_buffer(256)
    runnable = bool(lib.mha_impl_runnable(impl, why, len(why)))
    io_bits = (d.dtypes or 1) if abi >= 2 else 1
    return Implementation(
        name=text(d.name), algorithm=text(d.algorithm), isa=text(d.isa), summary=text(d.summary),
        cpu_features=_feature_names(d.cpu_features),
        caps=tuple(name for name, bit in _abi.CAPS.items() if d.caps & bit),
        dtypes=tuple(name for bit, name in _IO_COMBOS if io_bits & bit),
        priority=d.priority, runnable=runnable, why_not=None if runnable else text(why.value))


def implementations():
    """Every implementation compiled into libmha, in registry order."""
    return [_describe(lib.mha_impl_get(i)) for i in range(lib.mha_impl_count())]


def default_implementation():
    """The one attention() uses when impl is None: the highest priority that runs here."""
    return _describe(lib.mha_impl_best())


def find_impl(impl):
    """The descriptor pointer for impl: None (the default), a name, or an Implementation."""
    if impl is None:
        return lib.mha_impl_best()
    name = impl.name if isinstance(impl, Implementation) else impl
    if not isinstance(name, str):
        raise TypeError(f"impl: {impl!r}, expected a name from mhalab.implementations() or None")
    found = lib.mha_impl_find(name.encode())
    if not found:
        names = ", ".join(i.name for i in implementations())
        raise ValueError(f"impl: {name!r} is not compiled into this libmha; expected one of: {names}")
    return found
