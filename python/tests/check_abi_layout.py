#!/usr/bin/env python3
"""mhalab/_abi.py's ctypes structures against the C layout of include/mha.h (meson suite python).

    check_abi_layout.py ABI_LAYOUT

ABI_LAYOUT is python/abi_layout.c built against this tree's mha.h. Every
structure must have the C size, every C field the C offset and size, and
the ctypes structure no field C lacks. Standard library only.
"""
import ctypes
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mhalab"))
import _abi  # noqa: E402  (the module under test, without the package's NumPy import)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    lines = subprocess.run([sys.argv[1]], capture_output=True, text=True, check=True).stdout.split("\n")
    # "name value" for constants and sizes, "struct.field offset size" for fields
    c = {line.split()[0]: [int(n) for n in line.split()[1:]] for line in lines if line}
    c = {key: values[0] if len(values) == 1 else tuple(values) for key, values in c.items()}
    version = c["MHA_ABI_VERSION"]
    if version not in _abi.ARGS or version not in _abi.IMPL:
        sys.exit(f"FAIL: mha.h has MHA_ABI_VERSION {version}; mhalab/_abi.py knows {sorted(_abi.ARGS)}")
    structs = {"mha_shape": _abi.Shape, "mha_strides": _abi.Strides, "mha_mask_strides": _abi.MaskStrides,
               "mha_args": _abi.ARGS[version], "mha_impl": _abi.IMPL[version], "mha_layer": _abi.Layer,
               "mha_layer_args": _abi.LayerArgs}
    problems = []
    for name, cls in structs.items():
        if c[name] != ctypes.sizeof(cls):
            problems.append(f"{name}: C size {c[name]}, ctypes {cls.__name__} {ctypes.sizeof(cls)}")
        python_fields = [f for k in reversed(cls.__mro__) for f, *_ in k.__dict__.get("_fields_", [])]
        c_fields = [key.split(".", 1)[1] for key in c if key.startswith(name + ".")]
        for field in sorted(set(python_fields) | set(c_fields)):
            if field not in c_fields:
                problems.append(f"{name}.{field}: in {cls.__name__}, not in the C structure")
            elif field not in python_fields:
                problems.append(f"{name}.{field}: in the C structure, not in {cls.__name__}")
            elif (getattr(cls, field).offset, getattr(cls, field).size) != c[f"{name}.{field}"]:
                problems.append(f"{name}.{field}: C (offset, size) {c[name + '.' + field]}, ctypes "
                                f"{(getattr(cls, field).offset, getattr(cls, field).size)}")
    caps = {"probs": c["MHA_CAP_PROBS"], "deterministic": c["MHA_CAP_DETERMINISTIC"], "threads": c["MHA_CAP_THREADS"]}
    if caps != _abi.CAPS:
        problems.append(f"capability bits: C {caps}, mhalab {_abi.CAPS}")
    if version >= 2 and (c["MHA_F32"], c["MHA_BF16"], c["MHA_F16"]) != (_abi.MHA_F32, _abi.MHA_BF16, _abi.MHA_F16):
        problems.append("enum mha_dtype values differ")
    if problems:
        sys.exit("FAIL:\n  " + "\n  ".join(problems))
    print(f"ok: {len(structs)} structures of ABI version {version} match mha.h")
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
