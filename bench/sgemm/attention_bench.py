#!/usr/bin/python3
"""Attention timings of mhalab implementations, interleaved in one process.

Two comparisons (best of N interleaved rounds each):

  torch    the implementations at 1 thread against PyTorch's plain
           softmax(Q K^T * scale) V (torch.set_num_threads(1)), on the
           same head-major fp32 arrays
  threads  each implementation at 1 thread and at 2 threads

Runs libmha through ctypes, so one process times everything and the
noise of a shared machine hits every contender alike. Needs numpy, and
torch for the first comparison (Debian: python3-numpy, python3-torch).

  /usr/bin/python3 bench/sgemm/attention_bench.py build/libmha.so torch
  /usr/bin/python3 bench/sgemm/attention_bench.py build/libmha.so threads --seq 1024 2048

Wall time is what a user waits for; CPU time (process_time) leaves out
the time spent waiting for a core on a loaded machine, which makes
single-thread ratios steadier. With 2 threads only wall time shows the
speedup.
"""
import argparse
import ctypes as C
import math
import time

import numpy as np


class Shape(C.Structure):
    _fields_ = [(n, C.c_int64) for n in ("batch", "heads", "kv_heads", "q_len", "kv_len", "head_dim")]


class Strides(C.Structure):
    _fields_ = [(n, C.c_int64) for n in ("batch", "seq", "head")]


class Args(C.Structure):
    _fields_ = [
        ("shape", Shape),
        ("q", C.c_void_p), ("q_strides", Strides),
        ("k", C.c_void_p), ("k_strides", Strides),
        ("v", C.c_void_p), ("v_strides", Strides),
        ("out", C.c_void_p), ("out_strides", Strides),
        ("scale", C.c_float),
        ("mask", C.c_void_p), ("mask_strides", Strides),
        ("causal", C.c_int),
        ("probs", C.c_void_p),
        ("threads", C.c_int),
        ("workspace", C.c_void_p),
        ("workspace_bytes", C.c_size_t),
    ]


def load(path):
    lib = C.CDLL(path)
    lib.mha_impl_find.restype = C.c_void_p
    lib.mha_impl_find.argtypes = [C.c_char_p]
    lib.mha_attention.restype = C.c_int
    lib.mha_attention.argtypes = [C.c_void_p, C.POINTER(Args)]
    lib.mha_workspace_size.restype = C.c_size_t
    lib.mha_workspace_size.argtypes = [C.c_void_p, C.POINTER(Args)]
    lib.mha_impl_runnable.restype = C.c_int
    lib.mha_impl_runnable.argtypes = [C.c_void_p, C.c_char_p, C.c_size_t]
    lib.mha_last_error.restype = C.c_char_p
    return lib


def make_args(q, k, v, out, threads):
    """q, k, v, out: (B, H, S, Dh) contiguous float32 (head-major layout)."""
    B, H, S, D = q.shape
    a = Args()
    a.shape = Shape(B, H, k.shape[1], S, k.shape[2], D)
    for name, arr in (("q", q), ("k", k), ("v", v), ("out", out)):
        setattr(a, name, arr.ctypes.data)
        st = [s // 4 for s in arr.strides]
        setattr(a, name + "_strides", Strides(st[0], st[2], st[1]))
    a.threads = threads
    return a


class Contender:
    def __init__(self, name, fn):
        self.name, self.fn = name, fn
        self.wall = self.cpu = math.inf

    def run(self):
        w, c = time.perf_counter(), time.process_time()
        self.fn()
        w, c = time.perf_counter() - w, time.process_time() - c
        self.wall, self.cpu = min(self.wall, w), min(self.cpu, c)


def interleave(contenders, rounds):
    for c in contenders:  # warm-up
        c.run()
        c.wall = c.cpu = math.inf
    for _ in range(rounds):
        for c in contenders:
            c.run()


def mha_contender(lib, name, q, k, v, threads, label=None):
    impl = lib.mha_impl_find(name.encode())
    why = C.create_string_buffer(128)
    if not impl or not lib.mha_impl_runnable(impl, why, 128):
        return None
    out = np.empty_like(q)
    args = make_args(q, k, v, out, threads)
    ws_bytes = lib.mha_workspace_size(impl, C.byref(args))
    ws = np.empty(max(ws_bytes, 1), dtype=np.uint8)
    args.workspace, args.workspace_bytes = ws.ctypes.data, ws_bytes

    def fn():
        st = lib.mha_attention(impl, C.byref(args))
        if st != 0:
            raise RuntimeError(lib.mha_last_error().decode())

    c = Contender(label or name, fn)
    c.out, c.ws, c.buffers = out, ws_bytes, (ws, q, k, v)  # keep the buffers alive
    return c


def inputs(B, H, S, D, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, (B, H, S, D)).astype(np.float32) for _ in range(3)]


