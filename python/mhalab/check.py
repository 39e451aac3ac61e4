"""mhalab.check(fn): a Python attention function judged by `mha check --exec`
against the golden vectors, with the same cases, tolerances and report."""
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from . import _port
from ._lib import MHA_PROGRAM, PACKAGE_DIR, VECTORS_DIR


@dataclass(frozen=True)
class CaseResult:
    """One (case, level) verdict of `mha check`, as its --json file has it."""
    case: str                  # case or property id, e.g. "scale_0p125" or "prop_nan_q"
    group: str
    level: str
    passed: bool
    max_abs: Optional[float]   # largest |got - reference| (None when not measured)
    tolerance: Optional[float]
    ulps: int
    worst: Optional[str]       # where max_abs was seen
    variant: Optional[str]     # layout and thread count of the call judged
    reason: Optional[str]      # why it failed
    rerun: str                 # the mha command that runs this case again


@dataclass
class CheckResult:
    """What `mha check --exec` said about fn. bool(result) is result.passed."""
    passed: bool                    # exit status 0: every case passed
    exit_status: int                # mha check's: 0 passed, 1 failed, 3 could not judge
    results_passed: int
    results_failed: int
    cases: List[CaseResult]
    report: str                     # mha check's printed report, last line "N passed, N failed"
    port_errors: List[str] = field(default_factory=list)  # the traceback of each exception fn raised

    @property
    def failures(self):
        return [c for c in self.cases if not c.passed]

    @property
    def summary(self):
        return f"{self.results_passed} passed, {self.results_failed} failed"

    def __bool__(self):
        return self.passed

    def __str__(self):
        return self.report


def _serve_socket(listener, stop, fn, deterministic, errors):
    """Accepts port connections until stop is set; each is served in a thread of its own."""
    lock = threading.Lock()
    where = getattr(fn, "__module__", None) or "?"
    summary = f"{where}.{getattr(fn, '__qualname__', _port.port_name(fn))} (Python {sys.version.split()[0]}, " \
              f"NumPy {np.__version__}, in process)"

    def one(conn):
        with conn, conn.makefile("r", encoding="utf-8") as requests, conn.makefile("w", encoding="utf-8") as replies:
            try:
                _port.serve(requests, replies, fn, summary, deterministic, lock, errors)
            except (OSError, ValueError):  # mha ended the port (time limit, protocol error): nothing to answer
                pass

    while not stop.is_set():
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        conn.settimeout(None)
        threading.Thread(target=one, args=(conn,), daemon=True).start()


def _parse(json_path, exit_status, report, errors):
    try:
        with open(json_path) as f:
            data = json.load(f)
    except (OSError, ValueError):  # mha stopped before writing it (usage error, cannot judge)
        return CheckResult(False, exit_status, 0, 0, [], report, errors)
    cases = [CaseResult(case=r["case"], group=r["group"], level=r["level"], passed=r["pass"],
                        max_abs=r["max_abs"], tolerance=r["tolerance"], ulps=r["ulps"], worst=r["worst"],
                        variant=r["variant"], reason=r["reason"], rerun=r["rerun"])
             for run in data["runs"] for r in run["results"]
             if not r.get("skipped")]  # bf16/fp16 cases: --exec is fp32, so mha check skips them
    return CheckResult(data["passed"], exit_status, data["results_passed"], data["results_failed"], cases,
                       report, errors)


def check(fn, cases=None, no_large=False, deterministic=False, timeout=None, verbose=False, quiet=False):
    """Validates fn(q, k, v, mask, causal, scale) -> out through `mha check --exec`.

    fn receives NumPy float32 arrays q (B, Sq, H, Dh), k and v
    (B, Skv, Hkv, Dh), mask None or (mask_b, mask_h, Sq, Skv), causal (bool)
    and scale (float, already resolved) and returns out (B, Sq, H, Dh): a
    NumPy array or anything NumPy converts (JAX arrays), or a PyTorch tensor
    on any device. A callable runs in this process, called from a thread of
    check(); a string "module:function" is imported and run in a child
    Python instead, so that a crash in it fails a case rather than this
    process. cases: comma-separated globs of case ids ('seqlen_*,prop_*');
    no_large skips the large shapes; deterministic declares that fn gives
    the same bits every time (then checked); timeout: `mha check
    --timeout`, the seconds the run may take; verbose lists passing cases too; quiet
    prints nothing (the report is in the result either way).
    """
    if not isinstance(fn, str) and not callable(fn):
        raise TypeError(f"fn: {fn!r}, expected a callable fn(q, k, v, mask, causal, scale) -> out "
                        "or a 'module:function' string")
    # a Unix socket's path has at most 107 bytes: a long $TMPDIR gives way to /tmp
    folder = tempfile.mkdtemp(prefix="mhalab-check-", dir="/tmp" if len(tempfile.gettempdir()) > 60 else None)
    json_path = os.path.join(folder, "result.json")
    errors, stop, listener, server = [], threading.Event(), None, None
    env = dict(os.environ)
    if isinstance(fn, str):
        command = [sys.executable, "-m", "mhalab._port", fn] + (["--deterministic"] if deterministic else [])
        # the child finds fn's module and mhalab where this process does
        env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(PACKAGE_DIR)] + [p for p in sys.path if p])
    else:
        socket_path = os.path.join(folder, "port.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(socket_path)
        listener.listen(4)
        listener.settimeout(0.1)
        server = threading.Thread(target=_serve_socket, args=(listener, stop, fn, deterministic, errors), daemon=True)
        server.start()
        command = [sys.executable, "-I", os.path.join(PACKAGE_DIR, "_relay.py"), socket_path]
    argv = [MHA_PROGRAM, "check", "--exec", shlex.join(command), "--vectors", VECTORS_DIR, "--json", json_path]
    argv += (["--case", cases] if cases else []) + (["--no-large"] if no_large else [])
    argv += (["--timeout", str(int(timeout))] if timeout else []) + (["--verbose"] if verbose else [])
    lines = []
    try:
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              text=True, env=env) as mha:
            try:
                for line in mha.stdout:
                    lines.append(line)
                    if not quiet:
                        sys.stdout.write(line)
                        sys.stdout.flush()
            except BaseException:  # KeyboardInterrupt: mha ends its children on SIGTERM
                mha.terminate()
                raise
        return _parse(json_path, mha.returncode, "".join(lines), errors)
    finally:
        stop.set()
        if server is not None:
            server.join()
            listener.close()
        shutil.rmtree(folder, ignore_errors=True)
