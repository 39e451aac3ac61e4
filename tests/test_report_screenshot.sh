#!/bin/sh
# report.html of the samples in Debian's headless Chromium: the browser's DOM
# holds every plot as an <svg> element, and a screenshot tall enough for the
# whole page is written to SCRATCH/report.png (look at it: every plot should
# read at a glance). Skipped, with the reason, where Chromium is missing or
# cannot start.
# usage: test_report_screenshot.sh MHA_EXE TESTDATA_DIR SCRATCH_DIR
set -u
mha=$1 data=$2 scratch=$3
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "SKIP: chromium is not installed (tools/debian-packages.txt lists it)"
  exit 77
fi
rm -rf "$scratch" && mkdir -p "$scratch" || exit 1
${MESON_EXE_WRAPPER:-} "$mha" report "$data/sample.json" "$data/sample_arm.json" "$data/sample_causal.json" \
  "$data/sample_breakdown.json" "$data/sample_run_info.json" -o "$scratch/report" || { echo "FAIL: mha report"; exit 1; }
# Chromium's sandbox refuses to start as root; HOME keeps its profile inside the scratch folder.
sandbox=
[ "$(id -u)" = 0 ] && sandbox=--no-sandbox
width=1280 height=16000
run_browser() {
  HOME="$scratch" timeout 120 "$browser" --headless --disable-gpu --hide-scrollbars $sandbox "$@" \
    "file://$(cd "$scratch/report" && pwd)/report.html" 2>"$scratch/chromium.log"
}
if ! run_browser --dump-dom >"$scratch/dom.html"; then
  echo "SKIP: chromium cannot run here: $(grep -v dbus "$scratch/chromium.log" | tail -n 1)"
  exit 77
fi
plots=$(grep -c '\.svg"' "$scratch/report/manifest.json")
svgs=$(grep -o '<svg' "$scratch/dom.html" | wc -l)
failed=0
if [ "$svgs" -ne "$plots" ] || [ "$plots" -lt 9 ]; then
  echo "FAIL: the browser's DOM has $svgs <svg> elements, the manifest $plots plots"
  failed=1
fi
run_browser --window-size=$width,$height --screenshot="$scratch/report.png" >/dev/null
# PNG: the signature, then the IHDR chunk with width and height (big-endian) at bytes 16 to 23
size=$(od -An -tu1 -j16 -N8 "$scratch/report.png" 2>/dev/null | awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}')
if [ "$(od -An -c -j1 -N3 "$scratch/report.png" 2>/dev/null | tr -d ' ')" != PNG ] || [ "$size" != "$width $height" ]; then
  echo "FAIL: $scratch/report.png is not a ${width}x$height PNG (got '$size')"
  failed=1
fi
[ $failed = 0 ] && echo "report.html: $svgs plots in the DOM; screenshot $scratch/report.png (${width}x$height)"
exit $failed
