"""mhalab.check(): a NumPy attention judged through `mha check --exec`."""
import functools
import sys

import ml_dtypes
import numpy as np
import pytest

import mhalab
from mhalab import _port
from attention_numpy import port_attention


@pytest.fixture(scope="module")
def correct():
    """The correct port over every stored case and property check (not the large shapes)."""
    return mhalab.check(port_attention, no_large=True, quiet=True)


def test_a_correct_numpy_attention_passes(correct):
    assert correct.passed and correct.exit_status == 0 and bool(correct)
    assert correct.cases and not correct.failures and not correct.port_errors
    groups = {c.group for c in correct.cases}
    assert {"tiny", "mask", "special", "scale", "property"} <= groups, groups
    assert correct.report.rstrip().endswith(correct.summary)
    assert correct.results_passed == len(correct.cases) and correct.results_failed == 0


def test_a_forgotten_scale_fails_the_scale_cases():
    bug = mhalab.check(functools.partial(port_attention, forget_scale=True), cases="scale_*,tiny_*", quiet=True)
    assert not bug.passed and bug.exit_status == 1
    failed = {c.case for c in bug.failures}
    assert {"scale_0p125", "scale_0p3", "tiny_2x3_d4"} <= failed, failed
    assert all(c.reason.startswith("out error ") and " > tol " in c.reason for c in bug.failures)
    assert "mha check: FAILED" in bug.report and bug.report.rstrip().endswith(bug.summary)


def test_an_exception_in_fn_fails_its_case_with_the_traceback_kept():
    def broken(q, k, v, mask, causal, scale):
        raise RuntimeError("kernel not compiled for Dh=%d" % q.shape[3])

    r = mhalab.check(broken, cases="tiny_*", quiet=True)
    assert not r.passed and r.failures
    assert all("RuntimeError: kernel not compiled for Dh=" in c.reason for c in r.failures)
    assert r.port_errors and "Traceback" in r.port_errors[0] and "kernel not compiled" in r.port_errors[0]


def test_a_module_function_runs_in_a_child_python(tmp_path, monkeypatch):
    (tmp_path / "child_port.py").write_text(
        "import os\nfrom attention_numpy import port_attention\n"
        "def attention(q, k, v, mask, causal, scale):\n"
        "    print('stray output', os.getpid())  # the protocol keeps stdout for replies\n"
        "    return port_attention(q, k, v, mask, causal, scale)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    r = mhalab.check("child_port:attention", cases="tiny_*,mask_*", deterministic=True, quiet=True)
    assert r.passed and r.cases, r.report
    missing = mhalab.check("child_port:nothing_here", cases="tiny_*", quiet=True)
    assert not missing.passed and "handshake failed" in missing.report


def test_results_are_converted_to_float32():
    exact = np.array([1.5, -2.25], ml_dtypes.bfloat16)
    np.testing.assert_array_equal(_port.as_float32(exact), [1.5, -2.25])
    assert _port.as_float32(np.ones((2, 2), np.float64)[:, ::-1]).flags.c_contiguous
    with pytest.raises(TypeError, match="dtype int64; expected floating point"):
        _port.as_float32(np.ones(3, np.int64))
    with pytest.raises(TypeError, match="fn: 3, expected a callable"):
        mhalab.check(3)


def test_port_names():
    assert _port.port_name(port_attention) == "port_attention"
    assert _port.port_name(lambda *a: None) == "lambda"
    assert _port.port_name(functools.partial(port_attention)) == "partial"
    assert sys.executable  # check() starts the relay and children with this interpreter
