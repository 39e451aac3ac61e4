#!/bin/sh
# mha-bench --breakdown end to end on the quick grid: every GEMM-path
# implementation of the build gets a checked entry with its three phase
# counters, mha report turns them into the breakdown table and bars, and a
# selection without a breakdown point is refused. No timing is asserted.
# usage: test_bench_breakdown.sh MHA_BENCH MHA SCRATCH_DIR
set -u
bench=$1 mha=$2 tmp=$3
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
fail=0
MHA_BENCH_ALLOW_EMULATOR=1 ${MESON_EXE_WRAPPER:-} "$bench" --grid quick --breakdown --benchmark_min_time=0.001 \
  --benchmark_out="$tmp/bd.json" --benchmark_out_format=json >"$tmp/bench.log" 2>&1 ||
  { echo "FAIL: mha-bench --breakdown exited $?"; cat "$tmp/bench.log"; fail=1; }
impls=$(${MESON_EXE_WRAPPER:-} "$mha" list --names | grep -x -e gemm -e gemm_avx2 -e 'blas.*')
for impl in $impls; do
  # quick grid: S 64 and 256 at 1 thread (B 1), S 256 at 2 threads (B 2)
  n=$(grep -c "\"name\": \"breakdown/$impl/B:[12]/H:4/Hkv:4/Sq:\(64\|256\)/.*/real_time\"" "$tmp/bd.json")
  [ "$n" = 3 ] || { echo "FAIL: $impl has $n breakdown entries, expected 3"; fail=1; }
done
for key in qk_seconds softmax_seconds pv_seconds; do
  grep -q "\"$key\": " "$tmp/bd.json" || { echo "FAIL: no $key counter"; fail=1; }
done
${MESON_EXE_WRAPPER:-} "$mha" report "$tmp/bd.json" -o "$tmp/report" >"$tmp/report.log" 2>&1 ||
  { echo "FAIL: mha report"; cat "$tmp/report.log"; fail=1; }
for impl in $impls; do
  grep -q "^| $impl | S=256 H4 Dh=64 MHA T1 | [0-9.]* ms | " "$tmp/report/README.md" ||
    { echo "FAIL: no breakdown row of $impl at S=256 T1"; fail=1; }
done
bars=$(grep -c 'class="bar"' "$tmp/report/breakdown.svg")
[ "$bars" = "$(echo "$impls" | wc -w)" ] || { echo "FAIL: $bars bars at 2 threads, expected one per implementation"; fail=1; }
out=$(MHA_BENCH_ALLOW_EMULATOR=1 ${MESON_EXE_WRAPPER:-} "$bench" --grid quick --breakdown --family decode 2>&1)
rc=$?
case "$rc:$out" in
  2:*"--breakdown: nothing to time"*"in family decode"*) ;;
  *) echo "FAIL: --breakdown --family decode: exit $rc, $out"; fail=1;;
esac
[ $fail = 0 ] && echo "ok: $(echo $impls)"
exit $fail
