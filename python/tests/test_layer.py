"""mhalab.layer_forward and the seed helpers against float64 NumPy, within derived fp32 bounds."""
import numpy as np
import pytest

import mhalab
from attention_numpy import U32, attention64, attention_bound, gamma


def uniform(rng, *shape, scale=1.0):
    return (rng.uniform(-1, 1, shape) * scale).astype(np.float32)


def product_bound(a, b):
    """|fl(A B) - A B| <= gamma_n |A| |B| elementwise (n = the inner dimension) for float32 A B."""
    return gamma(a.shape[-1], U32) * (np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64)))


def layer64(x, ws, heads, kv_heads, causal, mask=None):
    """float64 layer output (B, S, D) and a first-order bound on the fp32 layer's error:
    the projections' errors carried through the scores and V into attention's
    bound, then through W_o, plus W_o's own product error."""
    w_q, w_k, w_v, w_o = ws
    b, s, d = x.shape
    dh = d // heads
    x64 = x.astype(np.float64)
    proj = [x64 @ w.astype(np.float64) for w in (w_q, w_k, w_v)]
    errs = [product_bound(x, w) for w in (w_q, w_k, w_v)]
    q4, dq4 = (a.reshape(b, s, heads, dh) for a in (proj[0], errs[0]))
    k4, dk4 = (a.reshape(b, s, kv_heads, dh) for a in (proj[1], errs[1]))
    v4 = proj[2].reshape(b, s, kv_heads, dh)
    group = heads // kv_heads
    rk, rdk = np.repeat(np.abs(k4), group, axis=2), np.repeat(dk4, group, axis=2)
    score_error = (np.einsum("bihd,bjhd->bhij", dq4, rk) + np.einsum("bihd,bjhd->bhij", np.abs(q4), rdk)) / np.sqrt(dh)
    context, _ = attention64(q4, k4, v4, mask=mask, causal=causal)
    row_bound, _ = attention_bound(q4, k4, v4, mask=mask, score_error=score_error, v_error=errs[2].max())
    context_bound = np.broadcast_to(row_bound, context.shape).reshape(b, s, d)
    context = context.reshape(b, s, d)
    w_o64 = np.abs(w_o.astype(np.float64))
    return context @ w_o.astype(np.float64), context_bound @ w_o64 + gamma(d, U32) * (np.abs(context) @ w_o64)


@pytest.mark.parametrize("kv_heads, causal", [(4, False), (2, True), (1, True)])
def test_layer_forward(kv_heads, causal):
    rng = np.random.default_rng(10)
    b, s, d, heads = 2, 6, 32, 4
    x = uniform(rng, b, s, d)
    dkv = kv_heads * d // heads
    ws = [uniform(rng, d, d, scale=d ** -0.5), uniform(rng, d, dkv, scale=d ** -0.5),
          uniform(rng, d, dkv, scale=d ** -0.5), uniform(rng, d, d, scale=d ** -0.5)]
    y, probs = mhalab.layer_forward(x, *ws, heads=heads, kv_heads=kv_heads, causal=causal, return_probs=True)
    want, bound = layer64(x, ws, heads, kv_heads, causal)
    assert y.shape == x.shape and probs.shape == (b, heads, s, s)
    assert (np.abs(y - want) <= bound).all(), f"error {np.abs(y - want).max():.3g}, bound {bound.min():.3g}"
    np.testing.assert_allclose(probs.sum(axis=-1), 1, rtol=0, atol=s * U32 * 4)
    one = mhalab.layer_forward(x[0], *ws, heads=heads, kv_heads=kv_heads, causal=causal)
    assert one.shape == (s, d)


def test_layer_mask_and_errors():
    rng = np.random.default_rng(11)
    x = uniform(rng, 1, 5, 8)
    ws = [uniform(rng, 8, 8) for _ in range(4)]
    mask = np.triu(np.full((5, 5), -np.inf, np.float32), 1)
    masked = mhalab.layer_forward(x, *ws, heads=2, mask=mask)
    np.testing.assert_array_equal(masked, mhalab.layer_forward(x, *ws, heads=2, causal=True))
    with pytest.raises(ValueError, match=r"heads: 3 does not divide d_model = 8"):
        mhalab.layer_forward(x, *ws, heads=3)
    with pytest.raises(ValueError, match=r"w_k: shape \(8, 8\), expected \(D, kv_heads \* D / heads\) = \(8, 4\)"):
        mhalab.layer_forward(x, *ws, heads=2, kv_heads=1)
    with pytest.raises(ValueError, match=r"x: not C-contiguous"):
        mhalab.layer_forward(np.zeros((1, 8, 5), np.float32).transpose(0, 2, 1), *ws, heads=2)
    with pytest.raises(ValueError, match=r"kv_heads: 0, expected an integer > 0"):
        mhalab.layer_forward(x, *ws, heads=2, kv_heads=0)
    with pytest.raises(mhalab.MhaError, match=r"kv_heads"):
        wkv = np.zeros((8, 6), np.float32)  # heads 4 -> Dh 2, kv_heads 3 -> 6 columns; 3 does not divide 4
        mhalab.layer_forward(x, ws[0], wkv, wkv, ws[3], heads=4, kv_heads=3)


def test_seed_helpers():
    rng = np.random.default_rng(12)
    s, d, heads = 7, 16, 4
    x = uniform(rng, s, d)
    ws = [uniform(rng, d, d, scale=d ** -0.5) for _ in range(3)]
    q, k, v = mhalab.compute_qkv(x, *ws)
    for got, w in zip((q, k, v), ws):
        assert (np.abs(got - x.astype(np.float64) @ w) <= product_bound(x, w)).all()
    one = mhalab.self_attention(q, k, v)
    want, _ = attention64(*(a[None, :, None, :] for a in (q, k, v)))
    bound, _ = attention_bound(*(a[None, :, None, :] for a in (q, k, v)))
    assert (np.abs(one - want[0, :, 0]) <= bound[0, :, 0]).all()
    many = mhalab.multi_head_attention(q, k, v, heads)
    split = [a.reshape(1, s, heads, d // heads) for a in (q, k, v)]
    want, _ = attention64(*split)
    assert (np.abs(many.reshape(1, s, heads, -1) - want) <= attention_bound(*split)[0]).all()
    with pytest.raises(ValueError, match=r"k: shape \(6, 16\), expected \(S, D\) = \(7, 16\)"):
        mhalab.self_attention(q, k[:6], v)
    with pytest.raises(mhalab.MhaError, match="n_heads"):
        mhalab.multi_head_attention(q, k, v, 5)