def cmp_torch(lib, args):
    import torch
    torch.set_num_threads(1)
    B, H, S, D = 1, args.heads, args.seq[0], args.head_dim
    q, k, v = inputs(B, H, S, D)
    tq, tk, tv = (torch.from_numpy(x) for x in (q, k, v))
    scale = 1.0 / math.sqrt(D)
    res = {}

    def torch_fn():
        res["o"] = torch.softmax(tq @ tk.transpose(-2, -1) * scale, dim=-1) @ tv

    cs = [Contender("torch softmax(QK^T)V", torch_fn)]
    cs += [c for c in (mha_contender(lib, n, q, k, v, 1) for n in args.impls) if c]
    interleave(cs, args.rounds)
    base = cs[0]
    print(f"B=1 H={H} S={S} Dh={D}, 1 thread, head-major fp32, best of {args.rounds} interleaved rounds")
    print(f"{'':24} {'wall ms':>9} {'cpu ms':>9} {'speedup vs torch (wall)':>24} {'(cpu)':>7}  max|O - O_torch|")
    for c in cs:
        diff = float(np.max(np.abs(c.out - res["o"].numpy()))) if hasattr(c, "out") else 0.0
        print(f"{c.name:24} {1e3 * c.wall:9.2f} {1e3 * c.cpu:9.2f} {base.wall / c.wall:23.2f}x "
              f"{base.cpu / c.cpu:6.2f}x  {diff:.2g}")


def cmp_threads(lib, args):
    print(f"B=1 H={args.heads} Dh={args.head_dim}, head-major fp32, best of {args.rounds} interleaved rounds")
    print("wall: 1 and 2 threads, speedup; cpu: process CPU time of both (2 threads doing the same work")
    print("in the same CPU time is what a 2x speedup needs on an idle machine)")
    print(f"{'':12} {'S':>6} {'wall 1 ms':>10} {'wall 2 ms':>10} {'speedup':>8} {'cpu 1 ms':>9} {'cpu 2 ms':>9} "
          f"{'workspace 2 thr MiB':>20}")
    for S in args.seq:
        q, k, v = inputs(1, args.heads, S, args.head_dim)
        pairs = []
        for n in args.impls:
            one = mha_contender(lib, n, q, k, v, 1)
            two = mha_contender(lib, n, q, k, v, 2)
            if one and two:
                pairs.append((n, one, two))
        interleave([c for _, a, b in pairs for c in (a, b)], args.rounds)
        for n, one, two in pairs:
            print(f"{n:12} {S:6} {1e3 * one.wall:10.2f} {1e3 * two.wall:10.2f} {one.wall / two.wall:7.2f}x "
                  f"{1e3 * one.cpu:9.2f} {1e3 * two.cpu:9.2f} {two.ws / 2**20:20.1f}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("lib", help="path to libmha.so (build/libmha.so)")
    p.add_argument("mode", choices=["torch", "threads"])
    p.add_argument("--impls", nargs="+", default=["blas", "gemm", "gemm_avx2"])
    p.add_argument("--seq", nargs="+", type=int, default=[1024])
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--head-dim", type=int, default=64)
    p.add_argument("--rounds", type=int, default=7)
    args = p.parse_args()
    lib = load(args.lib)
    (cmp_torch if args.mode == "torch" else cmp_threads)(lib, args)


if __name__ == "__main__":
    main()
