#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A payload whose failure is the expected outcome, as TAP: it must exit with
# exactly CODE (97 fault, 98 panic, 124 timeout, 1 failed check) and print
# a line containing LINE, so a QEMU that never started cannot pass.
# usage: expect_exit.sh QEMU_RUN CODE LINE ELF [qemu-run options...]
set -u
run=$1 code=$2 line=$3 elf=$4
shift 4
out=$(mktemp); trap 'rm -f "$out"' EXIT
"$run" "$elf" "$@" >"$out" 2>&1; rc=$?
sed 's/^/# /' "$out" | tail -20
bad=0
if [[ $rc -eq $code ]]; then
  echo "ok 1 - $(basename "$elf") exits $code"
else
  echo "not ok 1 - $(basename "$elf") exits $code (got $rc)"; bad=1
fi
if grep -qF -- "$line" "$out"; then
  echo "ok 2 - its output says: $line"
else
  echo "not ok 2 - its output lacks: $line"; bad=1
fi
echo "1..2"
exit $bad
