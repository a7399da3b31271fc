#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# How a run ends, on QEMU virt and sifive_u, as TAP: main's 0 and 3 and a
# panic's 98 come back as QEMU's exit status on both machines, also for a
# panic before the FDT is parsed (an FDT that fdt_parse rejects); on virt
# without the semihosting flag the test finisher carries the code.
# usage: exit_test.sh QEMU_RUN BOOT_ELF EXIT_ELF PANIC_ELF
set -u
run=$1 boot_elf=$2 exit_elf=$3 panic_elf=$4
n=0 bad=0
check() { n=$((n + 1)); if [[ $2 -eq 0 ]]; then echo "ok $n - $1"; else echo "not ok $n - $1"; bad=$((bad + 1)); fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

for m in virt sifive_u; do
  smp=2; [[ $m == virt ]] && smp=1
  "$run" "$boot_elf" --machine $m --smp $smp --timeout 60 >"$tmp/out" 2>&1; rc=$?
  check "$m: main returning 0 exits 0 (got $rc)" $((rc != 0))
  "$run" "$exit_elf" --machine $m --smp $smp --mem 512M --timeout 60 >"$tmp/out" 2>&1; rc=$?
  check "$m: main returning 3 exits 3 (got $rc)" $((rc != 3))
  "$run" "$panic_elf" --machine $m --smp $smp --timeout 60 >"$tmp/out" 2>&1; rc=$?
  grep -q "kmem panic" "$tmp/out"; msg=$?
  check "$m: a panic exits 98 with its report (got $rc)" $((rc != 98 || msg != 0))
  # A numa-node-id past MAXMEMDOM: fdt_parse rejects the FDT at boot.
  "$run" --machine $m --smp $smp --mem 512M --dumpdtb "$tmp/$m.dtb" >/dev/null 2>&1
  fdtput -t i "$tmp/$m.dtb" /memory@80000000 numa-node-id 200
  "$run" "$exit_elf" --machine $m --smp $smp --mem 512M --timeout 60 -- -dtb "$tmp/$m.dtb" >"$tmp/out" 2>&1; rc=$?
  grep -q "rejected" "$tmp/out"; msg=$?
  check "$m: a panic before the FDT is parsed exits 98 (got $rc)" $((rc != 98 || msg != 0))
done
# No semihosting flag in /chosen/bootargs: virt's test finisher ends the run.
"$run" "$exit_elf" --mem 512M --timeout 60 -- -append "" >"$tmp/out" 2>&1; rc=$?
check "virt without semihosting: the test finisher carries 3 (got $rc)" $((rc != 3))
"$run" "$panic_elf" --timeout 60 -- -append "" >"$tmp/out" 2>&1; rc=$?
check "virt without semihosting: a panic exits 98 through the finisher (got $rc)" $((rc != 98))
echo "1..$n"
exit $((bad != 0))
