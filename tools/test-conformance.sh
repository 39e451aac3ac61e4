#!/usr/bin/env bash
# The conformance stages of the test command (tools/test.sh calls this after
# its release and sanitizer builds; `meson test --suite conformance` already
# ran there):
#   1. install mhalab to a temporary prefix, build conformance/port-example
#      against it through pkg-config, validate the port with the installed
#      `mha check` against the installed vectors (one command);
#   2. fuzz the manifest reader, the .npy reader and argument validation
#      (tools/fuzz.sh, 20 s each).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== conformance: install to $tmp/prefix, build the example port against it"
meson setup build/test-install --wipe -Dprefix="$tmp/prefix" -Dlibdir=lib -Dbuildtype=release >/dev/null 2>&1 ||
  meson setup build/test-install -Dprefix="$tmp/prefix" -Dlibdir=lib -Dbuildtype=release >/dev/null
ninja -C build/test-install >/dev/null
meson install -C build/test-install --quiet
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
# What a port's build sees: -lmha and the include folder, no OpenBLAS, no
# OpenMP, nothing twice.
flags=$(pkg-config --cflags --libs mha)
echo "pkg-config --cflags --libs mha: $flags"
case "$flags" in *openblas* | *openmp*) echo "mha.pc leaks a private dependency: $flags" >&2; exit 1 ;; esac
dups=$(tr ' ' '\n' <<<"$flags" | sed '/^$/d' | sort | uniq -d)
[ -z "$dups" ] || { echo "mha.pc repeats flags: $dups" >&2; exit 1; }
# The installed mha finds the installed libmha through its RUNPATH.
unset LD_LIBRARY_PATH
meson setup "$tmp/port-build" conformance/port-example >/dev/null
ninja -C "$tmp/port-build"
"$tmp/prefix/bin/mha" vectors verify --dir "$tmp/prefix/share/mhalab/vectors"

echo "== conformance: validate the example port (installed mha, installed vectors)"
"$tmp/prefix/bin/mha" check --port "$tmp/port-build/libport.so" --vectors "$tmp/prefix/share/mhalab/vectors"

echo "== conformance: fuzzing"
tools/fuzz.sh 20
