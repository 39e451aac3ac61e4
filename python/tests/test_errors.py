"""Every bad argument: its own exception, naming the argument, the value and the expectation; out untouched."""
import numpy as np
import pytest

import mhalab


def good(b=1, sq=3, skv=4, h=2, hkv=2, dh=4):
    rng = np.random.default_rng(0)
    q = rng.uniform(-1, 1, (b, sq, h, dh)).astype(np.float32)
    k = rng.uniform(-1, 1, (b, skv, hkv, dh)).astype(np.float32)
    return q, k, k.copy()


def refused(error, words, **change):
    """Calls attention with the good arguments changed as given; the error must
    be of type error and contain every word; out must keep its sentinel."""
    q, k, v = good()
    args = {"q": q, "k": k, "v": v, "out": np.full(q.shape, 7.0, np.float32)}
    args.update(change)
    sentinel = args["out"].copy() if isinstance(args["out"], np.ndarray) else None
    with pytest.raises(error) as e:
        mhalab.attention(**args)
    for word in words:
        assert word in str(e.value), f"{word!r} not in {str(e.value)!r}"
    if sentinel is not None:
        np.testing.assert_array_equal(args["out"], sentinel)
    return e.value


def test_dtype():
    q, _, _ = good()
    refused(TypeError, ["q: dtype float64", "expected float32"], q=q.astype(np.float64))
    refused(TypeError, ["k: dtype int32"], k=good()[1].astype(np.int32))


def test_low_precision_before_the_dtype_interface():
    if "float16" in mhalab.dtypes():
        pytest.skip("this libmha has the dtype interface")
    q, _, _ = good()
    refused(TypeError, ["q: dtype float16 is not supported yet by this build", "q.astype(np.float32)"],
            q=q.astype(np.float16))


def test_shapes():
    q, k, _ = good()
    refused(ValueError, ["q: shape (1, 3, 8)", "expected 4", "q.reshape(B, S, H, Dh)"], q=q.reshape(1, 3, 8))
    refused(ValueError, ["k: (B, S, H, Dh) = (2, 4, 2, 4)", "expected (1, 4, 2, 4)"],
            k=np.concatenate([k, k]))
    refused(ValueError, ["v: (B, S, H, Dh) = (1, 3, 2, 4)", "expected (1, 4, 2, 4)"], v=k[:, :3])
    refused(ValueError, ["out: (B, S, H, Dh) = (1, 3, 2, 3)", "expected q's (1, 3, 2, 4)"],
            out=np.zeros((1, 3, 2, 3), np.float32))
    err = refused(mhalab.MhaError, ["heads"], q=np.zeros((1, 3, 3, 4), np.float32),
                  out=np.zeros((1, 3, 3, 4), np.float32))
    assert err.status != 0 and err.message


def test_layouts_and_strides():
    q, k, _ = good(dh=8)
    wide = np.zeros((1, 3, 2, 8), np.float32)
    refused(ValueError, ["q: the head dimension (axis 3, size 4) has a stride of 8 bytes", "contiguous"],
            q=wide[..., ::2], k=k[..., :4], v=k[..., :4], out=np.zeros((1, 3, 2, 4), np.float32))
    q, k, v = good()
    refused(ValueError, ["k: axis 1 (sequence, size 4) has a stride of -32 bytes", "non-negative"], k=k[:, ::-1])
    refused(ValueError, ["layout: 'sbhd'", "bhsd", "bshd"], layout="sbhd")
    refused(ValueError, ["out: the array is read-only"], out=np.broadcast_to(np.float32(0), q.shape))
    kept = q.copy()
    with pytest.raises(mhalab.MhaError, match="overlap"):  # libmha's own check: out may not alias an input
        mhalab.attention(q, k, v, out=q)
    np.testing.assert_array_equal(q, kept)


def test_mask():
    refused(TypeError, ["mask: dtype bool", "np.where(m, 0, -np.inf)"], mask=np.ones((3, 4), bool))
    refused(ValueError, ["mask: shape (3, 5) does not broadcast", "(1, 2, 3, 4)"],
            mask=np.zeros((3, 5), np.float32))
    refused(ValueError, ["mask: its last axis (keys, size 4) has a stride of 8 bytes"],
            mask=np.zeros((3, 8), np.float32)[:, ::2])


@pytest.mark.parametrize("scale, words", [
    (0.0, ["scale: 0.0", "scale=None"]),
    (1e-40, ["scale: 1e-40", "1.18e-38"]),
    (1e39, ["scale: 1e+39", "finite float32"]),
    (float("nan"), ["scale: nan"]),
    ("half", ["scale: 'half'", "a number or None"]),
])
def test_scale(scale, words):
    refused(ValueError if scale != "half" else TypeError, words, scale=scale)


def test_threads_and_impl():
    refused(ValueError, ["threads: -1", "integer >= 0"], threads=-1)
    refused(ValueError, ["threads: 1.5"], threads=1.5)
    refused(ValueError, ["impl: 'fastest' is not compiled", "naive"], impl="fastest")
    refused(TypeError, ["impl: 3"], impl=3)
    missing = [i for i in mhalab.implementations() if not i.runnable]
    if missing:
        refused(mhalab.MhaError, [missing[0].why_not], impl=missing[0].name)


def test_not_an_array():
    refused(TypeError, ["q: dtype object"], q=object())
    refused(TypeError, ["q: dtype <U1"], q=[["a"]])
