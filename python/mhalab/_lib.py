"""Loads the libmha that pip installed beside this file and declares its functions.

The package finds its files relative to itself: no build folder, no
LD_LIBRARY_PATH. `lib` is the ctypes library, `abi` its ABI version (2 when
it exports the dtype interface), Args and Impl the matching structures.
"""
import ctypes
import glob
import os
from ctypes import POINTER, c_char_p, c_int, c_size_t, c_void_p

from . import _abi

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
MHA_PROGRAM = os.path.join(PACKAGE_DIR, "bin", "mha")
VECTORS_DIR = os.path.join(PACKAGE_DIR, "vectors")


class MhaError(ValueError):
    """A call libmha refused or could not complete.

    status is the mha_status code, status_text its short text and message
    mha_last_error(): the argument, its value and what was expected."""

    def __init__(self, status, status_text, message):
        super().__init__(f"{message} [{status_text}]")
        self.status, self.status_text, self.message = status, status_text, message


def _find_library():
    # the real file (libmha.so.X.Y.Z); meson may also install version symlinks
    found = sorted(glob.glob(os.path.join(PACKAGE_DIR, "libmha.so*")), key=len, reverse=True)
    if not found:
        raise ImportError(f"mhalab: no libmha.so* in {PACKAGE_DIR}; install the package with "
                          "'pip install .' from the mhalab source tree")
    return found[0]


lib = ctypes.CDLL(_find_library())
abi = 2 if hasattr(lib, "mha_dtype_combo") else 1
Args = _abi.ARGS[abi]
Impl = _abi.IMPL[abi]

for _name, (_restype, _argtypes) in list(_abi.FUNCTIONS.items()) + (
        list(_abi.FUNCTIONS_ABI2.items()) if abi >= 2 else []):
    _fn = getattr(lib, _name)
    _fn.restype, _fn.argtypes = _restype, _argtypes

_impl_p = POINTER(Impl)
for _name, _argtypes in (("mha_impl_get", [c_size_t]), ("mha_impl_find", [c_char_p])):
    getattr(lib, _name).restype = _impl_p
    getattr(lib, _name).argtypes = _argtypes
lib.mha_impl_best.restype = _impl_p
lib.mha_impl_best.argtypes = []
lib.mha_impl_runnable.restype = c_int
lib.mha_impl_runnable.argtypes = [_impl_p, c_char_p, c_size_t]
lib.mha_attention.restype = c_int
lib.mha_attention.argtypes = [_impl_p, POINTER(Args)]
lib.mha_reference.restype = c_int
lib.mha_reference.argtypes = [POINTER(Args), c_void_p, c_void_p]
lib.mha_layer_forward.restype = c_int
lib.mha_layer_forward.argtypes = [_impl_p, POINTER(_abi.Layer), POINTER(_abi.LayerArgs)]


def text(raw):
    return raw.decode("utf-8", "replace") if raw is not None else ""


def check_status(status):
    """Raises MhaError for a status other than MHA_OK, with mha_last_error()'s message."""
    if status != _abi.MHA_OK:
        raise MhaError(status, text(lib.mha_status_str(status)), text(lib.mha_last_error()))
