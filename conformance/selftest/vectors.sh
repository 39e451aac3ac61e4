#!/usr/bin/env bash
# The golden vectors: regenerating them is byte-identical (twice into fresh
# directories, and against the committed ones); generate refuses to
# overwrite without --force; one flipped byte in any file, a missing file or
# an edited manifest makes `mha vectors verify` and `mha check` name it and fail.
#   usage: vectors.sh MHA SOURCE_VECTORS_DIR
set -uo pipefail
mha=$1 committed=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

"$mha" vectors generate --dir "$tmp/a" >/dev/null || bad "generate into $tmp/a"
"$mha" vectors generate --dir "$tmp/b" >/dev/null || bad "generate into $tmp/b"
if diff -r "$tmp/a" "$tmp/b" >/dev/null; then ok "two generations are byte-identical"; else bad "two generations differ"; fi
if diff -r -x '.*' -x README.md "$tmp/a" "$committed" >"$tmp/diff.txt"; then
  ok "generation matches the committed vectors byte for byte"
else
  bad "generation differs from the committed vectors in $committed:"; head -20 "$tmp/diff.txt"
fi
"$mha" vectors verify --dir "$committed" >/dev/null && ok "verify: committed vectors intact" || bad "verify committed"

if "$mha" vectors generate --dir "$tmp/a" >"$tmp/out.txt" 2>&1; then bad "generate overwrote without --force"
elif grep -q -- "--force" "$tmp/out.txt"; then ok "generate refuses to overwrite without --force"
else bad "refusal does not mention --force: $(cat "$tmp/out.txt")"; fi
"$mha" vectors generate --dir "$tmp/a" --force >/dev/null && ok "generate --force overwrites" || bad "generate --force"

# flip one byte in the middle of one file of each role
for f in mask_neg_inf.q.npy gqa_h8_kv2.k.npy nan_v.v.npy mask_full_rows.mask.npy seqlen_s17.out.npy decode_kv64.probs.npy; do
  rm -rf "$tmp/c"; cp -r "$tmp/a" "$tmp/c"
  size=$(stat -c %s "$tmp/c/$f"); off=$((size / 2))
  byte=$(od -An -tu1 -j "$off" -N1 "$tmp/c/$f" | tr -d ' ')
  printf "$(printf '\\%03o' $(((byte ^ 1) & 255)))" | dd of="$tmp/c/$f" bs=1 seek="$off" conv=notrunc status=none
  id=${f%%.*}
  if "$mha" vectors verify --dir "$tmp/c" >"$tmp/v.txt" 2>&1; then bad "verify missed a flipped byte in $f"
  elif grep -q "CORRUPTED  $tmp/c/$f" "$tmp/v.txt"; then ok "verify names $f after one flipped byte"
  else bad "verify did not name $f: $(cat "$tmp/v.txt")"; fi
  if "$mha" check --impl naive --level baseline --case "$id" --vectors "$tmp/c" >"$tmp/k.txt" 2>&1; then bad "check missed a flipped byte in $f"
  elif grep -q "$tmp/c/$f: corrupted" "$tmp/k.txt"; then ok "check names $f and fails"
  else bad "check did not name $f: $(cat "$tmp/k.txt")"; fi
done

rm -rf "$tmp/c"; cp -r "$tmp/a" "$tmp/c"; rm "$tmp/c/heads_h4.v.npy"
if "$mha" vectors verify --dir "$tmp/c" >"$tmp/v.txt" 2>&1; then bad "verify missed a missing file"
elif grep -q "MISSING    $tmp/c/heads_h4.v.npy" "$tmp/v.txt"; then ok "verify names a missing file"
else bad "verify did not name the missing file: $(cat "$tmp/v.txt")"; fi

rm -rf "$tmp/c"; cp -r "$tmp/a" "$tmp/c"; sed -i '/id=scale_0p3 /s/ seed=/ seed=1/' "$tmp/c/MANIFEST"
if "$mha" vectors verify --dir "$tmp/c" >"$tmp/v.txt" 2>&1; then bad "verify missed an edited MANIFEST"
elif grep -q "MANIFEST: corrupted or edited" "$tmp/v.txt"; then ok "verify names an edited MANIFEST"
else bad "verify did not name MANIFEST: $(cat "$tmp/v.txt")"; fi
if "$mha" check --impl naive --case tiny_1x1_d1 --vectors "$tmp/c" >"$tmp/k.txt" 2>&1; then bad "check accepted an edited MANIFEST"
else ok "check refuses an edited MANIFEST"; fi

# stale: a manifest whose record and hash are self-consistent but not what the generator makes
rm -rf "$tmp/c"; cp -r "$tmp/a" "$tmp/c"; sed -i '/id=scale_0p3 /s/ seed=/ seed=1/' "$tmp/c/MANIFEST"
hash=$("$mha" vectors verify --dir "$tmp/c" 2>&1 | sed -n 's/.*XXH3-128 is \([0-9a-f]*\),.*/\1/p')
printf '%s  MANIFEST\n' "$hash" >"$tmp/c/MANIFEST.xxh3"
if "$mha" vectors verify --dir "$tmp/c" >"$tmp/v.txt" 2>&1; then bad "verify missed a stale record"
elif grep -q "STALE      case scale_0p3" "$tmp/v.txt"; then ok "verify names a stale case record"
else bad "verify did not name the stale case: $(cat "$tmp/v.txt")"; fi

size=$(du -sb "$committed" | cut -f1)
if [ "$size" -lt $((32 * 1024 * 1024)) ]; then ok "vectors take $size bytes (< 32 MB)"; else bad "vectors take $size bytes (>= 32 MB)"; fi
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
