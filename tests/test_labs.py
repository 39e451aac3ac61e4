#!/usr/bin/env python3
"""Every lab of `mha lab` end to end: `mha lab list` names them all, each lab
exits 0 with its PASS lines and no FAIL line, and lab 001 writes its heatmap
and manifest (heads_visibly_distinct judged with 4 heads). Bad names and
options are usage errors (exit 2).

usage: test_labs.py MHA
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

# lab: PASS lines it must print (substrings), from the checks each text asks for
EXPECT = {
    "000": ["merge_heads(split_heads(Q)) gives Q back exactly", "equal one call on the (B, S, H, Dh) view"],
    "001": ["H = 1 equivalence, d_model 4, seed 42", "heads visibly distinct",
            "mha check rejects reshape (T, Dh, H)", "it passes heads_h1",
            "mha check rejects matmul before transpose", "H = 4: parameters"],
    "002": ["q_heads = (batch, heads, seq, head_dim)", "GQA (2 kv heads) equals MHA",
            "Dh = 256: var(q.k) is Dh", "Dh = 256: every row is sharper without the scale"],
    "003": ["head starts 0, 4, 8, 12", "the text's count for full-size heads",
            "microgpt decode loop equals one causal call", "one decode call per token"],
    "004": ["against the hand values", "without the max: exp(", "mha check rejects broken_no_max"],
}

failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL", msg)


# Under a cross build meson sets MESON_EXE_WRAPPER (e.g. qemu-aarch64 -L ... -E LD_LIBRARY_PATH=...):
# mha runs through it, and the guest's library path gets this test's LD_LIBRARY_PATH added.
HOST_LIBS = os.environ.get("LD_LIBRARY_PATH", "")
WRAPPER = [a + ":" + HOST_LIBS if a.startswith("LD_LIBRARY_PATH=") and HOST_LIBS else a
           for a in shlex.split(os.environ.get("MESON_EXE_WRAPPER", ""))]


def run(mha, *args):
    p = subprocess.run(WRAPPER + [mha] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def main():
    mha = sys.argv[1]
    rc, out = run(mha, "lab", "list")
    names = re.findall(r"^(\d{3}-[\w-]+)", out, re.M)
    if rc != 0 or [n[:3] for n in names] != sorted(EXPECT):
        fail("mha lab list: exit %d, labs %s, expected %s" % (rc, names, sorted(EXPECT)))
    with tempfile.TemporaryDirectory() as tmp:
        for lab, wants in EXPECT.items():
            folder = os.path.join(tmp, lab)
            rc, out = run(mha, "lab", lab, "--out", folder)
            passes = [l for l in out.splitlines() if l.startswith("PASS  ")]
            lab_fails = [l for l in out.splitlines() if l.startswith("FAIL  ") and "@" not in l.split()[1]]
            summary = re.search(r"^(\d+) passed, (\d+) failed", out, re.M)
            if rc != 0 or lab_fails or not summary or int(summary.group(1)) != len(passes) or summary.group(2) != "0":
                fail("lab %s: exit %d, failing checks %s\n%s" % (lab, rc, lab_fails, out[-2000:]))
                continue
            for w in wants:
                if not any(w in l for l in passes):
                    fail("lab %s: no PASS line containing '%s'" % (lab, w))
            print("ok   lab %s: %d checks passed" % (lab, len(passes)))
        with open(os.path.join(tmp, "001", "manifest.json")) as f:
            m = json.load(f)["results_summary"]
        if m["heads_visibly_distinct"] is not True or m["single_head_equivalence_passed"] is not True:
            fail("lab 001 manifest: %s" % m)
        svg = open(os.path.join(tmp, "001", "heatmap.svg")).read()
        if svg.count("<title>head ") != 4 * 8 * 8 or 'id="uniform"' not in svg:
            fail("lab 001 heatmap: expected 256 cell titles and the 1/T line")
    for args, says in ((["lab", "999"], "no such lab"), (["lab"], "expected 'list'"),
                       (["lab", "001", "--impl", "nope"], "no such implementation"),
                       (["lab", "001", "--out", "/nonexistent/x"], "cannot create")):
        rc, out = run(mha, *args)
        if rc != 2 or says not in out:
            fail("mha %s: exit %d, expected 2 and '%s':\n%s" % (" ".join(args), rc, says, out))
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
