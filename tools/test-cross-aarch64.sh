#!/bin/sh
# Configure, build and test the whole project for AArch64 with Debian's
# cross compiler, running every test under qemu-user (cross/aarch64-linux-gnu.ini).
# Needs: gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
# (and libgomp1-arm64-cross for OpenMP; without it, OpenMP is disabled).
# Usage: tools/test-cross-aarch64.sh [build-dir]     exits nonzero on failure.
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build-aarch64}
openmp=auto
[ -e /usr/aarch64-linux-gnu/lib/libgomp.so.1 ] || openmp=disabled
if [ ! -d "$dir" ]; then
    meson setup "$dir" --cross-file cross/aarch64-linux-gnu.ini -Dwerror=true -Dopenmp=$openmp
fi
ninja -C "$dir"
# The exhaustive exp test takes minutes under emulation: scale the timeouts.
meson test -C "$dir" --print-errorlogs --timeout-multiplier 4
