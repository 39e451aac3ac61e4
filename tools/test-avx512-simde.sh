#!/usr/bin/env bash
# The AVX-512 code (simd_avx512, flash_avx512, every AVX-512 kernel table, the
# benchmark probe's peak loops) on a CPU without AVX-512: built against
# SIMDe's portable intrinsics
# (-Davx512_emulation=true; impl/vec/avx512_intrinsics.h) with the address
# and undefined-behaviour sanitizers, then run through its own tests and the
# conformance check. This checks the kernels' logic (results, tails, masks,
# reductions, memory accesses), never their speed: such a build has no
# benchmarks. On a CPU with AVX-512 the native builds run that code and
# this script says so and stops.
# Usage: tools/test-avx512-simde.sh [build-dir]      exits nonzero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
    echo "avx512-simde: this CPU has AVX-512; the release and sanitizer builds ran its kernels natively"
    exit 0
fi
dir=${1:-build-avx512-simde}
if [ ! -d "$dir" ]; then
    meson setup "$dir" -Davx512_emulation=true -Dwerror=true -Dbuildtype=debugoptimized \
        -Db_sanitize=address,undefined -Db_lundef=false
fi
# Only what the AVX-512 checks below run.
ninja -C "$dir" tools/mha tests/test_flash tests/simd/test_simd_attention \
    tests/simd/test_simd_matmul tests/checkasm/checkasm tests/test_probe_loops
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# checkasm: every kernel table, the avx512 ones included; its exp sweep
# visits every 16th block of 256 floats in this build (tests/checkasm/meson.build).
meson test -C "$dir" --no-rebuild --print-errorlogs simd_avx512 simd_matmul_avx512 checkasm
# The benchmark probe's AVX-512 FMA and bf16 (vdpbf16ps) peak loops: their results, not their speed.
meson test -C "$dir" --no-rebuild --print-errorlogs probe_loops
# flash_avx512 alone, a third of the (Dh, S) grid (the release stage runs
# the whole grid for the native variants).
MHA_TEST_QUICK=1 "$dir/tests/test_flash" flash_avx512 | tail -n 3
# Every stored and generated conformance case, at every CPU level.
"$dir/tools/mha" check --impl '*_avx512' | tail -n 8
