"""mhalab.attention and mhalab.reference against float64 NumPy, in both layouts and on strided views."""
import tracemalloc

import numpy as np
import pytest

import mhalab
from attention_numpy import U64, attention64, attention_bound

# The implementations that run here and take fp32 inputs (those that take only bf16 or fp16, such as
# flash_avx512bf16, are checked by test_dtypes.py)
RUNNABLE = [i.name for i in mhalab.implementations() if i.runnable and "fp32->fp32" in i.dtypes]


def inputs(rng, b=2, sq=5, skv=7, h=4, hkv=2, dh=8):
    q = rng.uniform(-1, 1, (b, sq, h, dh)).astype(np.float32)
    k = rng.uniform(-1, 1, (b, skv, hkv, dh)).astype(np.float32)
    v = rng.uniform(-1, 1, (b, skv, hkv, dh)).astype(np.float32)
    return q, k, v


def assert_within(got, want, bound, what):
    err = np.abs(got.astype(np.float64) - want)
    worst = np.unravel_index(np.argmax(err - bound), err.shape)
    assert (err <= bound).all(), f"{what}: error {err[worst]:.3g} > bound {np.broadcast_to(bound, err.shape)[worst]:.3g}"


@pytest.mark.parametrize("impl", RUNNABLE)
@pytest.mark.parametrize("causal", [False, True])
def test_every_implementation_within_the_fp32_bound(impl, causal):
    q, k, v = inputs(np.random.default_rng(1))
    out, probs = mhalab.attention(q, k, v, causal=causal, impl=impl, return_probs=True)
    want, want_p = attention64(q, k, v, causal=causal)
    out_bound, p_bound = attention_bound(q, k, v)
    assert out.dtype == np.float32 and out.shape == q.shape and probs.shape == (2, 4, 5, 7)
    assert_within(out, want, out_bound, f"{impl} out")
    assert_within(probs, want_p, p_bound, f"{impl} probs")


def test_mask_scale_and_gqa():
    rng = np.random.default_rng(2)
    q, k, v = inputs(rng, h=6, hkv=3)
    mask = rng.uniform(-2, 2, (5, 7)).astype(np.float32)
    mask[1, 2:] = -np.inf
    mask[3, :] = -np.inf  # a row that sees no key: zeros
    out = mhalab.attention(q, k, v, mask=mask, scale=0.3)
    want, _ = attention64(q, k, v, mask=mask, scale=0.3)
    assert_within(out, want, attention_bound(q, k, v, mask=mask, scale=0.3)[0], "masked out")
    assert (out[:, 3] == 0).all()


def test_head_major_layout_gives_the_same_bits():
    q, k, v = inputs(np.random.default_rng(3))
    bshd = mhalab.attention(q, k, v, impl="naive")
    as_bhsd = [np.ascontiguousarray(a.transpose(0, 2, 1, 3)) for a in (q, k, v)]
    bhsd = mhalab.attention(*as_bhsd, impl="naive", layout="bhsd")
    assert bhsd.shape == (2, 4, 5, 8)
    np.testing.assert_array_equal(bhsd.transpose(0, 2, 1, 3), bshd)


def test_seed_layout_view_and_out_written_in_place():
    rng = np.random.default_rng(4)
    b, s, h, dh = 2, 6, 4, 8
    x = [rng.uniform(-1, 1, (b, s, h * dh)).astype(np.float32) for _ in range(3)]
    views = [a.reshape(b, s, h, dh) for a in x]
    assert all(np.shares_memory(view, a) for view, a in zip(views, x))
    y = np.full((b, s, h * dh), np.nan, np.float32)
    out = mhalab.attention(*views, out=y.reshape(b, s, h, dh))
    assert np.shares_memory(out, y) and not np.isnan(y).any()
    want, _ = attention64(*views)
    assert_within(y.reshape(b, s, h, dh), want, attention_bound(*views)[0], "seed layout")


def test_strided_views_are_read_in_place():
    """Slices of larger arrays (every other token, a part of the head
    dimension) go to libmha as they are: the call allocates far less than
    one copy of q (NumPy reports its allocations to tracemalloc)."""
    rng = np.random.default_rng(5)
    big = rng.uniform(-1, 1, (3, 2, 512, 4, 80)).astype(np.float32)
    q, k, v = (big[i, :, ::2, :, :64] for i in range(3))
    assert not q.flags.c_contiguous and np.shares_memory(q, big)
    out = np.empty(q.shape, np.float32)
    tracemalloc.start()
    mhalab.attention(q, k, v, out=out, impl="naive", threads=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < q.nbytes // 4, f"the call allocated {peak} bytes; q has {q.nbytes}"
    want, _ = attention64(q, k, v)
    assert_within(out, want, attention_bound(q, k, v)[0], "strided views")


def test_broadcast_mask_is_not_expanded():
    rng = np.random.default_rng(6)
    q, k, v = inputs(rng)
    mask = rng.uniform(-1, 1, (2, 1, 5, 7)).astype(np.float32)  # one mask per batch, shared by heads
    out = mhalab.attention(q, k, v, mask=mask)
    want, _ = attention64(q, k, v, mask=mask)
    assert_within(out, want, attention_bound(q, k, v, mask=mask)[0], "broadcast mask")


def test_threads_do_not_change_a_deterministic_result():
    q, k, v = inputs(np.random.default_rng(7), sq=33, skv=40)
    for impl in mhalab.implementations():
        if impl.name in RUNNABLE and "deterministic" in impl.caps:
            one = mhalab.attention(q, k, v, impl=impl, threads=1)
            np.testing.assert_array_equal(mhalab.attention(q, k, v, impl=impl, threads=3), one, impl.name)


def test_reference_is_float64_attention():
    q, k, v = inputs(np.random.default_rng(8))
    out, probs = mhalab.reference(q, k, v, causal=True, return_probs=True)
    want, want_p = attention64(q, k, v, causal=True)
    out_bound, p_bound = attention_bound(q, k, v, u=U64)
    assert out.dtype == np.float64
    assert_within(out, want, 2 * out_bound, "reference out")  # both sides round: twice the bound
    assert_within(probs, want_p, 2 * p_bound, "reference probs")
    bhsd = mhalab.reference(*(a.transpose(0, 2, 1, 3) for a in (q, k, v)), causal=True, layout="bhsd")
    np.testing.assert_array_equal(bhsd.transpose(0, 2, 1, 3), out)
