#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A payload that must fail: boot it, and check both that it exits non-zero
# (and not by a timeout) and that its output has a line matching PATTERN.
# TAP on stdout.  usage: expect_fail.sh ELF PATTERN [qemu-run options...]
set -u
elf=$1 pat=$2; shift 2
out=$(kmem-qemu-run "$elf" "$@" 2>&1)
rc=$?
n=0 bad=0
check() { n=$((n + 1)); if [[ $2 -eq 0 ]]; then echo "ok $n - $1"; else echo "not ok $n - $1"; bad=$((bad + 1)); fi; }
[[ $rc -ne 0 && $rc -ne 124 ]]; check "$(basename "$elf") exits non-zero, not by timeout (exit $rc)" $?
line=$(grep -E -m1 -- "$pat" <<<"$out")
[[ -n $line ]]; check "its output says so: ${line:-no line matches /$pat/}" $?
((bad == 0)) || tail -5 <<<"$out" | sed 's/^/# /'
echo "1..$n"
exit $((bad != 0))
