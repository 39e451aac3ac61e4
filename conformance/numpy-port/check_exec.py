#!/usr/bin/env python3
"""`mha check --exec` end to end (meson suite conformance).

    check_exec.py MHA PYTHON pass      the NumPy port passes every case and property
    check_exec.py MHA PYTHON bugs      each planted bug fails, for its own reason
    check_exec.py MHA PYTHON protocol  ports that break the protocol fail with a
                                       message naming what they did, never hang;
                                       a port is started once per check

MHA is the mha program, PYTHON an interpreter with NumPy.
"""
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PORT = os.path.join(HERE, "mha_numpy_port.py")
LIMIT_S = 300  # a hang is a failure of this test, not a stuck CI job


def check(mha, command, *extra):
    start = time.monotonic()
    r = subprocess.run([mha, "check", "--exec", command, *extra], capture_output=True, text=True, timeout=LIMIT_S)
    return r.returncode, r.stdout + r.stderr, time.monotonic() - start


def expect(ok, what, output=""):
    if not ok:
        sys.stdout.write(output[-4000:])
        sys.exit(f"FAIL: {what}")
    print(f"ok: {what}")


def run_pass(mha, python):
    rc, out, secs = check(mha, f"{python} {PORT}")
    expect(rc == 0 and "mha check: all passed" in out, "the NumPy port passes every case and property", out)
    expect("large" in out and "NOT checked" not in out, "the large cases ran through --exec", out)
    failure_lines = [l for l in out.splitlines() if l.startswith(("FAIL ", "CRASH ", "TIMEOUT "))]
    expect(not failure_lines, "no failure, determinism included", out)
    print(f"full check through --exec: {secs:.1f} s wall")


# planted bug -> (words of a FAIL line it must cause, words of the reason)
BUGS = {
    "no_max": (" large_logits ", "NaN/inf where the reference is not"),
    "wrong_scale": (" scale_0p125 ", "exceeds tolerance"),
    "thread_order": (" vs 3)", "declared deterministic, but threads 1 and 3 give different bits"),
}


def run_bugs(mha, python):
    for bug, (fail_line, reason) in BUGS.items():
        # one level: the port runs in its own process, the level changes nothing for it
        rc, out, _ = check(mha, f"{python} {PORT} --bug {bug}", "--no-large", "--level", "baseline")
        all_fails = [line for line in out.splitlines() if line.startswith("FAIL")]
        fails = [line for line in all_fails if fail_line in line]
        if bug == "thread_order":  # as accurate as the correct port: determinism is the only failure
            expect(fails == all_fails, "--bug thread_order fails nothing but determinism", out)
        expect(rc == 1 and fails and reason in out and "mha check: FAILED" in out,
               f"--bug {bug}: exit status 1, a FAIL line with '{fail_line}' and '{reason}'", out)


def fake(python, body):
    """A port made of a few lines of Python (the protocol helpers below, then body)."""
    prelude = ("import json, os, sys\n"
               "def send(o): sys.stdout.write(json.dumps(o) + '\\n'); sys.stdout.flush()\n"
               "def hello(): sys.stdin.readline(); send({'protocol': 1, 'name': 'fake', "
               "'capabilities': {'probs': True}})\n")
    path = os.path.join(tempfile.mkdtemp(prefix="mha-fake-port-"), "port.py")
    with open(path, "w") as f:
        f.write(prelude + body)
    return f"{python} {path}"


def run_protocol(mha, python):
    one = ("--case", "tiny_2x3_d4", "--level", "baseline")
    wrong_shape = ("import numpy as np\nhello()\nfor line in sys.stdin:\n r = json.loads(line)\n"
                   " np.save(os.path.join(r['dir'], r['out']), np.zeros((1, 2, 3), np.float32))\n"
                   " send({'id': r['id'], 'ok': True})\n")
    cases = [
        ("exits before the handshake", "import sys; sys.exit(3)",
         ["handshake failed", "closed its stdout (EOF)", "exited with status 3"]),
        ("prints text instead of the handshake", "print('hello from the port')",
         ["handshake failed", "not a JSON object", "'hello from the port'", "print nothing else on stdout"]),
        ("refuses the protocol version",
         "sys.stdin.readline(); send({'error': 'this port speaks protocol 7'})",
         ["refused the handshake: this port speaks protocol 7"]),
        ("replies with an error",
         "hello()\nfor line in sys.stdin: send({'id': json.loads(line)['id'], 'ok': False, 'error': 'no GPU'})",
         ["implementation reported a failure", "reported an error: no GPU", "tiny_2x3_d4"]),
        ("dies in the middle of a request", "hello()\nsys.stdin.readline()\nos._exit(9)",
         ["closed its stdout (EOF) while waiting for the reply to request", "tiny_2x3_d4"]),
        ("answers another request id", "hello()\nsys.stdin.readline(); send({'id': 'x', 'ok': True})",
         ["replied with \"id\" 'x' while request"]),
        ("writes out in the wrong shape", wrong_shape,
         ["its out file", "float32 (1, 2, 3); expected float32 ('<f4') (1, 2, 1, 4)"]),
    ]
    for what, body, words in cases:
        rc, out, secs = check(mha, fake(python, body), *one)
        missing = [w for w in words if w not in out]
        expect(rc != 0 and not missing and secs < 60,
               f"a port that {what}: exit status {rc}, says {missing or words}", out)
    # the port is started once per check: the child that checks it also learns its name
    starts = os.path.join(tempfile.mkdtemp(prefix="mha-port-starts-"), "starts")
    counted = f"echo started >> {shlex.quote(starts)}; exec {python} {PORT}"
    for extra in ((), ("--level", "baseline")):
        rc, out, _ = check(mha, counted, "--case", "tiny_2x3_d4", *extra)
        with open(starts) as f:
            n = len(f.read().splitlines())
        os.remove(starts)
        expect(rc == 0 and n == 1 and "== numpy@" in out, f"one start of the port with {list(extra)}: {n}", out)
    # nothing left behind in the temporary folder
    leftovers = [d for d in os.listdir(tempfile.gettempdir()) if d.startswith("mha-exec-")]
    expect(not leftovers, f"no mha-exec-* folder left in {tempfile.gettempdir()}", "\n".join(leftovers))


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("pass", "bugs", "protocol"):
        sys.exit(__doc__)
    mha, python, mode = sys.argv[1:]
    # a private TMPDIR, so the leftover check sees only this test's folders
    os.environ["TMPDIR"] = tempfile.mkdtemp(prefix="mha-check-exec-")
    tempfile.tempdir = os.environ["TMPDIR"]
    try:
        {"pass": run_pass, "bugs": run_bugs, "protocol": run_protocol}[mode](mha, python)
    finally:
        shutil.rmtree(os.environ["TMPDIR"], ignore_errors=True)


if __name__ == "__main__":
    main()
