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
import re
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
    "scribble_input": (["tiny_1x1_d1", "mask_neg_inf"], "wrote into its input q", ["*"], []),
    # a single element has no gaps and no other layout: only such a case can pass
    "ignore_strides": (["seqlen_s17", "heads_h4", "mask_per_head_bhsd", "decode_kv17", "prop_gqa_repeat"],
                       "out-of-bounds write: out was changed between its elements", ["*"], ["tiny_1x1_d1"]),
    "out_in_q_layout": (["heads_h4", "mask_broadcast", "batch_b3_h2_bhsd"], "out error",
                        ["*"], ["tiny_1x1_d1"]),
    # 1 and 2 threads agree: only a fixed odd count (3) shows it; zero_v's out is all zeros, left alone
    "odd_threads": (["tiny_1x1_d1", "seqlen_s17", "heads_h4"], "not deterministic: threads 1 and 3 differ",
                    ["*"], ["zero_v", "prop_*"]),
    # the padding after each mask row is NaN: reading it makes NaN scores
    "mask_dense_rows": (["mask_broadcast", "mask_per_head_bhsd", "batch_b2_h3_mask_per_head"], "NaN/inf",
                        ["mask_*", "*_mask_per_head", "large_logits_mask", "nan_v_masked", "prop_causal_mask",
                         "prop_masked_rows_zero", "prop_probs_sum", "large_*_mask"],
                        ["seqlen_s17", "heads_h4", "causal_q17_kv129"]),
    # sums kept in bf16: every bf16 case (out bf16 or fp32, GQA, mask, the 1000-key decode row), nothing else
    "bf16_accumulate": (["bf16_gqa_h8_kv2_d64", "bf16_causal_s65_d128", "bf16_mask_q17_kv40_d64",
                         "bf16_tail_q33_kv47_d64", "bf16_nan_v_d128", "bf16_decode_kv1000_d128"], "error",
                        ["bf16_*"], ["fp16_*", "seqlen_s17", "gqa_h8_kv2", "mask_broadcast", "prop_*"]),
    # seed 001's pitfalls (mha lab 001): with one head, or one element per head, (S, Dh, H) is (S, H, Dh)
    "reshape_dh_h": (["heads_h4", "heads_h2", "batch_b2_h2"], "out error", ["*"],
                     ["heads_h1", "seqlen_s17", "tiny_2x3_d4", "headdim_d1"]),
    # a token's query meets its own kv heads: right only when a row has one key and one kv head
    "matmul_before_transpose": (["heads_h1", "heads_h4", "seqlen_s17"], "error", ["*"],
                                ["tiny_1x1_d1", "seqlen_s1"]),
}
# kind: (what every failing call's variant must show, the test); from the FAIL lines on stdout
VARIANT = {
    "ignore_strides": ("strides padded", lambda v: "strides padded" in v),
    "mask_dense_rows": ("strides padded", lambda v: "strides padded" in v),
    "out_in_q_layout": ("out in another layout than q",
                        lambda v: "strides padded" in v or layouts(v)[0] != layouts(v)[1]),
}
# kind: (reason as a regular expression, where the FAIL line says the buffers
# were). A touch of a guard page ends the child at once: the first case fails
# for that reason, no other runs. Where the signal context does not tell reads
# from writes (qemu-user on AArch64 passes no ESR), the reason says "read or write".
FAULT = {
    "read_past_k": (r"^read( or write)? past the end of k ", "ends at guard pages"),
    "read_before_q": (r"^read( or write)? before the start of q ", "starts after guard pages"),
    "write_past": (r"^(out-of-bounds write|read or write) past the end of out ", "ends at guard pages"),
    "ws_overrun": (r"^(out-of-bounds write|read or write) past the end of workspace ", "ends at guard pages"),
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


def layouts(variant):
    """("bshd", "bhsd") for "layout bshd, strides dense, out bhsd, ..."."""
    m = re.search(r"layout (\w+), strides \w+, out (\w+)", variant)
    return (m.group(1), m.group(2)) if m else ("?", "?")


def fail_lines(stdout):
    """case -> (variant, reason) of its first FAIL line; variant "" when the line has none."""
    found = {}
    lines = stdout.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"FAIL  \S+  (\S+)(?:  \((.*)\))?$", line)
        if m and m.group(1) not in found:
            found[m.group(1)] = (m.group(2) or "", lines[i + 1].strip() if i + 1 < len(lines) else "")
    return found


