#!/bin/bash
# mha list: every implementation of `mha list --names` has a row, and every
# row's cells start under their column's header (widths follow the widest cell).
# usage: test_list_cli.sh MHA   (a cross build's MESON_EXE_WRAPPER runs it)
set -u
mha=$1
read -r -a wrapper <<< "${MESON_EXE_WRAPPER:-}"
set -- "${wrapper[@]}"
out=$("$@" "$mha" list) || { echo "mha list failed"; exit 1; }
header=$(printf '%s\n' "$out" | grep '^name ')
[ -n "$header" ] || { echo "no header line in: $out"; exit 1; }
# The start column of each header word.
col() { local prefix=${header%%"$1"*}; echo ${#prefix}; }
c_isa=$(col "isa"); c_dtypes=$(col "dtypes"); c_runs=$(col "runs here"); c_caps=$(col "capabilities")
rows=$(printf '%s\n' "$out" | sed -n '/^name /,$p' | tail -n +2)
fail=0
while IFS= read -r line; do
  name=${line%% *}
  for c in $c_isa $c_dtypes $c_runs $c_caps; do
    # a cell starts where the column starts: a space before it, a non-space at it
    if [ "${line:c-1:1}" != " " ] || [ "${line:c:1}" = " " ]; then
      echo "row $name: no cell starts at column $c: '$line'"; fail=1
    fi
  done
  case "${line:c_runs:3}" in yes|no:) ;; *) echo "row $name: runs-here cell is '${line:c_runs:10}'"; fail=1 ;; esac
done <<< "$rows"
for n in $("$@" "$mha" list --names); do
  printf '%s\n' "$rows" | grep -q "^$n " || { echo "runnable $n has no row"; fail=1; }
done
[ $fail = 0 ] && echo "mha list: $(printf '%s\n' "$rows" | wc -l) rows aligned under 5 headers"
exit $fail
