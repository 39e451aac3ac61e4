#!/bin/sh
# Configure, build and test the whole project for AArch64 with Debian's
# cross compiler, running every test under qemu-user (cross/aarch64-linux-gnu.ini).
# Needs: gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
# plus libjansson-dev:arm64, libxxhash-dev:arm64 and cmark-gfm (report.html) for arm64, installed below.
# Usage: tools/test-cross-aarch64.sh [build-dir]     exits nonzero on failure.
set -eu
cd "$(dirname "$0")/.."
# The AArch64 libraries the project links (Debian multiarch): arm64 must be
# a foreign architecture of dpkg first.
arm64_dev="libjansson-dev:arm64 libxxhash-dev:arm64 libcmark-gfm-dev:arm64 libcmark-gfm-extensions-dev:arm64"
missing=""
for p in $arm64_dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "cross: missing$missing; run as root: dpkg --add-architecture arm64 && apt-get update && apt-get install$missing" >&2
        exit 1
    fi
    dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
dir=${1:-build-aarch64}
# With OpenMP, as natively: the NEON kernels' 1- vs 2-thread bit-identity
# checks run under qemu too (measured: 22 tests, flash the longest at
# 144 s, the same as without OpenMP). OpenMP used to be off here because a
# 5-line OpenMP program never finished under qemu; the cause was the mixed
# glibc that cross/aarch64-linux-gnu.ini now avoids (a plain fork() hung
# the same way).
openmp=enabled
if [ ! -d "$dir" ]; then
    meson setup "$dir" --cross-file cross/aarch64-linux-gnu.ini -Dwerror=true -Dopenmp=$openmp
fi
ninja -C "$dir"
# test_flash runs a third of its grid and two block overrides (MHA_TEST_QUICK).
export MHA_TEST_QUICK=1
# Emulation is slow: scale the timeouts. Every suite runs, conformance
# included (conformance/selftest/meson.build: under qemu the NEON
# implementations get every case, large shapes included, and the portable
# ones the stored vectors and properties; about 1.5 minutes of the run).
meson test -C "$dir" --print-errorlogs --timeout-multiplier 4
