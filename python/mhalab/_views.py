"""NumPy arrays as libmha's strided views, without copies; every refusal names
the argument, its value and what libmha expects."""
import numpy as np

from . import _abi
from ._lib import abi

# layout name -> the axes of (B, S, H, Dh) in the array, and how to write it
LAYOUTS = {"bshd": ((0, 1, 2, 3), "(B, S, H, Dh)"), "bhsd": ((0, 2, 1, 3), "(B, H, S, Dh)")}


def dtype_code(name, array):
    """The mha_dtype of array's elements, or a TypeError saying what this build takes."""
    dt = array.dtype
    if dt == np.float32:
        return _abi.MHA_F32
    low = {"float16": _abi.MHA_F16, "bfloat16": _abi.MHA_BF16}.get(dt.name)
    if low is not None and abi >= 2:
        return low
    if low is not None:
        raise TypeError(f"{name}: dtype {dt.name} is not supported yet by this build of libmha "
                        f"(it has no dtype interface); expected float32: {name}.astype(np.float32)")
    accepted = "float32" + (", float16 or bfloat16 (ml_dtypes)" if abi >= 2 else "")
    raise TypeError(f"{name}: dtype {dt}, expected {accepted}")


def numpy_dtype(code):
    """The NumPy dtype of an mha_dtype."""
    if code == _abi.MHA_BF16:
        import ml_dtypes
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype({_abi.MHA_F32: np.float32, _abi.MHA_F16: np.float16}[code])


def as_array(name, a):
    """a as an ndarray: itself when it is one, else np.asarray (no copy for a CPU tensor)."""
    if isinstance(a, np.ndarray):
        return a
    try:
        return np.asarray(a)
    except Exception as e:
        raise TypeError(f"{name}: a {type(a).__name__} is not an array NumPy can view ({e}); "
                        f"pass a NumPy array") from None


def element_strides(name, a, axes, axis_names):
    """Element strides of a's axes (in the order given). A size-1 axis gets 0;
    negative or misaligned byte strides are refused."""
    strides = []
    for axis, axis_name in zip(axes, axis_names):
        size, step = a.shape[axis], a.strides[axis]
        if size == 1:
            strides.append(0)
        elif step < 0 or step % a.itemsize:
            raise ValueError(f"{name}: axis {axis} ({axis_name}, size {size}) has a stride of {step} bytes; "
                             f"expected a non-negative multiple of the element size {a.itemsize} "
                             f"(np.ascontiguousarray({name}) makes one)")
        else:
            strides.append(step // a.itemsize)
    return strides


def attention_view(name, a, layout, writeable=False):
    """(pointer, Strides, (B, S, H, Dh)) of a 4-D array in layout "bshd" or "bhsd"."""
    axes, written = LAYOUTS[layout]
    if a.ndim != 4:
        hint = (f"; a seed-layout (B, S, H*Dh) array is {name}.reshape(B, S, H, Dh)"
                if a.ndim == 3 and layout == "bshd" else "")
        raise ValueError(f"{name}: shape {a.shape} has {a.ndim} dimensions, expected 4: "
                         f"{written} for layout '{layout}'{hint}")
    if writeable and not a.flags.writeable:
        raise ValueError(f"{name}: the array is read-only; expected a writeable array")
    dims = tuple(a.shape[axis] for axis in axes)
    if dims[3] > 1 and a.strides[axes[3]] != a.itemsize:
        raise ValueError(f"{name}: the head dimension (axis {axes[3]}, size {dims[3]}) has a stride of "
                         f"{a.strides[axes[3]]} bytes; libmha needs it contiguous ({a.itemsize} bytes, one "
                         f"element): np.ascontiguousarray({name}) makes a copy that is")
    b, s, h = element_strides(name, a, axes[:3], ("batch", "sequence", "head"))
    return a.ctypes.data, _abi.Strides(b, s, h), dims


def mask_view(a, shape):
    """(array, pointer, MaskStrides) of an additive mask broadcast to shape (B, H, Sq, Skv)."""
    if a.dtype != np.float32:
        hint = (": a boolean 'keep' mask m is np.where(m, 0, -np.inf).astype(np.float32)"
                if a.dtype == np.bool_ else "")
        raise TypeError(f"mask: dtype {a.dtype}, expected float32 (added to the scores; -inf hides a key){hint}")
    if not 2 <= a.ndim <= 4:
        raise ValueError(f"mask: shape {a.shape}, expected (Sq, Skv), (H, Sq, Skv) or (B, H, Sq, Skv)")
    try:
        full = np.broadcast_to(a, shape)
    except ValueError:
        raise ValueError(f"mask: shape {a.shape} does not broadcast to (B, H, Sq, Skv) = {shape}") from None
    if shape[3] > 1 and full.strides[3] != full.itemsize:
        raise ValueError(f"mask: its last axis (keys, size {shape[3]}) has a stride of {full.strides[3]} bytes; "
                         f"libmha needs it contiguous: np.ascontiguousarray(mask)")
    b, h, i = element_strides("mask", full, (0, 1, 2), ("batch", "head", "query"))
    return full, full.ctypes.data, _abi.MaskStrides(b, h, i)


def matrix(name, a, shape, shape_text):
    """The pointer of a C-contiguous float32 array of exactly shape; shape_text names its dimensions."""
    a = as_array(name, a)
    if a.dtype != np.float32:
        raise TypeError(f"{name}: dtype {a.dtype}, expected float32")
    if a.shape != tuple(shape):
        raise ValueError(f"{name}: shape {a.shape}, expected {shape_text} = {tuple(shape)}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{name}: not C-contiguous (strides {a.strides}); expected a row-major array: "
                         f"np.ascontiguousarray({name})")
    return a, a.ctypes.data


def new_matrix(shape):
    """A new C-contiguous float32 array and its pointer."""
    a = np.empty(shape, np.float32)
    return a, a.ctypes.data
