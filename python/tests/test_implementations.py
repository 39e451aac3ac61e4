"""mhalab.implementations() against `mha list` of the same package."""
import os
import subprocess

import mhalab


def test_same_names_and_runnability_as_mha_list():
    mha = os.path.join(os.path.dirname(mhalab.__file__), "bin", "mha")
    listing = subprocess.run([mha, "list"], capture_output=True, text=True, check=True).stdout.splitlines()
    header = next(l for l in listing if l.startswith("name "))
    runs_at = header.index("runs here")  # cells start under their column's header
    rows = {}
    for line in listing[listing.index(header) + 1:]:
        if line.strip():
            rows[line.split()[0]] = line[runs_at:].startswith("yes")
    impls = mhalab.implementations()
    assert {i.name: i.runnable for i in impls} == rows
    best = mhalab.default_implementation()
    assert best.runnable and best.priority == max(i.priority for i in impls if i.runnable)
    assert f"best here: {best.name}" in "\n".join(listing)


def test_properties():
    for impl in mhalab.implementations():
        assert impl.algorithm and impl.isa and impl.summary
        assert set(impl.caps) <= {"probs", "deterministic", "threads"}
        combos = {"fp32->fp32", "bf16->fp32", "bf16->bf16", "fp16->fp32", "fp16->fp16"}
        assert impl.dtypes and set(impl.dtypes) <= combos  # flash_avx512bf16 declares bf16 only
        assert impl.runnable == (impl.why_not is None)
        assert impl.why_not is None or impl.why_not.startswith("CPU lacks")
    naive = next(i for i in mhalab.implementations() if i.name == "naive")
    assert naive.cpu_features == () and naive.isa == "c"
    assert set(naive.dtypes) == {"fp32->fp32", "bf16->fp32", "bf16->bf16", "fp16->fp32", "fp16->fp16"}
