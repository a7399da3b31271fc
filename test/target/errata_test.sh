#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# SiFive errata keyed on the FDT, as TAP: QEMU virt with its harts'
# compatible edited to claim U74 cores turns CIP-1200's full flushes on
# (the boot log says so, test_errata sees them counted) and the pmap tests
# still pass; the HiFive Unleashed stand-in turns on CIP-1200 and CIP-453;
# the plain virt FDT keeps per-page flushes.
# usage: errata_test.sh QEMU_RUN ERRATA_ELF PMAP_ELF
set -u
run=$1 errata=$2 pmap=$3
n=0 bad=0
check() { n=$((n + 1)); if [[ $2 -eq 0 ]]; then echo "ok $n - $1"; else echo "not ok $n - $1"; bad=$((bad + 1)); fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$run" --smp 2 --mem 512M --dumpdtb "$tmp/u74.dtb" >/dev/null 2>&1
dtc -I dtb -O dtb -o "$tmp/u74.dtb" "$tmp/u74.dtb" 2>/dev/null
for c in 0 1; do fdtput -t s "$tmp/u74.dtb" /cpus/cpu@$c compatible sifive,u74-mc sifive,bullet0 riscv; done

"$run" "$errata" --smp 2 --mem 512M -- -dtb "$tmp/u74.dtb" >"$tmp/out" 2>&1; rc=$?
grep -q "erratum CIP-1200" "$tmp/out"; msg=$?
check "FDT with U74 harts: CIP-1200 on, full flushes counted (exit $rc)" $(( rc != 0 || msg != 0 ))
((rc == 0)) || grep -E "^not ok" "$tmp/out" | sed 's/^/# /'
"$run" "$pmap" --smp 2 --mem 512M -- -dtb "$tmp/u74.dtb" >"$tmp/out" 2>&1; rc=$?
grep -q "erratum CIP-1200" "$tmp/out"; msg=$?
check "FDT with U74 harts: the pmap tests pass with full flushes (exit $rc)" $(( rc != 0 || msg != 0 ))
((rc == 0)) || grep -E "^not ok" "$tmp/out" | sed 's/^/# /'
"$run" "$errata" --board hifive-unleashed --smp 3 >"$tmp/out" 2>&1; rc=$?
grep -q "erratum CIP-1200" "$tmp/out" && grep -q "erratum CIP-453" "$tmp/out"; msg=$?
check "HiFive Unleashed stand-in (FU540, U54): CIP-1200 and CIP-453 on (exit $rc)" $(( rc != 0 || msg != 0 ))
((rc == 0)) || grep -E "^not ok" "$tmp/out" | sed 's/^/# /'
"$run" "$errata" --smp 2 --mem 512M >"$tmp/out" 2>&1; rc=$?
grep -q "kmem: SiFive erratum" "$tmp/out"; msg=$?
check "plain virt FDT: no erratum, per-page flushes only (exit $rc)" $(( rc != 0 || msg == 0 ))
((rc == 0)) || grep -E "^not ok" "$tmp/out" | sed 's/^/# /'
echo "1..$n"
exit $((bad != 0))
