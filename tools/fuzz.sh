#!/usr/bin/env bash
# Fuzz the manifest reader, the .npy reader, argument validation and the
# report's JSON reader with
# libFuzzer + AddressSanitizer (clang), each for a bounded time.
#   usage: tools/fuzz.sh [SECONDS_EACH]      (default 20)
# Builds in build/fuzz; crashes leave their input in build/fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
dir=build/fuzz
if [ ! -f "$dir/build.ninja" ]; then
  CC=clang meson setup "$dir" -Dfuzz=true -Dopenmp=disabled -Dbench=disabled -Dbuildtype=debugoptimized \
    -Db_sanitize=address -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link >/dev/null
fi
ninja -C "$dir" conformance/fuzz/fuzz_manifest conformance/fuzz/fuzz_npy conformance/fuzz/fuzz_validate \
  conformance/fuzz/fuzz_report >/dev/null

# seed corpora: the start of the real manifest, a few real .npy files, a few shapes
corpus=$dir/corpus
rm -rf "$corpus"
mkdir -p "$corpus/manifest" "$corpus/npy" "$corpus/validate" "$corpus/report" "$dir/crashes"
head -c 3000 vectors/MANIFEST >"$corpus/manifest/head"
printf 'mhalab-vectors version=1\ntolerance factor=8 floor=8\n' >"$corpus/manifest/empty"
for f in tiny_2x3_d4.q.npy tiny_1x1_d1.out.npy mask_full_rows.mask.npy; do cp "vectors/$f" "$corpus/npy/"; done
printf '\x24\x24\x24\x24\x28\x24\x24\x24\x24\x24' >"$corpus/validate/small"
cp bench/testdata/sample.json bench/testdata/sample_arm.json "$corpus/report/"

status=0
for t in manifest npy validate report; do
  echo "fuzzing $t for ${secs}s"
  len=4096
  [ "$t" = report ] && len=8192 # the sample report JSON is 4.2 KB
  if ! "$dir/conformance/fuzz/fuzz_$t" -max_total_time="$secs" -max_len="$len" -print_final_stats=1 \
      -artifact_prefix="$dir/crashes/$t-" "$corpus/$t" >"$dir/fuzz_$t.log" 2>&1; then
    echo "FAIL: fuzz_$t found a crash (input in $dir/crashes/, log in $dir/fuzz_$t.log):"
    grep -E "ERROR|SUMMARY|==" "$dir/fuzz_$t.log" | head -20
    status=1
  else
    grep -E "stat::number_of_executed_units" "$dir/fuzz_$t.log" | sed "s/^/  /"
  fi
done
[ "$status" -eq 0 ] && echo "fuzzing: no crash"
exit "$status"
