"""Attention written with NumPy alone, for the tests: the float64 computation
mhalab is compared with, the a-priori error bound of fp32 attention, and a
float32 port for mhalab.check()."""
import numpy as np

U32 = 2.0 ** -24  # unit roundoff of float32
U64 = 2.0 ** -53


def gamma(n, u):
    """Higham's gamma_n = n u / (1 - n u): the relative error bound of an n-term sum or dot product."""
    return n * u / (1 - n * u)


def visible(sq, skv, causal, mask=None):
    """(.., Sq, Skv) booleans: key j visible to query i (bottom-right causal, and mask != -inf)."""
    seen = np.ones((sq, skv), bool)
    if causal:
        seen = np.arange(skv)[None, :] <= np.arange(sq)[:, None] + (skv - sq)
    if mask is not None:
        seen = seen & (mask != -np.inf)
    return seen


def attention64(q, k, v, mask=None, causal=False, scale=None):
    """float64 attention of (B, S, H, Dh) float32 inputs (finite): out (B, Sq, H, Dh), probs (B, H, Sq, Skv)."""
    q, k, v = (a.astype(np.float64) for a in (q, k, v))
    group = q.shape[2] // k.shape[2]
    k, v = np.repeat(k, group, axis=2), np.repeat(v, group, axis=2)
    scale = 1 / np.sqrt(q.shape[3]) if scale is None else float(np.float32(scale))
    scores = np.einsum("bihd,bjhd->bhij", q, k) * scale
    if mask is not None:
        scores = scores + mask.astype(np.float64)
    seen = np.broadcast_to(visible(q.shape[1], k.shape[1], causal, mask), scores.shape)
    scores = np.where(seen, scores, -np.inf)
    top = scores.max(axis=-1, keepdims=True)
    empty = top == -np.inf
    e = np.where(seen, np.exp(scores - np.where(empty, 0, top)), 0)
    probs = e / np.where(empty, 1, e.sum(axis=-1, keepdims=True))
    return np.einsum("bhij,bjhd->bihd", probs, v), probs


def attention_bound(q, k, v, mask=None, scale=None, u=U32, score_error=0.0, v_error=0.0):
    """Per-row bounds (out (B, Sq, H, 1), probs (B, H, Sq, 1)) on the error of
    attention computed in a precision of unit roundoff u against the exact
    result, first order (tests/attention_bound.h derives it): a score errs by
    at most (gamma_Dh + 2u) |scale| sum_d |q_d k_jd| + u |mask|, Delta the
    row's largest; probs err by p (exp(2 Delta) - 1 + gamma_Skv + 4u) and out
    by max|V| (exp(2 Delta) - 1 + 2 gamma_Skv + 4u). Errors already in the
    inputs add score_error (B, H, Sq, Skv) to each score's and v_error (the
    largest error of a V element) to out's."""
    dh, skv = q.shape[3], k.shape[1]
    scale = 1 / np.sqrt(dh) if scale is None else abs(float(np.float32(scale)))
    group = q.shape[2] // k.shape[2]
    absdot = np.einsum("bihd,bjhd->bhij", np.abs(q.astype(np.float64)),
                       np.abs(np.repeat(k, group, axis=2).astype(np.float64)))
    ds = (gamma(dh, u) + 2 * u) * scale * absdot
    if mask is not None:
        ds = ds + u * np.abs(np.where(np.isfinite(mask), mask, 0))
    delta = (ds + score_error).max(axis=-1, keepdims=True)  # (B, H, Sq, 1)
    p_bound = np.expm1(2 * delta) + gamma(skv, u) + 4 * u
    out_bound = np.abs(v).max() * (np.expm1(2 * delta) + 2 * gamma(skv, u) + 4 * u) + v_error
    return out_bound.transpose(0, 2, 1, 3), p_bound


def port_attention(q, k, v, mask, causal, scale, forget_scale=False):
    """A float32 NumPy port for mhalab.check(): the contract of include/mha.h,
    NaN and fully hidden rows included. forget_scale plants a bug: the scores
    are not scaled."""
    group = q.shape[2] // k.shape[2]
    k, v = np.repeat(k, group, axis=2), np.repeat(v, group, axis=2)
    scores = np.einsum("bihd,bjhd->bhij", q, k)
    if not forget_scale:
        scores = scores * np.float32(scale)
    if mask is not None:
        scores = scores + mask
    seen = np.broadcast_to(visible(q.shape[1], k.shape[1], causal, mask), scores.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        scores = np.where(seen, scores, np.float32(-np.inf))  # hidden keys are never read
        top = scores.max(axis=-1, keepdims=True)  # NaN if a visible score is NaN
        empty = top == -np.inf
        e = np.where(seen, np.exp(scores - np.where(empty, np.float32(0), top)), np.float32(0))
        probs = e / np.where(empty, np.float32(1), e.sum(axis=-1, keepdims=True))
        if np.isfinite(v).all():
            return np.einsum("bhij,bjhd->bihd", probs, v)
        # a non-finite value reaches the output only through a visible key
        terms = np.where(seen[..., None], probs[..., None] * v.transpose(0, 2, 1, 3)[:, :, None], np.float32(0))
        return terms.sum(axis=3).transpose(0, 2, 1, 3)
