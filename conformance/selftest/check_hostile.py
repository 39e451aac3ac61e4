#!/usr/bin/env python3
"""Asserts that `mha check` owns its children: every hostile port
(conformance/broken/hostile.c) is rejected for its own reason with the
right exit status and promptly, SIGTERM/SIGINT end the check and every
process it started, problems the check cannot judge exit 3, rerun lines
paste as printed, a port that needs no CPU feature runs once, and a correct
port passes with exit 0 and consistent JSON, JUnit and final line.

usage: check_hostile.py MHA BROKEN_DIR VECTORS INSTALLED_VECTORS
"""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

WRAPPER = shlex.split(os.environ.get("MESON_EXE_WRAPPER", ""))
TIMEOUT = 3  # --timeout of the ports that hang, seconds
SLACK = 60  # the most a run here may take beyond that (a hang without the harness's limits: 600 s)
HANGING = ("ignore_alarm", "entry_loop")
CASES = "tiny_*,seqlen_s17,prop_causal_mask"

# kind: (exit status, run status, texts the note or failure must contain, texts it must not, failing ids)
EXPECT = {
    "exit_attention": (1, "crash", ["exited with status 0", "during seqlen_s17", "without reporting"], ["timed out"],
                       ["seqlen_s17"]),
    "exit_constructor": (1, "crash", ["exited with status 0", "constructors"], [], ["port_load"]),
    "exit_entry": (1, "crash", ["exited with status 0", "mha_port_impl()"], [], ["port_entry"]),
    "ignore_alarm": (1, "timeout", ["--timeout %d s" % TIMEOUT, "during tiny_1x1_d1", "killed"], ["SIGALRM"],
                     ["tiny_1x1_d1"]),
    "entry_loop": (1, "timeout", ["--timeout %d s" % TIMEOUT, "mha_port_impl()"], [], ["port_entry"]),
    "own_alarm": (1, "crash", ["killed by SIGALRM", "during tiny_1x1_d1"], ["timed out"], ["tiny_1x1_d1"]),
    "fork_sleeper": (1, "fail", ["left processes running"], [], ["port_processes"]),
    "print_stdout": (1, "fail", ["wrote", "bytes to stdout", "hostile_print_stdout: called"], [], ["port_stdout"]),
}

failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL", msg)


