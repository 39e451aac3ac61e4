#!/usr/bin/env bash
# The main job: install what is missing, build, list the implementations,
# run attention on a generated example, then (tools/run-bench.sh) check
# every implementation with the conformance suite, benchmark the grid
# interleaved with the PyPI peers, and write the report.
#   tools/run.sh [GRID] [--with-torch] [--no-peers]
#     GRID          quick, default (the default), full
#     --with-torch  also the PyTorch peer (PyPI's torch pulls ~5 GB of CUDA libraries)
#     --no-peers    mhalab's implementations only
set -euo pipefail
cd "$(dirname "$0")/.."
for a in "$@"; do
  case "$a" in
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
  esac
done
tools/install-deps.sh tools/debian-packages-main.txt
meson setup build/release -Dbuildtype=release >/dev/null 2>&1 || meson setup build/release --reconfigure -Dbuildtype=release >/dev/null
ninja -C build/release >/dev/null
mha=build/release/tools/mha
echo "== implementations"
$mha list
echo
echo "== attention on a generated example (B=2, S=128, H=8, Hkv=2, Dh=64, causal)"
mkdir -p build/example
$mha example --out build/example --batch 2 --seq 128 --heads 8 --kv-heads 2 --head-dim 64 --seed 1
$mha attend --q build/example/q.npy --k build/example/k.npy --v build/example/v.npy --causal \
  --out build/example/out.npy
echo
exec tools/run-bench.sh "$@"
