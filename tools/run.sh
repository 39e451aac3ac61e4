#!/usr/bin/env bash
# The main job: install what is missing, build, list the implementations,
# and run attention on a generated example. Later issues add the
# conformance check, the benchmark of the default grid and the report.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
meson setup build/release -Dbuildtype=release >/dev/null 2>&1 || meson setup build/release --reconfigure -Dbuildtype=release >/dev/null
ninja -C build/release >/dev/null
mha=build/release/tools/mha
echo "== implementations"
$mha list
echo
echo "== attention on a generated example (B=2, S=128, H=8, Hkv=2, Dh=64)"
mkdir -p build/example
$mha example --out build/example --batch 2 --seq 128 --heads 8 --kv-heads 2 --head-dim 64 --seed 1
$mha attend --q build/example/q.npy --k build/example/k.npy --v build/example/v.npy --causal \
  --out build/example/out.npy
echo "wrote build/example/out.npy"
echo
echo "== conformance: every case and property on every implementation (the README section "Conformance")"
$mha check
