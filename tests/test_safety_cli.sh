#!/usr/bin/env bash
# `mha` under misuse: nothing of the user's is lost, nothing runs unbounded,
# every refusal says why. Device nodes are made under a temporary folder
# with mknod (root only; skipped with a reason otherwise) or inside a
# private mount namespace; the machine's own /dev is never used.
#   usage: test_safety_cli.sh MHA_EXE SOURCE_ROOT
set -u
mha=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
# a cross build runs the program through its emulator (meson's MESON_EXE_WRAPPER)
M() { ${MESON_EXE_WRAPPER:-} "$mha" "$@"; }
pass=0
fail=0
check() { # check MESSAGE COMMAND...: the command must succeed
  local msg=$1
  shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $msg" >&2; sed 's/^/    /' out.txt >&2; fi
}
skip() { echo "SKIP: $*" >&2; }
run() { M "$@" >out.txt 2>&1; rc=$?; } # sets rc; output in out.txt
says() { grep -qF -- "$1" out.txt; }
same() { cmp -s "$1" "$2"; }
no_temporaries() { # none of the writers' temporary names in the folder (default: .)
  if ls -A "${1:-.}" | grep -E '^\.|\.tmp-|\.old-' >left.txt; then sed 's/^/    left: /' left.txt >&2; return 1; fi
}
is_root() { [ "$(id -u)" = 0 ]; }

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t" || exit 1
M example --out . --seq 256 --heads 4 >/dev/null || { echo "mha example failed"; exit 1; }
cp q.npy q.orig

echo "== outputs that are inputs or each other (refused before any work)"
run attend --q q.npy --k k.npy --v v.npy --out q.npy
check "--out naming --q" [ "$rc" = 2 ]
check "--out naming --q: message" says "--out q.npy is the same file as --q q.npy"
check "--out naming --q: q.npy intact" same q.npy q.orig
ln -s q.npy qlink
run attend --q q.npy --k k.npy --v v.npy --out qlink
check "--out through a symlink to --q refused" says "is the same file as --q"
mkdir sub
run attend --q q.npy --k k.npy --v v.npy --out x.npy --probs ./sub/../x.npy
check "--out X --probs X (not yet created)" says "are the same file"
check "nothing written" [ ! -e x.npy ]

echo "== unique temporaries"
echo mine >res.npy.tmp
run attend --q q.npy --k k.npy --v v.npy --out res.npy
check "writing res.npy" [ "$rc" = 0 ]
check "the user's res.npy.tmp is untouched" [ "$(cat res.npy.tmp)" = mine ]
check "no temporary left" no_temporaries

echo "== devices and fifos"
if is_root; then
  mknod full c 1 7 && mknod null c 1 3 && mknod zero c 1 5 && mknod urandom c 1 9
  run attend --q q.npy --k k.npy --v v.npy --out full
  check "--out on a full device fails" [ "$rc" = 1 ]
  check "--out full: ENOSPC reported" says "No space left on device"
  check "the device node is not replaced" [ -c full ]
  run attend --q q.npy --k k.npy --v v.npy --out null
  check "--out on a null device is written" [ "$rc" = 0 ]
  check "the null node stays a device" [ -c null ]
  cp res.npy res.before # --scale 0.5 would give another --out
  run attend --q q.npy --k k.npy --v v.npy --scale 0.5 --out res.npy --probs full
  check "--probs fails: --out does not land either" same res.npy res.before
  check "--probs fails: message" says "no output written"
  for dev in zero urandom; do
    start=$(date +%s%N)
    timeout 60 ${MESON_EXE_WRAPPER:-} "$mha" attend --q $dev --k k.npy --v v.npy --out o.npy >out.txt 2>&1
    rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    echo "   --q $dev: exit $rc after $ms ms"
    check "--q $dev fails with a message" says "not a .npy file"
    check "--q $dev fails fast (${ms} ms, limit 5000)" [ "$ms" -lt 5000 ]
  done
