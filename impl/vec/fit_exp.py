#!/usr/bin/python3
"""Minimax fit of exp(r) on [-ln2/2, ln2/2] for impl/vec/vexp_*.h.

Method: Remez exchange on the relative error (p(r) - e^r) / e^r for a
degree-6 polynomial p(r) = sum_k c_k r^k, in double precision (numpy).
Start from Chebyshev extrema, solve the 8 x 8 system
    sum_k c_k r_i^k - (-1)^i E e^{r_i} = e^{r_i}
at 8 reference points, move the references to the extrema of the error on
a fine grid, repeat until E settles. The coefficients are then rounded to
fp32 (printed as C hex floats); the headers use those. Run:
    /usr/bin/python3 impl/vec/fit_exp.py
"""
import numpy as np

DEG = 6
A, B = -np.log(2) / 2, np.log(2) / 2
n = DEG + 2
refs = (A + B) / 2 + (B - A) / 2 * -np.cos(np.pi * np.arange(n) / (n - 1))
grid = np.linspace(A, B, 200001)
for it in range(30):
    M = np.zeros((n, n))
    for i, r in enumerate(refs):
        M[i, :DEG + 1] = r ** np.arange(DEG + 1)
        M[i, DEG + 1] = -(-1) ** i * np.exp(r)
    sol = np.linalg.solve(M, np.exp(refs))
    c, E = sol[:DEG + 1], sol[DEG + 1]
    err = (np.polyval(c[::-1], grid) - np.exp(grid)) / np.exp(grid)
    # one extremum per sign run of the error
    sign = np.sign(err)
    cuts = np.flatnonzero(np.diff(sign) != 0) + 1
    runs = np.split(np.arange(grid.size), cuts)
    ext = [run[np.argmax(np.abs(err[run]))] for run in runs]
    if len(ext) != n:
        break
    refs = grid[ext]
print("minimax relative error E = %.3e (2^%.1f)" % (abs(E), np.log2(abs(E))))
c32 = c.astype(np.float32)
err32 = (np.polyval(c32.astype(np.float64)[::-1], grid) - np.exp(grid)) / np.exp(grid)
print("after rounding coefficients to fp32: max relative error %.3e" % np.max(np.abs(err32)))
for k, v in enumerate(c32):
    print("c%d = %s  /* %.9g */" % (k, float(v).hex(), v))