def run_check(mha, lib, extra=(), skipped=None):
    """(exit status, stdout, results by case) of mha check --port lib at the baseline level. Cases skipped
    (dtypes the port does not declare) are left out of the results and, when skipped is a dict, put there."""
    with tempfile.TemporaryDirectory() as tmp:
        js = os.path.join(tmp, "r.json")
        p = subprocess.run(WRAPPER + [mha, "check", "--port", lib, "--level", "baseline", "--json", js] + list(extra),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        results = {}
        if os.path.exists(js):
            with open(js) as f:
                for run in json.load(f)["runs"]:
                    for r in run["results"]:
                        if not r["skipped"]:
                            results[r["case"]] = r
                        elif skipped is not None:
                            skipped[r["case"]] = r
    return p.returncode, p.stdout, results


def check_fault(mha, d, kind, reason, where):
    """A touch of a guard page: the first case fails with reason, the FAIL line says where, nothing else runs."""
    rc, out, results = run_check(mha, module(d, kind))
    failed = {c: r["reason"] for c, r in results.items() if not r["pass"]}
    lines = fail_lines(out)
    if rc != 1:
        fail("%s: mha check exited %d, expected 1\n%s" % (kind, rc, out[-3000:]))
    elif list(failed) != ["tiny_1x1_d1"] or not re.search(reason, failed["tiny_1x1_d1"]):
        fail("%s: expected only tiny_1x1_d1 to fail, for '%s'; failures: %s" % (kind, reason, failed))
    elif len(results) != 1:
        fail("%s: the fault should end the run, but %d results came back" % (kind, len(results)))
    elif where not in lines.get("tiny_1x1_d1", ("", ""))[0]:
        fail("%s: the FAIL line should say '%s': %s" % (kind, where, lines.get("tiny_1x1_d1")))
    else:
        print("ok   %-16s rejected: tiny_1x1_d1 (%s): %s" % (kind, lines["tiny_1x1_d1"][0], failed["tiny_1x1_d1"]))


def main():
    mha, d = sys.argv[1], sys.argv[2]
    for kind, (must_fail, reason, allowed, must_pass) in EXPECT.items():
        rc, out, results = run_check(mha, module(d, kind))
        if rc != 1:
            fail("%s: mha check exited %d, expected 1\n%s" % (kind, rc, out[-3000:]))
            continue
        failed = {c: r["reason"] for c, r in results.items() if not r["pass"]}
        if kind in VARIANT:
            says, test = VARIANT[kind]
            for c, (variant, why) in fail_lines(out).items():
                if not test(variant):
                    fail("%s: case %s failed in a call the bug cannot explain (%s: %s); expected %s" %
                         (kind, c, variant, why, says))
        for c in must_fail:
            if c not in failed:
                fail("%s: case %s should fail but %s" % (kind, c, "passed" if c in results else "did not run"))
            elif reason not in failed[c]:
                fail("%s: case %s failed for '%s', expected a reason containing '%s'" % (kind, c, failed[c], reason))
        for c, why in failed.items():
            if not any(fnmatch.fnmatch(c, g) for g in allowed):
                fail("%s: case %s failed (%s) but the bug cannot explain it" % (kind, c, why))
            if kind in ("scribble_input", "ignore_strides", "odd_threads") and reason not in why:
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
    for kind, (reason, where) in FAULT.items():
        check_fault(mha, d, kind, reason, where)
    for kind, text in REFUSE.items():
        p = subprocess.run(WRAPPER + [mha, "check", "--port", module(d, kind)], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if p.returncode == 0 or text not in p.stdout:
            fail("%s: expected a refusal containing '%s', got exit %d:\n%s" % (kind, text, p.returncode, p.stdout))
        else:
            print("ok   %-16s refused: %s" % (kind, p.stdout.strip()))
    # a port built against ABI 1 (its descriptor one field shorter, ending at an inaccessible page) loads and passes
    # and, fp32 only, has its bf16 and fp16 cases skipped with the reason in the record
    abi1 = os.path.join(d, "libabi1_port.so")
    skipped = {}
    rc, out, results = run_check(mha, abi1, ["--case", "tiny_*,seqlen_s17,mask_broadcast,prop_causal_mask,bf16_*,fp16_*"],
                                 skipped)
    lowp_skipped = sorted(c for c, r in skipped.items() if "not declared by abi1_naive" in r["reason"]
                          and r["dtypes"].split(" -> ")[0] in ("bf16", "fp16"))
    if rc != 0 or len(results) < 4 or not all(r["pass"] for r in results.values()):
        fail("abi1_port: expected a pass on %d cases, got exit %d:\n%s" % (len(results), rc, out[-3000:]))
    elif (sorted(skipped) != lowp_skipped or {c[:4] for c in lowp_skipped} != {"bf16", "fp16"}
          or any(c.startswith(("bf16_", "fp16_")) for c in results)):
        fail("abi1_port: expected every bf16 and fp16 case skipped as not declared, and nothing else; skipped: %s"
             % skipped)
    else:
        print("ok   %-16s passed: %d cases; %d bf16/fp16 cases skipped (fp32 only)" %
              ("abi1_port", len(results), len(lowp_skipped)))
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
