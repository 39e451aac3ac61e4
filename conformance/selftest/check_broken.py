#!/usr/bin/env python3
"""Asserts that `mha check` rejects every deliberately broken implementation
(conformance/broken/) for the right reason: the cases that must fail do, with
the expected kind of failure, every failure is one the bug explains, and the
cases the bug cannot affect still pass.

usage: check_broken.py MHA BROKEN_DIR
"""
import fnmatch
import json
import os
import shlex
import subprocess
import sys
import tempfile

# kind: (cases that must fail, reason substring, globs every failure must match, cases that must pass)
EXPECT = {
    "wrong_scale": (["scale_0p125", "scale_neg0p5"], "out error",
                    ["scale_*", "softmax_peaked"], ["seqlen_s17", "tiny_2x3_d4", "prop_*"]),
    "no_max": (["large_logits", "large_logits_causal"], "NaN/inf",
               ["large_logits*", "softmax_peaked"], ["seqlen_s17", "mask_neg_inf"]),
    "off_by_one_tail": (["seqlen_s17", "seqlen_s33", "decode_kv129"], "out error",
                        ["*"], ["seqlen_s16", "seqlen_s64", "seqlen_s256", "decode_kv64"]),
    "wrong_gqa": (["gqa_h8_kv2", "gqa_h12_kv3", "prop_gqa_repeat"], "error",
                  ["gqa_*", "decode_kv*", "large_decode_*", "prop_gqa_repeat"],
                  ["mqa_h8_kv1", "heads_h8", "seqlen_s17"]),
    "ignore_mask": (["mask_broadcast", "mask_per_head_bhsd", "prop_causal_mask"], "",
                    ["mask_*", "*_mask_per_head", "large_logits_mask", "nan_v_masked", "prop_causal_mask",
                     "prop_masked_rows_zero", "large_*_mask"],
                    ["seqlen_s17_causal", "causal_q17_kv129", "heads_h4"]),
    "write_past": (["tiny_1x1_d1", "seqlen_s17"], "out-of-bounds write", ["*"], []),
    "scribble_input": (["tiny_1x1_d1", "mask_neg_inf"], "wrote into its input q", ["*"], []),
    "ws_overrun": (["tiny_1x1_d1", "decode_kv1000"], "out-of-bounds write: workspace", ["*"], []),
}
# kind: text the refusal must contain
REFUSE = {
    "bad_abi": "ABI version 999",
    "no_symbol": "does not export mha_port_impl",
}

failures = 0


# Under a cross build meson sets MESON_EXE_WRAPPER (e.g. qemu-aarch64 -L ...).
WRAPPER = shlex.split(os.environ.get("MESON_EXE_WRAPPER", ""))

def fail(msg):
    global failures
    failures += 1
    print("FAIL", msg)


def module(d, kind):
    return os.path.join(d, "libbroken_%s.so" % kind)


def main():
    mha, d = sys.argv[1], sys.argv[2]
    for kind, (must_fail, reason, allowed, must_pass) in EXPECT.items():
        with tempfile.TemporaryDirectory() as tmp:
            js = os.path.join(tmp, "r.json")
            p = subprocess.run(WRAPPER + [mha, "check", "--port", module(d, kind), "--level", "baseline", "--json", js],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if p.returncode != 1:
                fail("%s: mha check exited %d, expected 1\n%s" % (kind, p.returncode, p.stdout[-3000:]))
                continue
            with open(js) as f:
                report = json.load(f)
        results = {r["case"]: r for run in report["runs"] for r in run["results"]}
        failed = {c: r["reason"] for c, r in results.items() if not r["pass"]}
        for c in must_fail:
            if c not in failed:
                fail("%s: case %s should fail but %s" % (kind, c, "passed" if c in results else "did not run"))
            elif reason not in failed[c]:
                fail("%s: case %s failed for '%s', expected a reason containing '%s'" % (kind, c, failed[c], reason))
        for c, why in failed.items():
            if not any(fnmatch.fnmatch(c, g) for g in allowed):
                fail("%s: case %s failed (%s) but the bug cannot explain it" % (kind, c, why))
            if kind in ("write_past", "scribble_input", "ws_overrun") and reason not in why:
                fail("%s: case %s failed for '%s', expected '%s'" % (kind, c, why, reason))
        for g in must_pass:
            hits = [c for c in results if fnmatch.fnmatch(c, g)]
            if not hits:
                fail("%s: no case matching %s ran" % (kind, g))
            for c in hits:
                if c in failed:
                    fail("%s: case %s should pass (the bug cannot affect it) but failed: %s" % (kind, c, failed[c]))
        print("ok   %-16s rejected: %d failing cases, e.g. %s: %s" %
              (kind, len(failed), must_fail[0], failed.get(must_fail[0], "?")))
    for kind, text in REFUSE.items():
        p = subprocess.run(WRAPPER + [mha, "check", "--port", module(d, kind)], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if p.returncode == 0 or text not in p.stdout:
            fail("%s: expected a refusal containing '%s', got exit %d:\n%s" % (kind, text, p.returncode, p.stdout))
        else:
            print("ok   %-16s refused: %s" % (kind, p.stdout.strip()))
    # a crash fails that implementation at that level and names the signal and the case; a port that needs
    # no CPU feature runs once, at the top level
    with tempfile.TemporaryDirectory() as tmp:
        js = os.path.join(tmp, "r.json")
        p = subprocess.run(WRAPPER + [mha, "check", "--port", module(d, "crash"), "--case", "tiny_*,seqlen_s1*", "--json", js],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        with open(js) as f:
            runs = json.load(f)["runs"]
    crashed = [r for r in runs if r["status"] == "crash"]
    if p.returncode != 1 or len(runs) != 1 or len(crashed) != len(runs):
        fail("crash: expected its one run to crash:\n" + p.stdout[-3000:])
    elif not all("SIGILL" in r["note"] and "seqlen_s17" in r["note"] for r in crashed):
        fail("crash: the note should name SIGILL and seqlen_s17: %s" % [r["note"] for r in crashed])
    elif not all(any(x["case"] == "tiny_1x1_d1" and x["pass"] for x in r["results"]) for r in runs):
        fail("crash: the cases before the crash should have passed")
    else:
        print("ok   %-16s %s" % ("crash", crashed[0]["note"]))
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
