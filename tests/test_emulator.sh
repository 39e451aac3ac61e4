#!/bin/sh
# mha-bench's emulator refusal (bench/emulator.h): the native probe must say
# "not emulated"; the same probe under qemu-x86_64, and an aarch64 build
# under qemu-aarch64, must say "emulated". Each qemu case is skipped with a
# message when qemu-user or the cross compiler is missing.
# usage: test_emulator.sh NATIVE_PROBE SOURCE_ROOT SCRATCH_DIR
set -u
probe=$1 src=$2 tmp=$3
mkdir -p "$tmp"
fail=0
"$probe" || { echo "FAIL: the native run was called emulated"; fail=1; }
if ldd "$probe" 2>/dev/null | grep -q -e libasan -e libubsan -e libtsan; then
  echo "SKIP: qemu-x86_64 case: sanitizer builds do not run under qemu-user"
elif command -v qemu-x86_64 >/dev/null 2>&1 && [ "$(uname -m)" = x86_64 ]; then
  out=$(timeout 20 qemu-x86_64 "$probe" 2>&1); echo "$out"
  # the probe's own message, not just a nonzero exit
  case $out in *"emulated CPU"*) ;; *) echo "FAIL: qemu-x86_64 not detected"; fail=1;; esac
else
  echo "SKIP: qemu-x86_64 or an x86-64 host missing"
fi
if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 && command -v qemu-aarch64 >/dev/null 2>&1 &&
   [ "$(uname -m)" != aarch64 ]; then
  aarch64-linux-gnu-gcc -static -O1 -pthread -I"$src/bench" -I"$src/impl/core" "$src/tests/emulator_probe.c" \
    "$src/bench/emulator.c" "$src/impl/core/cache_info.c" \
    -o "$tmp/emulator_probe_aarch64" || { echo "FAIL: cross build"; exit 1; }
  out=$(timeout 20 qemu-aarch64 "$tmp/emulator_probe_aarch64" 2>&1); echo "$out"
  case $out in *"user-mode emulation"*) ;; *) echo "FAIL: qemu-aarch64 not detected"; fail=1;; esac
else
  echo "SKIP: aarch64-linux-gnu-gcc or qemu-aarch64 missing (or an aarch64 host)"
fi
[ $fail = 0 ] && echo "emulator detection: ok"
exit $fail