else
  skip "device nodes need root (mknod): /dev/full, /dev/null, /dev/zero and /dev/urandom targets not tested"
fi
mkfifo fifo
timeout 20 ${MESON_EXE_WRAPPER:-} "$mha" attend --q q.npy --k k.npy --v v.npy --out fifo >out.txt 2>&1
rc=$?
check "--out on a fifo without a reader: refused, not hung (exit $rc)" [ "$rc" = 1 ]
check "--out fifo: message" says "no reader"
check "the fifo stays a fifo" [ -p fifo ]
cp res.npy res.before # --scale 0.5 would give another --out
run attend --q q.npy --k k.npy --v v.npy --scale 0.5 --out res.npy --probs nofolder/p.npy
check "--probs in a missing folder: --out does not land" same res.npy res.before
check "--probs in a missing folder: message" says "--probs nofolder/p.npy"

echo "== reading only what the header promises"
# a header whose shape needs 2^41 bytes, in a 128-byte file
dict="{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576, 1, 2), }"
printf '\x93NUMPY\x01\x00\x76\x00%-117s\n' "$dict" >huge.npy
run attend --q huge.npy --k k.npy --v v.npy --out o.npy
check "a header promising 8 TB: refused before allocating" says "needs 8796093022208 data bytes, file has 0"
dict="{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4, 4), }"
printf '\x93NUMPY\x01\x00\x76\x00%-117s\n' "$dict" >neg.npy
run attend --q neg.npy --k k.npy --v v.npy --out o.npy
check "a negative dimension is called negative" says "header 'shape' has a negative entry"
# a pipe that sends a valid header and then never ends
head -c 128 q.npy >header.npy
mkfifo endless
if is_root; then
  (cat header.npy zero >endless 2>/dev/null &)
  timeout 60 ${MESON_EXE_WRAPPER:-} "$mha" attend --q endless --k k.npy --v v.npy --out o.npy >out.txt 2>&1
  check "an endless pipe after a valid header: read to the promised size, then refused" says "file has more"
fi

echo "== messages"
long=$(printf 'd%.0s' $(seq 1 250))
deep="$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/q.npy"
run attend --q "$deep" --k k.npy --v v.npy --out o.npy
check "a 3000-character path keeps its reason" says "q.npy: cannot open: No such file or directory"
run attend --q . --k k.npy --v v.npy --out o.npy
check "a folder as an input: is a directory" says "--q .: is a directory"
run attend --q q.npy --k k.npy --v v.npy --out o.npy --scale 1e-400
check "--scale 1e-400 is out of float range" says "out of float range"
run attend --q q.npy --k k.npy --v v.npy --out o.npy --scale 1e39
check "--scale 1e39 is out of float range" says "out of float range"

