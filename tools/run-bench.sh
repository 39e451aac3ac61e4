#!/usr/bin/env bash
# The benchmark half of the main job: build, conformance check (when `mha
# check` exists), the peers' virtual environments, then for each family of
# the grid mha-bench followed by the peers on the same points (interleaved,
# so a change of machine load hits both), the report.
#   tools/run-bench.sh [GRID] [--with-torch] [--no-peers]      (see tools/run.sh)
# Output: build/bench/<grid>-<family>.json, <grid>-breakdown.json, ort-..., torch-..., run-info.json,
# check.json; build/report/. Peers: build/peers/venv-ort (bench/peers/requirements.txt)
# and, with --with-torch, build/peers/venv-torch (requirements-torch.txt); the BLAS
# backends blas_scipy and blas_mkl: build/peers/venv-blas (requirements-blas.txt),
# built into the benchmark build; each is skipped with a one-line reason when it
# cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
grid=default
with_torch=0
peers=1
for a in "$@"; do
  case "$a" in
    --with-torch) with_torch=1 ;;
    --no-peers) peers=0 ;;
    -*) echo "run-bench.sh: unknown option $a (expected --with-torch, --no-peers)" >&2; exit 2 ;;
    *) grid=$a ;;
  esac
done
build=${MHA_BUILD_DIR:-build/release}   # MHA_BUILD_DIR: another build folder (release buildtype)
out=build/bench
mkdir -p build/peers
mkdir -p "$out"
run_start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# venv NAME REQUIREMENTS: build/peers/venv-NAME with exactly those packages, reused while the
# requirements file is unchanged. Prints the python to use, or nothing (and the reason on stderr).
venv() {
  local dir=build/peers/venv-$1 req=$2 stamp
  stamp=$(sha256sum "$req" | cut -d' ' -f1)
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.requirements" 2>/dev/null)" = "$stamp" ]; then
    echo "$dir/bin/python"
    return
  fi
  rm -rf "$dir"
  local t0=$SECONDS
  if ! /usr/bin/python3 -m venv "$dir" >/dev/null 2>"$dir.log" ||
     ! "$dir/bin/pip" install --disable-pip-version-check -q -r "$req" >>"$dir.log" 2>&1; then
    echo "   $1: not installed ($(tail -n 1 "$dir.log")); skipped" >&2
    return
  fi
  echo "$stamp" > "$dir/.requirements"
  echo "   $1: installed $req in $((SECONDS - t0)) s, $(du -sh "$dir" | cut -f1)" >&2
  echo "$dir/bin/python"
}
ort_py= torch_py= skipped=
blas_opts=(-Dscipy_openblas_dir= -Dmkl_dir=)   # none: blas_scipy and blas_mkl not built
if [ "$peers" = 1 ]; then
  echo "== peers (PyPI, pinned)"
  ort_py=$(venv ort bench/peers/requirements.txt)
  [ -n "$ort_py" ] || skipped="onnxruntime: pip install failed (build/peers/venv-ort.log)"
  # the BLAS backends blas_scipy and blas_mkl: libraries for the build, not a Python peer
  blas_py=$(venv blas bench/peers/requirements-blas.txt)
  if [ -n "$blas_py" ]; then
    blas_opts=(-Dscipy_openblas_dir="$("$blas_py" -c 'import os, scipy_openblas32 as s; print(os.path.dirname(s.__file__))')"
               -Dmkl_dir="$(pwd)/build/peers/venv-blas")
  else
    skipped="${skipped:+$skipped; }blas_scipy, blas_mkl: pip install failed (build/peers/venv-blas.log)"
  fi
  if [ "$with_torch" = 1 ]; then
    torch_py=$(venv torch bench/peers/requirements-torch.txt)
    [ -n "$torch_py" ] || skipped="${skipped:+$skipped; }torch: pip install failed (build/peers/venv-torch.log)"
  else
    echo "   torch: not requested (tools/run.sh --with-torch)"
    skipped="${skipped:+$skipped; }torch: not requested (tools/run.sh --with-torch)"
  fi
else
  skipped="all peers and BLAS backends: --no-peers"
fi

