#!/usr/bin/env python3
"""An independent reading of the vectors, written from vectors/README.md only:
checks the hashes' shape of the manifest, regenerates every case's inputs
with a Python SplitMix64 and the documented recipes, and recomputes the
reference in NumPy float64. Any disagreement means docs/conformance.md, the generator
or the reference is wrong. Exits 77 (skip) without NumPy.

usage: independent.py VECTORS_DIR
"""
import math
import sys

try:
    import numpy as np
except ImportError:
    print("SKIP: NumPy is not installed for", sys.executable)
    sys.exit(77)

MASK64 = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.s = seed

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & MASK64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def uniform(self, n):
        return np.array([((self.next() >> 40) - (1 << 23)) for _ in range(n)], dtype=np.float64) * 2.0 ** -23


def make_inputs(d):
    B, H, Hkv, Sq, Skv, Dh = (int(d[k]) for k in ("B", "H", "Hkv", "Sq", "Skv", "Dh"))
    g = SplitMix64(int(d["seed"]))
    q = g.uniform(B * Sq * H * Dh).astype(np.float32).reshape(B, Sq, H, Dh)
    k = g.uniform(B * Skv * Hkv * Dh).astype(np.float32).reshape(B, Skv, Hkv, Dh)
    v = g.uniform(B * Skv * Hkv * Dh).astype(np.float32).reshape(B, Skv, Hkv, Dh)
    mask = None
    kind = d["mask"]
    if kind != "none":
        bm, hm = (B, H) if kind == "per_head" else (1, 1)
        n = bm * hm * Sq * Skv
        mask = np.zeros(n, np.float32) if kind == "inf_column" else (2 * g.uniform(n)).astype(np.float32)
        idx = np.arange(n)
        i, j = idx // Skv % Sq, idx % Skv
        if kind == "neg_inf":
            hide = np.array([(g.next() >> 62) == 0 for _ in range(n)])
        elif kind == "full_rows":
            hide = i % 5 == 1
        elif kind == "full_tile":
            hide = ((j >= 32) & (j < 64)) | ((i >= 16) & (i < 32))
        elif kind == "inf_column":
            hide = j == Skv // 2
        else:
            hide = np.zeros(n, bool)
        mask[hide] = -np.inf
        mask = mask.reshape(bm, hm, Sq, Skv)
    r = d["recipe"]
    if r == "ints":
        q, k, v = (np.trunc(3 * x).astype(np.float32) for x in (q, k, v))
    elif r == "large":
        q, k = q * np.float32(128), k * np.float32(128)
    elif r == "zero_q":
        q[:] = 0
    elif r == "zero_v":
        v[:] = 0
    elif r == "nan_q":
        q[0, Sq // 2, 0, 0] = np.nan
    elif r == "nan_k":
        k[0, Skv // 2, 0, 0] = np.nan
    elif r == "nan_v":
        v[0, Skv // 2, 0, Dh - 1] = np.nan
    elif r != "uniform":
        raise ValueError("unknown recipe " + r)
    dt = d.get("dtype", "fp32")  # manifests of version 1 have no dtype: fp32
    q, k, v = (to_dtype(x, dt) for x in (q, k, v))
    return q, k, v, mask


def round_bf16(x):
    """float32 array -> the nearest bfloat16 values (ties to the even pattern) as float32, by comparing the two
    neighbours in float64 (the C generator adds a rounding bias instead)."""
    u = x.view(np.uint32)
    lo = u & np.uint32(0xFFFF0000)
    hi = lo + np.uint32(0x10000)  # the next pattern up in magnitude (sign kept); past the largest: infinity
    xd = x.astype(np.float64)
    lo_v = lo.view(np.float32).astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        hi_v = np.where((hi & np.uint32(0x7FFFFFFF)) == np.uint32(0x7F800000),
                        np.copysign(2.0 ** 128, xd), hi.view(np.float32).astype(np.float64))
    d_lo, d_hi = np.abs(xd - lo_v), np.abs(hi_v - xd)
    take_hi = (d_hi < d_lo) | ((d_hi == d_lo) & (((lo >> np.uint32(16)) & np.uint32(1)) == 1))
    out = np.where(take_hi, hi, lo).view(np.float32)
    return np.where(np.isnan(x), x, out).astype(np.float32)


def to_dtype(x, dtype):
    """Inputs as given: rounded to the case's dtype (nearest even), kept as float32 values."""
    if dtype == "bf16":
        return round_bf16(x)
    if dtype == "fp16":
        return x.astype(np.float16).astype(np.float32)
    return x


def stored(x, dtype):
    """What the .npy file of an input of dtype holds: fp32 as is, fp16 as '<f2', bf16 bit patterns as '<u2'."""
    if dtype == "bf16":
        return (x.view(np.uint32) >> np.uint32(16)).astype(np.uint16)
    if dtype == "fp16":
        return x.astype(np.float16)
    return x


def reference(d, q, k, v, mask):
    B, H, Hkv, Sq, Skv, Dh = (int(d[x]) for x in ("B", "H", "Hkv", "Sq", "Skv", "Dh"))
    scale = float(np.float32(float(d["scale"]))) or 1 / math.sqrt(Dh)
    G = H // Hkv
    kk = np.repeat(k.astype(np.float64), G, axis=2)
    vv = np.repeat(v.astype(np.float64), G, axis=2)
    with np.errstate(invalid="ignore"):
        s = np.einsum("bihd,bjhd->bhij", q.astype(np.float64), kk) * scale
        hidden = np.zeros((B, H, Sq, Skv), bool)
        if mask is not None:
            s = s + mask
            hidden |= np.broadcast_to(mask == -np.inf, hidden.shape)
        if d["flags"] == "causal":
            i = np.arange(Sq)[:, None]
            j = np.arange(Skv)[None, :]
            hidden |= np.broadcast_to(j > i + Skv - Sq, hidden.shape)
        s = np.where(hidden, -np.inf, s)
        m = np.max(np.where(np.isnan(s), np.inf, s), axis=-1, keepdims=True)  # NaN rows stay NaN below
        m = np.where(np.isnan(s).any(-1, keepdims=True), np.nan, m)
        empty = np.all(hidden, -1, keepdims=True)
        e = np.where(hidden, 0.0, np.exp(s - np.where(empty, 0, m)))
        p = np.where(empty, 0.0, e / e.sum(-1, keepdims=True))
        vv0 = np.where(np.isnan(vv), 0, vv)
        o = np.einsum("bhij,bjhd->bihd", np.where(hidden, 0, p), vv0)
        # a NaN in V[b, j, g, d] reaches O[b, i, h, d] of every row that sees key j
        reach = np.einsum("bhij,bjhd->bihd", (~hidden).astype(float), np.isnan(vv).astype(float)) > 0
        o[reach] = np.nan
        rownan = np.isnan(m[..., 0]).transpose(0, 2, 1)  # b i h
        o[np.broadcast_to(rownan[..., None], o.shape)] = np.nan
    return o, p


def main():
    vdir = sys.argv[1]
    cases, files = [], {}
    for line in open(vdir + "/MANIFEST"):
        t = line.split()
        if t and t[0] == "case":
            cases.append(dict(x.split("=", 1) for x in t[1:]))
        elif t and t[0] == "file":
            f = dict(x.split("=", 1) for x in t[1:])
            files[(cases[-1]["id"], f["role"])] = f["name"]
    bad = 0
    for d in cases:
        cid = d["id"]
        q, k, v, mask = make_inputs(d)
        for role, x in (("q", q), ("k", k), ("v", v)):
            got = np.load(vdir + "/" + files[(cid, role)])
            if d["layout"] == "bhsd":
                got = got.transpose(0, 2, 1, 3)
            want = stored(x, d.get("dtype", "fp32"))
            if got.dtype != want.dtype or not np.array_equal(got, want, equal_nan=got.dtype != np.uint16):
                print("FAIL %s: %s differs from the documented recipe" % (cid, role))
                bad += 1
        if mask is not None and not np.array_equal(np.load(vdir + "/" + files[(cid, "mask")]), mask):
            print("FAIL %s: mask differs from the documented recipe" % cid)
            bad += 1
        o, p = reference(d, q, k, v, mask)
        ro = np.load(vdir + "/" + files[(cid, "out")])
        rp = np.load(vdir + "/" + files[(cid, "probs")])
        # two float64 computations in different orders: agree to ~1e-12 relative
        for name, a, b in (("out", o, ro), ("probs", p, rp)):
            if not np.array_equal(np.isnan(a), np.isnan(b)):
                print("FAIL %s: %s NaN positions differ from NumPy's" % (cid, name))
                bad += 1
            elif np.nanmax(np.abs(np.nan_to_num(a - b)), initial=0) > 1e-10:
                print("FAIL %s: %s differs from NumPy's float64 by %g" % (cid, name, np.nanmax(np.abs(a - b))))
                bad += 1
    print("%d cases regenerated independently, %d failure(s)" % (len(cases), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
