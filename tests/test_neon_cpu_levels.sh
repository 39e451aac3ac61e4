#!/usr/bin/env bash
# The AArch64 low-precision kernels under qemu-user CPUs with and without
# their features (cross build only): flash_neonbf16 needs FEAT_BF16
# (HWCAP2_BF16). qemu 7.2's -cpu max has BF16 and FHM; cortex-a57
# (Armv8.0) has neither.
#   -cpu max:        mha check runs flash_neonbf16 on the stored bf16
#                    vectors, and they pass; checkasm checks its kernels
#   -cpu cortex-a57: mha check's level loop skips flash_neonbf16 at every
#                    level ("CPU lacks neon_bf16") while flash_neon still
#                    passes the bf16 vectors (widened to fp32); checkasm
#                    lists the flash_bf16 table as skipped; mha attend
#                    --impl flash_neonbf16 is refused with the reason
#   usage: test_neon_cpu_levels.sh MHA_EXE CHECKASM_EXE VECTORS_DIR
# MESON_EXE_WRAPPER (cross/aarch64-linux-gnu.ini) starts with the qemu
# binary; -cpu NAME goes right after it.
set -u
mha=$1
checkasm=$2
vec=$3/bf16_gqa_h8_kv2_d64 # a stored bf16 case: q, k, v as '<u2' bf16 bits
read -r -a wrapper <<<"${MESON_EXE_WRAPPER:-}"
case "${wrapper[0]:-}" in
*qemu-aarch64*) ;;
*) echo "SKIP: needs the cross build's qemu-aarch64 exe wrapper (MESON_EXE_WRAPPER='${MESON_EXE_WRAPPER:-}')"; exit 77 ;;
esac
on_cpu() { # on_cpu CPU PROGRAM ARGS...: output in out.txt, status in rc
  local cpu=$1
  shift
  "${wrapper[0]}" -cpu "$cpu" "${wrapper[@]:1}" "$@" >"$t/out.txt" 2>&1
  rc=$?
}
fail=0
expect() { # expect MESSAGE TEXT: out.txt must hold TEXT
  if ! grep -qF -- "$2" "$t/out.txt"; then
    echo "FAIL: $1: no line with '$2' in:" >&2
    sed 's/^/    /' "$t/out.txt" >&2
    fail=1
  fi
}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

on_cpu max "$mha" check --impl flash_neonbf16 --no-large --case 'bf16_*'
[ "$rc" = 0 ] || { echo "FAIL: -cpu max: mha check exit $rc" >&2; fail=1; }
expect "-cpu max: flash_neonbf16 runs and passes" "flash_neonbf16@neon: pass"
on_cpu max "$checkasm" --test 'flash_bf16.*'
[ "$rc" = 0 ] || { echo "FAIL: -cpu max: checkasm exit $rc" >&2; fail=1; }
expect "-cpu max: checkasm checks the 5 BFDOT kernels" "checkasm: 5 kernels checked, 0 failed"

on_cpu cortex-a57 "$mha" check --impl flash_neonbf16,flash_neon --no-large --case 'bf16_*'
[ "$rc" = 0 ] || { echo "FAIL: -cpu cortex-a57: mha check exit $rc" >&2; fail=1; }
expect "-cpu cortex-a57: refused at the baseline level" "flash_neonbf16@baseline: skipped, not runnable at level baseline: CPU lacks neon_bf16"
expect "-cpu cortex-a57: refused at the neon level" "flash_neonbf16@neon: skipped, not runnable at level neon: CPU lacks neon_bf16"
expect "-cpu cortex-a57: flash_neon widens bf16" "flash_neon@neon: pass"
on_cpu cortex-a57 "$checkasm" --test 'flash_*'
[ "$rc" = 0 ] || { echo "FAIL: -cpu cortex-a57: checkasm exit $rc" >&2; fail=1; }
expect "-cpu cortex-a57: checkasm skips the BFDOT table" "skipped: CPU lacks neon_bf16"
on_cpu cortex-a57 "$mha" attend --impl flash_neonbf16 --dtype bf16 --q "$vec.q.npy" --k "$vec.k.npy" --v "$vec.v.npy" \
    --out "$t/o.npy"
[ "$rc" != 0 ] || { echo "FAIL: -cpu cortex-a57: mha attend --impl flash_neonbf16 exit 0" >&2; fail=1; }
expect "-cpu cortex-a57: mha attend refuses flash_neonbf16" "cannot run here: CPU lacks neon_bf16"
[ ! -e "$t/o.npy" ] || { echo "FAIL: -cpu cortex-a57: a refused mha attend wrote its output" >&2; fail=1; }
sed -n 1,3p "$t/out.txt"
[ "$fail" = 0 ] && echo "ok: flash_neonbf16 runs under -cpu max and is refused under -cpu cortex-a57"
exit "$fail"