# meson setup on a folder already set up changes nothing (it says so and exits 0): configure it instead
if [ -f "$build/build.ninja" ]; then
  meson configure "$build" -Dbuildtype=release "${blas_opts[@]}" >/dev/null
else
  meson setup "$build" -Dbuildtype=release "${blas_opts[@]}" >/dev/null
fi
ninja -C "$build" >/dev/null
mha=$build/tools/mha
bench=$build/bench/mha-bench
if [ ! -x "$bench" ]; then
  echo "mha-bench was not built (libbenchmark-dev missing? see 'meson configure $build | grep bench')" >&2
  exit 1
fi
families=$("$bench" --list-grid "$grid" | awk '{print $1}' | uniq)
echo "   BLAS backends in $build: $("$mha" list --names | grep '^blas_' | tr '\n' ' ' || true)"

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

echo "== benchmark: $grid grid ($("$bench" --list-grid "$grid" | wc -l) points x $("$mha" list --names | wc -l) implementations), peers interleaved by family"
bench_start=$(date +%s)
inputs=()
rm -f "$out/$grid"-*.json "$out/ort-$grid"-*.json "$out/torch-$grid"-*.json
declare -A secs=([mhalab]=0 [breakdown]=0 [ort]=0 [torch]=0)
for fam in $families; do
  echo "-- $fam"
  t0=$SECONDS
  "$bench" --grid "$grid" --family "$fam" --benchmark_out="$out/$grid-$fam.json" --benchmark_out_format=json \
    --benchmark_display_aggregates_only=true
  secs[mhalab]=$((secs[mhalab] + SECONDS - t0))
  inputs+=("$out/$grid-$fam.json")
  for peer in ort torch; do
    py=${peer}_py
    [ -n "${!py}" ] || continue
    t0=$SECONDS
    if "${!py}" "bench/peers/${peer}_peer.py" --bench "$bench" --grid "$grid" --family "$fam" \
         -o "$out/$peer-$grid-$fam.json" 2>"$out/$peer-$grid-$fam.log"; then
      # a family the peer runs no point of leaves a file without benchmarks
      if grep -q '"name":' "$out/$peer-$grid-$fam.json" 2>/dev/null; then inputs+=("$out/$peer-$grid-$fam.json"); fi
      tail -n 1 "$out/$peer-$grid-$fam.log"
    else
      echo "   $peer peer failed on $fam (see $out/$peer-$grid-$fam.log)"
    fi
    secs[$peer]=$((secs[$peer] + SECONDS - t0))
  done
done
# The GEMM path's phases (QK^T, softmax, PV) on the grid's Dh 64 MHA prefill points, 1 and 2 threads
echo "-- breakdown (GEMM path: QK^T, softmax, PV)"
t0=$SECONDS
"$bench" --grid "$grid" --breakdown --benchmark_out="$out/$grid-breakdown.json" --benchmark_out_format=json \
  --benchmark_display_aggregates_only=true
secs[breakdown]=$((SECONDS - t0))
inputs+=("$out/$grid-breakdown.json")
timing="mhalab ${secs[mhalab]} s, GEMM-path breakdown ${secs[breakdown]} s, onnxruntime ${secs[ort]} s, torch ${secs[torch]} s"
echo "   took $(( $(date +%s) - bench_start )) s: $timing"

# The run's own facts for the report: load at start and end, what was skipped.
cat > "$out/run-info.json" <<JSON
{"context": {"host_name": "$(hostname)", "mha_run_info": "tools/run-bench.sh $*",
  "mha_run_load_start": "$load_start", "mha_run_load_end": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "mha_run_seconds": "$(( $(date +%s) - run_start ))", "mha_run_benchmark_seconds": "$timing",
  "mha_run_peers_skipped": "$skipped"},
 "benchmarks": []}
JSON
echo "== report"
"$mha" report "${inputs[@]}" "$out/run-info.json" "${check_args[@]}" -o build/report --force
echo "report: $(pwd)/build/report/README.md and $(pwd)/build/report/report.html"
if [ "$check_failed" = 1 ]; then
  echo "mha check failed: the report's accuracy table names the failing cases" >&2
  exit 1
fi