def marked_processes(mark):
    """Processes (other than this one) whose environment carries mark."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                if ("MHA_SELFTEST_MARK=" + mark).encode() in f.read().split(b"\0"):
                    found.append(int(pid))
        except OSError:
            pass
    return found


def no_leftovers(what, mark):
    for _ in range(50):  # a killed process may take a moment to disappear
        left = marked_processes(mark)
        if not left:
            return
        time.sleep(0.1)
    fail("%s: processes left running: %s" % (what, left))
    for pid in left:
        os.kill(pid, signal.SIGKILL)


def check(mha, args, mark):
    env = dict(os.environ, MHA_SELFTEST_MARK=mark)
    start = time.monotonic()
    p = subprocess.run(WRAPPER + [mha, "check"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env=env, timeout=300)
    return p, time.monotonic() - start


def final_line(p):
    lines = p.stdout.strip().splitlines()
    m = re.fullmatch(r"(\d+) passed, (\d+) failed", lines[-1]) if lines else None
    return (int(m.group(1)), int(m.group(2))) if m else None


def hostile(mha, d, tmp):
    for kind, (code, status, texts, absent, ids) in EXPECT.items():
        js = os.path.join(tmp, kind + ".json")
        limit = TIMEOUT if kind in HANGING else 300
        p, took = check(mha, ["--port", os.path.join(d, "libhostile_%s.so" % kind), "--case", CASES,
                              "--timeout", str(limit), "--json", js], kind)
        no_leftovers(kind, kind)
        if p.returncode != code or took > (TIMEOUT if kind in HANGING else 0) + SLACK:
            fail("%s: exit %d after %.1f s, expected %d within %d s\n%s%s" %
                 (kind, p.returncode, took, code, (TIMEOUT if kind in HANGING else 0) + SLACK, p.stdout[-2000:], p.stderr[-1000:]))
            continue
        with open(js) as f:
            runs = json.load(f)["runs"]
        failed = [r for run in runs for r in run["results"] if not r["pass"]]
        said = " ".join([run["note"] for run in runs] + [r["reason"] for r in failed])
        if len(runs) != 1 or runs[0]["status"] != status:
            fail("%s: expected one run with status %s, got %s" % (kind, status, [(r["level"], r["status"]) for r in runs]))
        elif sorted(r["case"] for r in failed) != sorted(ids):
            fail("%s: failing results %s, expected %s" % (kind, [(r["case"], r["reason"]) for r in failed], ids))
        elif not all(t in said for t in texts) or any(t in said for t in absent):
            fail("%s: the verdict should say %s and not %s: %s" % (kind, texts, absent, said))
        elif final_line(p) != (sum(len(run["results"]) for run in runs) - len(failed), len(failed)):
            fail("%s: the last line '%s' does not count the results" % (kind, p.stdout.strip().splitlines()[-1]))
        elif kind == "print_stdout" and "hostile_print_stdout: called" in p.stdout.replace(failed[0]["reason"], ""):
            fail("print_stdout: the port's output is mixed into the report:\n" + p.stdout)
        else:
            print("ok   %-16s exit %d in %.1f s: %s" % (kind, p.returncode, took, failed[0]["reason"][:110]))


def interrupt(mha, d):
    """SIGTERM/SIGINT to a check whose port hangs: prompt exit 128+signal, no process left."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        mark = "interrupt_%d" % sig
        env = dict(os.environ, MHA_SELFTEST_MARK=mark)
        p = subprocess.Popen(WRAPPER + [mha, "check", "--port", os.path.join(d, "libhostile_ignore_alarm.so"),
                                        "--case", "tiny_*", "--timeout", "600"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        deadline = time.monotonic() + SLACK
        while len(marked_processes(mark)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # until the child that hangs exists
        time.sleep(0.3)
        start = time.monotonic()
        p.send_signal(sig)
        try:
            out, _ = p.communicate(timeout=SLACK)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            fail("%s: mha check did not end within %d s" % (signal.Signals(sig).name, SLACK))
            continue
        took = time.monotonic() - start
        no_leftovers(signal.Signals(sig).name, mark)
        if p.returncode != 128 + sig or "interrupted" not in out:
            fail("%s: exit %d, expected %d and a message\n%s" % (signal.Signals(sig).name, p.returncode, 128 + sig,
                                                                  out[-1000:]))
        else:
            print("ok   %-16s exit %d in %.2f s, no process left" % (signal.Signals(sig).name, p.returncode, took))


def cannot_judge(mha, d, vectors, tmp):
    """Problems the check cannot judge exit 3, each with its own message."""
    corrupt = os.path.join(tmp, "corrupt")
    shutil.copytree(vectors, corrupt)
    with open(os.path.join(corrupt, "tiny_1x1_d1.q.npy"), "r+b") as f:
        f.seek(-1, 2)
        last = f.read(1)
        f.seek(-1, 2)
        f.write(bytes([last[0] ^ 1]))
    notfile = os.path.join(tmp, "manifest_is_a_folder")
    os.makedirs(os.path.join(notfile, "MANIFEST"))
    correct = os.path.join(d, "libhostile_correct.so")
    cases = {
        "missing vectors": (["--impl", "naive", "--case", "tiny_*", "--vectors", os.path.join(tmp, "none")], "VECTORS"),
        "corrupt vectors": (["--impl", "naive", "--case", "tiny_*", "--vectors", corrupt], "tiny_1x1_d1.q.npy"),
        "unreadable MANIFEST": (["--impl", "naive", "--case", "tiny_*", "--vectors", notfile], "MANIFEST"),
        "port not found": (["--port", os.path.join(tmp, "nosuch.so")], "cannot load port"),
        "unwritable JSON": (["--port", correct, "--case", "tiny_1x1_d1", "--json", os.path.join(tmp, "no", "r.json")],
                            "--json"),
        "unwritable JUnit": (["--port", correct, "--case", "tiny_1x1_d1", "--junit", os.path.join(tmp, "no", "r.xml")],
                             "--junit"),
    }
    for what, (args, text) in cases.items():
        p, _ = check(mha, args, "judge")
        if p.returncode != 3 or text not in p.stdout + p.stderr:
            fail("%s: exit %d, expected 3 and '%s'\n%s%s" % (what, p.returncode, text, p.stdout[-1500:], p.stderr))
        else:
            print("ok   %-16s exit 3" % what)


def reruns(mha, d, vectors, tmp):
    """A printed rerun line pastes as it is: quoted paths, --vectors and --timeout included."""
    spaced = os.path.join(tmp, "my vectors")
    os.makedirs(spaced)
    for name in os.listdir(vectors):
        os.symlink(os.path.join(vectors, name), os.path.join(spaced, name))
    port = os.path.join(tmp, "it's a port.so")
    shutil.copy(os.path.join(d, "libhostile_exit_attention.so"), port)
    p, _ = check(mha, ["--port", port, "--case", CASES, "--vectors", spaced, "--timeout", "30"], "rerun")
    lines = [l.split("rerun: ", 1)[1] for l in p.stdout.splitlines() if "rerun: " in l]
    if p.returncode != 1 or not lines:
        fail("rerun: the first run should fail and print a rerun line:\n" + p.stdout[-2000:])
        return
    # a cross build's mha runs through the exe wrapper here (on its own machine the line pastes as it is)
    pasted = " ".join(shlex.quote(a) for a in WRAPPER) + " " + lines[0] if WRAPPER else lines[0]
    q = subprocess.run(["bash", "-c", pasted], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       env=dict(os.environ, MHA_SELFTEST_MARK="rerun"))
    if q.returncode != 1 or "--timeout 30" not in lines[0] or "during seqlen_s17" not in q.stdout:
        fail("rerun: '%s' exited %d:\n%s" % (lines[0], q.returncode, q.stdout[-2000:]))
    else:
        print("ok   %-16s %s" % ("rerun pastes", lines[0]))


def correct(mha, d, tmp):
    """A correct port passes everything, once (it needs no CPU feature), with JSON, JUnit and last line agreeing."""
    js, xml = os.path.join(tmp, "c.json"), os.path.join(tmp, "c.xml")
    p, took = check(mha, ["--port", os.path.join(d, "libhostile_correct.so"), "--no-large", "--json", js,
                          "--junit", xml], "correct")
    no_leftovers("correct", "correct")
    counts = final_line(p)
    if p.returncode != 0 or not counts or counts[1] != 0 or counts[0] < 50:
        fail("correct: exit %d, last line %s\n%s" % (p.returncode, counts, p.stdout[-3000:]))
        return
    with open(js) as f:
        rep = json.load(f)
    suites = ET.parse(xml).getroot()
    cases = suites.findall("./testsuite/testcase")
    checks = {
        "one run (no CPU feature needed)": len(rep["runs"]) == 1,
        "schema and versions": rep["schema_version"] >= 2 and rep["mhalab_version"] and rep["abi_version"] >= 1,
        "port path and hash": rep["port"]["path"].endswith("libhostile_correct.so")
        and re.fullmatch(r"[0-9a-f]{32}", rep["port"]["xxh3_128"]),
        "partial under --no-large": rep["partial"] is True and rep["filters"]["no_large"] is True,
        "counts agree": rep["results_passed"] == counts[0] == len(cases) == int(suites.get("tests"))
        and suites.get("failures") == "0",
        "rerun per result": all(r["rerun"].endswith("--case " + r["case"]) for r in rep["runs"][0]["results"]),
    }
    bad = [k for k, v in checks.items() if not v]
    if bad:
        fail("correct: %s" % bad)
    else:
        print("ok   %-16s exit 0 in %.1f s, %d passed; JSON and JUnit agree" % ("correct", took, counts[0]))


def installed_vectors(mha, installed, tmp):
    """An mha outside its build folder (installed) reads the installed vectors by default."""
    copy = os.path.join(tmp, "bin", "mha")
    os.makedirs(os.path.dirname(copy))
    shutil.copy(mha, copy)
    lib = os.path.dirname(os.path.dirname(os.path.realpath(mha)))  # the build folder, where libmha is
    env = dict(os.environ, LD_LIBRARY_PATH=lib + ":" + os.environ.get("LD_LIBRARY_PATH", ""))
    # an exe wrapper that sets the guest's LD_LIBRARY_PATH (qemu -E) gets the build folder added
    wrapper = [a + ":" + lib if a.startswith("LD_LIBRARY_PATH=") else a for a in WRAPPER]
    p = subprocess.run(wrapper + [copy, "check", "--impl", "naive", "--case", "tiny_1x1_d1"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, env=env)
    if installed not in p.stdout:
        fail("installed mha: expected it to read %s:\n%s" % (installed, p.stdout[-1500:]))
    else:
        print("ok   %-16s reads %s (exit %d)" % ("installed mha", installed, p.returncode))


def main():
    mha, d, vectors, installed = sys.argv[1:5]
    with tempfile.TemporaryDirectory() as tmp:
        hostile(mha, d, tmp)
        interrupt(mha, d)
        cannot_judge(mha, d, vectors, tmp)
        reruns(mha, d, vectors, tmp)
        correct(mha, d, tmp)
        installed_vectors(mha, installed, tmp)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