echo "== vectors: unreadable, a device in place of a file"
mkdir vec && cp "$src"/vectors/MANIFEST "$src"/vectors/MANIFEST.xxh3 vec/ && cp "$src"/vectors/*.npy vec/
victim=$(ls vec/*.q.npy | head -1)
chmod 755 "$t" vec && chmod 644 vec/* && chmod 000 "$victim"
if ! is_root; then
  M vectors verify --dir vec >out.txt 2>&1
elif command -v setpriv >/dev/null; then # root reads anything: verify as nobody
  setpriv --reuid=65534 --regid=65534 --clear-groups ${MESON_EXE_WRAPPER:-} "$mha" vectors verify --dir vec >out.txt 2>&1
fi
if ! is_root || command -v setpriv >/dev/null; then
  check "an unreadable file is UNREADABLE, not MISSING" says "UNREADABLE $victim: unreadable: Permission denied"
else
  skip "unreadable files: root reads every file and setpriv (to run as another user) is missing"
fi
chmod 644 "$victim"
if is_root; then
  rm "$victim" && mknod "$victim" c 1 5
  start=$(date +%s%N)
  timeout 60 ${MESON_EXE_WRAPPER:-} "$mha" vectors verify --dir vec >out.txt 2>&1
  ms=$((($(date +%s%N) - start) / 1000000))
  check "a MANIFEST file that is /dev/zero: refused (${ms} ms)" says "$victim: is not a regular file"
fi

echo "== interrupted writes leave nothing behind"
if true; then
  mkfifo slow
  sleep 60 <slow & # a reader that never reads: the 1 MB --probs blocks
  reader=$!
  ${MESON_EXE_WRAPPER:-} "$mha" attend --q q.npy --k k.npy --v v.npy --out int.npy --probs slow >out.txt 2>&1 &
  pid=$!
  for _ in $(seq 1 500); do ls -A | grep -q '^\.int\.npy\.tmp-' && break; sleep 0.01; done
  sleep 0.3
  kill -TERM "$pid"
  wait "$pid"
  rc=$?
  kill "$reader" 2>/dev/null
  check "SIGTERM during a write: exit by the signal (status $rc)" [ "$rc" = 143 ]
  check "SIGTERM during a write: no temporary left" no_temporaries
  check "SIGTERM during a write: nothing landed" [ ! -e int.npy ]
  # a reader that takes 10 bytes and goes away: SIGPIPE while --out's temporary exists
  (head -c 10 <slow >/dev/null &)
  ${MESON_EXE_WRAPPER:-} "$mha" attend --q q.npy --k k.npy --v v.npy --out int.npy --probs slow >out.txt 2>&1
  rc=$?
  # (where SIGPIPE is ignored the write fails with EPIPE instead)
  sigpipe_ended() { [ "$rc" = 141 ] || { [ "$rc" = 1 ] && says "Broken pipe"; }; }
  check "SIGPIPE during a write: exit by the signal (status $rc)" sigpipe_ended
  check "SIGPIPE during a write: no temporary left" no_temporaries
fi

echo "== mha report: --force replaces only its own files"
data=$src/bench/testdata
mkdir res && cp "$data"/sample.json res/bench.json
run report res/bench.json -o res --force
check "--force on a folder mha report did not write: refused" says "not a folder written by mha report"
check "... and the input is kept" same res/bench.json "$data"/sample.json
run report "$data"/sample.json -o rep
cp "$data"/sample.json rep/results.csv
run report rep/results.csv -o rep --force
check "an input that --force would remove: refused" says "which --force would remove"
check "... and kept" same rep/results.csv "$data"/sample.json
run report "$data"/sample.json -o rep --force
echo mine >rep/notes.txt
run report "$data"/sample.json -o rep --force
check "--force keeps a file it did not write" [ "$(cat rep/notes.txt)" = mine ]
ln -s rep replink
run report "$data"/sample.json -o replink --force
check "--force on a symlinked folder works" [ "$rc" = 0 ]
check "... leaves no .old-* or temporary folder" no_temporaries
check "... and none inside" no_temporaries rep
check "... and the link stays a link" [ -L replink ]
run report "$data"/sample.json -o unlisted
sed -i '/"README.md",/d' unlisted/manifest.json
echo "my notes" >unlisted/README.md
run report "$data"/sample.json -o unlisted --force
check "a new file that would replace an unlisted one: refused" says "does not list it"
check "... the unlisted file kept" [ "$(cat unlisted/README.md)" = "my notes" ]
check "... and no temporary folder left inside" no_temporaries unlisted
mkdir empty
run report "$data"/sample.json -o empty --force
check "--force on an empty folder writes the report" [ -f empty/README.md ]
mkdir forged && echo victim >victim && printf '{"tool": "mha report", "files": ["../victim"]}' >forged/manifest.json
run report "$data"/sample.json -o forged --force
check "a manifest listing ../victim: refused" says "not a file name"
check "... victim kept" [ "$(cat victim)" = victim ]

echo "== mha report: numbers, units, implementations, time"
point() { printf '{"name": "attn/%s/B:1/H:8/Hkv:8/Sq:%s/Skv:%s/Dh:64/causal:0/threads:%s", "real_time": %s, "time_unit": "%s"}' "$@"; }
for bad in "naive 4 4 4294967298 1 us:threads:4294967298" "naive 4 4 2 1 fortnights:\"fortnights\""; do
  IFS=: read -r args want <<<"$bad"
  # shellcheck disable=SC2086
  printf '{"benchmarks": [%s]}' "$(point $args)" >bad.json
  run report bad.json -o never
  check "report refuses $want" says "$want"
  check "... naming the file" says "bad.json: benchmark"
done
printf '{"benchmarks": [{"name": "attn/naive/B:99999999999999999999/H:8/Hkv:8/Sq:4/Skv:4/Dh:64/causal:0/threads:1", "real_time": 1}]}' >bad.json
run report bad.json -o never
check "report refuses B:99999999999999999999" says "B:99999999999999999999 is out of range"
{
  printf '{"benchmarks": ['
  for i in $(seq 1 100); do point "impl$i" 64 64 2 "$i" us; printf ','; done
  printf '{"name": "attn/impl100/B:1/H:8/Hkv:8/Sq:128/Skv:128/Dh:64/causal:0/threads:2", "error_occurred": true, "error_message": "boom"}]}'
} >many.json
run report many.json -o many
check "100 implementations: all kept" says "100 implementation column(s)"
check "... the failed point is named under its implementation" grep -q "| impl100 | S=128 H8 Dh=64 MHA T2 | boom |" many/README.md
awk 'BEGIN { printf "{\"benchmarks\": ["; n = 0
  for (s = 1; s <= 5000; s++) for (k = 0; k < 4; k++) {
    printf "%s{\"name\": \"attn/impl%d/B:1/H:8/Hkv:8/Sq:%d/Skv:%d/Dh:64/causal:0/threads:2\", \"real_time\": %d, \"time_unit\": \"us\"}", n++ ? "," : "", k, s, s, 1000 + s }
  printf "]}" }' >big.json
start=$(date +%s%N)
run report big.json -o big
ms=$((($(date +%s%N) - start) / 1000000))
echo "   20,000 runs: $ms ms"
check "20,000 runs reported" says "20000 runs"
limit=20000 # natively about 1 s; the quadratic reader took 117 s
[ -n "${MESON_EXE_WRAPPER:-}" ] && limit=200000 # an emulator is about 10 times slower
check "20,000 runs in under $limit ms (${ms} ms)" [ "$ms" -lt "$limit" ]
if true; then
  for try in 1 2 3; do
    rm -rf intr
    ${MESON_EXE_WRAPPER:-} "$mha" report big.json -o intr >/dev/null 2>&1 &
    pid=$!
    until ls -d intr.tmp-* >/dev/null 2>&1 || ! kill -0 "$pid" 2>/dev/null; do :; done
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    [ "$rc" = 143 ] && break
  done
  check "SIGTERM during mha report (status $rc)" [ "$rc" = 143 ]
  check "... leaves no intr.tmp-* folder" no_temporaries
fi

echo "== a full disk (private mount namespace)"
if is_root && unshare -m true 2>/dev/null; then
  mkdir small
  unshare -m sh -c 'mount -t tmpfs -o size=256k tmpfs small && $2 "$1" attend --q q.npy --k k.npy --v v.npy \
    --out small/o.npy --probs small/p.npy; echo "exit $?"; ls -A small' sh "$mha" "${MESON_EXE_WRAPPER:-}" >out.txt 2>&1
  check "a full disk is reported" says "No space left on device"
  check "... and leaves nothing in the folder" [ "$(tail -1 out.txt)" = "exit 1" ]
else
  skip "full disk: needs root and unshare -m for a private tmpfs"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
