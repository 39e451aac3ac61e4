#!/usr/bin/env bash
# The whole test suite, from a fresh clone of a fresh Debian 12 machine:
#   1. install missing Debian packages (tools/install-deps.sh)
#   2. release build with -Wall -Wextra -Werror, meson test
#   3. the same with -fsanitize=address,undefined, meson test
#   4. the AVX-512 kernels through SIMDe with sanitizers, on CPUs without
#      AVX-512 (tools/test-avx512-simde.sh)
#   5. conformance extras: the example port built against an installed
#      mhalab through pkg-config and validated, libFuzzer runs
#   6. the Python package: pip install . into a venv, pytest (tools/test-python.sh)
#   7. the AArch64 cross build with every test under qemu
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
stage() { printf '\n== %s (%ds)\n' "$*" $(( $(date +%s) - start )); }

stage "dependencies"
tools/install-deps.sh

stage "release build, -Werror"
meson setup build/test-release --wipe -Dwerror=true -Dbuildtype=release >/dev/null 2>&1 ||
  meson setup build/test-release -Dwerror=true -Dbuildtype=release
ninja -C build/test-release
meson test -C build/test-release --print-errorlogs

stage "sanitizers: address, undefined"
meson setup build/test-asan --wipe -Dwerror=true -Dbuildtype=debugoptimized \
  -Db_sanitize=address,undefined -Db_lundef=false >/dev/null 2>&1 ||
  meson setup build/test-asan -Dwerror=true -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false
ninja -C build/test-asan
# MHA_TEST_QUICK=1: test_flash runs a third of its (Dh, S) grid here (the
# release stage above runs all of it; every code path is still covered).
# LSAN_OPTIONS: tests/lsan.supp (fontconfig, loaded by cairo, keeps its cache until exit).
MHA_TEST_QUICK=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp" \
  meson test -C build/test-asan --print-errorlogs

stage "AVX-512 kernels through SIMDe (for CPUs without AVX-512), sanitizers"
tools/test-avx512-simde.sh build/test-avx512-simde

stage "conformance: installed port example, fuzzing"
tools/test-conformance.sh

stage "Python package: pip install ., pytest"
tools/test-python.sh

stage "AArch64: cross build, every test under qemu"
tools/test-cross-aarch64.sh build/test-aarch64

stage "all tests passed"
# One closing line over every meson test run above (native, sanitizers,
# AVX-512 through SIMDe, AArch64) and the Python package's pytest run.
count() { cat build/test-release/meson-logs/testlog.json build/test-asan/meson-logs/testlog.json \
  build/test-aarch64/meson-logs/testlog.json $(ls build/test-avx512-simde/meson-logs/testlog.json 2>/dev/null) |
  grep -c "\"result\": \"$1\"" || true; }
pytest_count() { /usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E
s = E.parse("build/python-tests.xml").getroot()
s = s if s.tag == "testsuite" else s[0]
n = {k: int(s.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
print({"OK": n["tests"] - n["failures"] - n["errors"] - n["skipped"], "FAIL": n["failures"] + n["errors"],
       "SKIP": n["skipped"]}[sys.argv[1]])' "$1"; }
printf 'mhalab: %d passed, %d failed, %d skipped\n' "$(( $(count OK) + $(pytest_count OK) ))" \
  "$(( $(count FAIL) + $(pytest_count FAIL) ))" "$(( $(count SKIP) + $(pytest_count SKIP) ))"
