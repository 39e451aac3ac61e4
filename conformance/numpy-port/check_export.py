#!/usr/bin/env python3
"""`mha vectors export` as a port's own test runner would use it (meson suite conformance).

    check_export.py MHA

Exports every case into a temporary folder, then checks the NumPy port's
attention() on each exported case against the exported reference and
tolerance (the rule in index.json): the correct port passes every case,
each planted bug fails at least one. Also: a non-empty folder is refused.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mha_numpy_port  # noqa: E402  (the port under test)


def within(got, want, tol):
    """index.json's rule: |got - want| <= tol; NaN where want is NaN; got NaN/inf only where want is the same."""
    got = got.astype(np.float64)
    both_nan = np.isnan(got) & np.isnan(want)
    same_inf = np.isinf(got) & (got == want)
    special = np.isnan(got) | np.isinf(got) | np.isnan(want)
    bad = special & ~(both_nan | same_inf)
    with np.errstate(invalid="ignore"):
        err = np.where(special, 0.0, np.abs(got - want))
    return not bad.any() and err.max(initial=0.0) <= tol, err.max(initial=0.0), int(bad.sum())


def run_cases(folder, index, bug):
    """Every case through the port; returns the ids that fail, with why."""
    failures = []
    for c in index["cases"]:
        load = lambda name: np.load(os.path.join(folder, name)) if name else None  # noqa: E731
        out, probs = mha_numpy_port.attention(load(c["q"]), load(c["k"]), load(c["v"]), load(c["mask"]),
                                              np.float32(c["scale"]), c["causal"], c["probs"] is not None, 1, bug)
        for role, got in (("out", out), ("probs", probs)):
            if c[role] is None:
                continue
            ok, err, nan_mismatch = within(got, load(c[role]), c["tolerance"][role])
            if not ok:
                failures.append(f"{c['id']} {role}: " + (f"{nan_mismatch} NaN/inf mismatches" if nan_mismatch else
                                                         f"error {err:.3g} > tolerance {c['tolerance'][role]:.3g}"))
    return failures


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    mha = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mha-export-")
    try:
        folder = os.path.join(tmp, "vectors")
        r = subprocess.run([mha, "vectors", "export", folder], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"FAIL: mha vectors export {folder}: exit {r.returncode}\n{r.stdout}{r.stderr}")
        print(r.stdout.strip().splitlines()[-1])
        again = subprocess.run([mha, "vectors", "export", folder], capture_output=True, text=True)
        if again.returncode == 0 or "is not empty" not in again.stderr:
            sys.exit(f"FAIL: exporting into the non-empty {folder} was not refused:\n{again.stderr}")
        print("ok: a non-empty folder is refused without --force")

        with open(os.path.join(folder, "index.json")) as f:
            index = json.load(f)
        kinds = {k: sum(c["kind"] == k for c in index["cases"]) for k in ("stored", "large", "property")}
        if not all(kinds.values()):
            sys.exit(f"FAIL: the export lacks a kind of case: {kinds}")
        failures = run_cases(folder, index, None)
        if failures:
            sys.exit("FAIL: the NumPy port fails exported cases:\n  " + "\n  ".join(failures))
        print(f"ok: the NumPy port passes all {len(index['cases'])} exported cases {kinds}")
        for bug in ("no_max", "wrong_scale"):  # thread_order changes bits, not accuracy: only `mha check` sees it
            caught = run_cases(folder, index, bug)
            if not caught:
                sys.exit(f"FAIL: planted bug {bug} passes every exported case")
            print(f"ok: planted bug {bug} fails {len(caught)} check(s), e.g. {caught[0]}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
