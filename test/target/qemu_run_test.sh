#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# scripts/qemu-run's contract, as TAP: exit codes pass through, a timeout
# exits 124 with a message, bad usage exits 2, an unexpected trap prints a
# report and exits non-zero, and the machine options boot.
# usage: qemu_run_test.sh QEMU_RUN EXIT_ELF HANG_ELF TRAP_ELF BOOT_ELF
set -u
run=$1 exit_elf=$2 hang_elf=$3 trap_elf=$4 boot_elf=$5
n=0 bad=0
check() {  # description, command status (0 = pass)
  n=$((n + 1))
  if [[ $2 -eq 0 ]]; then echo "ok $n - $1"; else echo "not ok $n - $1"; bad=$((bad + 1)); fi
}
out=$(mktemp); trap 'rm -f "$out"' EXIT

"$run" "$exit_elf" --mem 512M >/dev/null 2>&1; rc=$?
check "main returning 3 makes qemu-run exit 3 (got $rc)" $((rc != 3))
"$run" "$exit_elf" --mem 256M >/dev/null 2>&1; rc=$?
check "main returning 7 makes qemu-run exit 7 (got $rc)" $((rc != 7))
"$run" "$exit_elf" --mem 1G --numa 2 --smp 2 >/dev/null 2>&1; rc=$?
check "main returning 5 makes qemu-run exit 5 (got $rc)" $((rc != 5))

"$run" "$hang_elf" --timeout 3 >/dev/null 2>"$out"; rc=$?
grep -q "timed out" "$out"; msg=$?
check "a hanging payload times out with 124 and a message (got $rc)" $((rc != 124 || msg != 0))

"$run" >/dev/null 2>&1; rc=$?
check "no ELF: usage and exit 2 (got $rc)" $((rc != 2))
"$run" "$exit_elf" --bogus >/dev/null 2>&1; rc=$?
check "unknown option: usage and exit 2 (got $rc)" $((rc != 2))
"$run" /nonexistent.elf >/dev/null 2>&1; rc=$?
check "missing ELF file: exit 2 (got $rc)" $((rc != 2))
"$run" "$exit_elf" --smp 9 >/dev/null 2>&1; rc=$?
check "--smp 9 is refused with exit 2 (got $rc)" $((rc != 2))

"$run" "$trap_elf" >"$out" 2>&1; rc=$?
grep -q "illegal instruction" "$out" && grep -q "sepc:" "$out" && grep -q "stval:" "$out" && grep -q "hart" "$out"; rep=$?
check "an unexpected trap prints cause, sepc, stval, hart and exits non-zero (got $rc)" $((rc == 0 || rep != 0))

for cfg in "--numa 1 --smp 1 --mem 128M" "--numa 2 --smp 4 --mem 512M" "--numa 4 --smp 8 --mem 1G" "--smp 8 --mem 16G" "--numa 2 --smp 2 --mem 4G"; do
  # shellcheck disable=SC2086
  "$run" "$boot_elf" $cfg >"$out" 2>&1; rc=$?
  check "boots with $cfg (got $rc)" $rc
done
echo "1..$n"
exit $((bad != 0))
