#!/usr/bin/env bash
# The benchmark half of the main job: build, conformance check (when `mha
# check` exists), the default grid, the PyTorch peer, the report.
#   tools/run-bench.sh [GRID]        GRID: quick, default (the default), full
# Output: build/bench/<grid>.json, torch-<grid>.json, check.json, build/report/
set -euo pipefail
cd "$(dirname "$0")/.."
grid=${1:-default}
build=build/release
out=build/bench
mkdir -p "$out"

meson setup "$build" -Dbuildtype=release >/dev/null 2>&1 ||
  meson setup "$build" --reconfigure -Dbuildtype=release >/dev/null
ninja -C "$build" >/dev/null
mha=$build/tools/mha
bench=$build/bench/mha-bench
if [ ! -x "$bench" ]; then
  echo "mha-bench was not built (libbenchmark-dev missing? see 'meson configure $build | grep bench')" >&2
  exit 1
fi

check_args=()
check_failed=0
rm -f "$out/check.json"
if "$mha" check --help >/dev/null 2>&1; then
  echo "== conformance (mha check)"
  # a failing case is reported by mha check and in the report's accuracy table; the benchmark still runs
  "$mha" check --json "$out/check.json" || { check_failed=1; echo "   mha check reported failures (see above)"; }
  [ -f "$out/check.json" ] && check_args=(--check "$out/check.json")
else
  echo "== conformance: 'mha check' is not in this build yet; skipped"
fi

echo "== benchmark: $grid grid ($("$bench" --list-grid "$grid" | wc -l) points x $("$mha" list --names | wc -l) implementations)"
start=$(date +%s)
"$bench" --grid "$grid" --benchmark_out="$out/$grid.json" --benchmark_out_format=json
echo "   took $(( $(date +%s) - start )) s"

inputs=("$out/$grid.json")
echo "== peer: PyTorch"
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  /usr/bin/python3 bench/peers/torch_peer.py --bench "$bench" --grid "$grid" -o "$out/torch-$grid.json" &&
    inputs+=("$out/torch-$grid.json")
else
  echo "   PyTorch is not importable by /usr/bin/python3; the torch peer is skipped"
fi

echo "== report"
"$mha" report "${inputs[@]}" "${check_args[@]}" -o build/report --force
echo "report: $(pwd)/build/report/README.md"
if [ "$check_failed" = 1 ]; then
  echo "mha check failed: the report's accuracy table names the failing cases" >&2
  exit 1
fi
