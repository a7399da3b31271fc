#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The two libraries one install gives: libkmem-core.a (library mode: src/
# only) must define no _start, no trap vector and no md_* hook, so that an
# RTOS that owns boot links it without clashes; libkmem.a (payload mode)
# must hold one definition of each symbol, and a payload must link against
# all of it at once (--whole-archive: a duplicate is a link error).  TAP.
# usage: libs_test.sh LIBKMEM_CORE.a LIBKMEM.a LINKER_SCRIPT INCLUDE_DIR...
set -u
core=$1 full=$2 ld=$3; shift 3
inc=(); for d in "$@"; do inc+=(-I"$d"); done
NM=riscv64-unknown-elf-nm CC=riscv64-unknown-elf-gcc
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0 bad=0
check() { n=$((n + 1)); if [[ $2 -eq 0 ]]; then echo "ok $n - $1"; else echo "not ok $n - $1"; bad=$((bad + 1)); fi; }
defined() { "$NM" -g --defined-only "$1" 2>/dev/null | awk 'NF == 3 { print $3 }'; }

defined "$core" >"$tmp/core.syms"
[[ -s $tmp/core.syms ]]; check "libkmem-core.a has symbols" $?
grep -qx kmem_startup "$tmp/core.syms" && grep -qx kmem_fault_handle "$tmp/core.syms"
check "libkmem-core.a defines kmem_startup and kmem_fault_handle" $?
for pat in '_start' 'kmem_trap_vector' 'kmem_secondary_entry' 'md_.*' 'riscv_.*'; do
  hits=$(grep -x -- "$pat" "$tmp/core.syms" | head -3 | tr '\n' ' ')
  [[ -z $hits ]]; check "libkmem-core.a defines no $pat ${hits:+(has: $hits)}" $?
done
"$NM" -u "$core" | awk '{ print $2 }' | grep -q '^md_panic$'
check "libkmem-core.a leaves the md_* hooks to its user (md_panic undefined)" $?

for lib in "$core" "$full"; do
  dups=$(defined "$lib" | sort | uniq -d | head -5 | tr '\n' ' ')
  [[ -z $dups ]]; check "$(basename "$lib"): each symbol defined once ${dups:+(twice: $dups)}" $?
done

printf 'int main(void) { return 0; }\n' >"$tmp/min.c"
$CC --specs=picolibc.specs -march=rv64gc -mabi=lp64d -mcmodel=medany -nostartfiles \
  "${inc[@]}" "$tmp/min.c" -Wl,--no-gc-sections -Wl,--whole-archive "$full" -Wl,--no-whole-archive \
  -T"$ld" -o "$tmp/min.elf" >"$tmp/link.log" 2>&1
rc=$?; check "a payload links all of libkmem.a (--whole-archive) without duplicates" $rc
((rc == 0)) || sed 's/^/# /' "$tmp/link.log" | head -10
echo "1..$n"
exit $((bad != 0))
