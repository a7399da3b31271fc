#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# check_counters.sh LIB BIN...: libFuzzer sees src/.  Every src/ object of
# LIB (the library the fuzz targets link) carries SanitizerCoverage's inline
# 8-bit counters (section __sancov_cntrs), and each fuzz binary counts far
# more of them than its harness object has.  TAP.
set -u
lib=$1; shift
n=0 bad=0
check() {  # status, description
  n=$((n + 1))
  if [[ $1 -eq 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; bad=1; fi
}
members=$(readelf -S --wide "$lib" | awk '
  /^File: / { m = $2 }
  /__sancov_cntrs/ { c[m] = 1 }
  END { for (k in c) print k }')
for f in vm_kern vmem vm_phys vm_page pmap vm_map vm_domainset fdt physmem; do
  echo "$members" | grep -q "_$f\.c\.o)\?$\|/$f\.c\.o\|$f\.c\.o" ; check $? "src/$f.c in $(basename "$lib") has coverage counters"
done
for b in "$@"; do
  # libFuzzer's own count, against the harness object's share of it.
  cnt=$("$b" -runs=0 2>&1 </dev/null | sed -n 's/.*(\([0-9]*\) inline 8-bit counters).*/\1/p' | head -1)
  own=$(readelf -S --wide "$b.p/$(basename "$b").c.o" 2>/dev/null | sed 's/^ *\[ *[0-9]*\]//' | awk '$1 == "__sancov_cntrs" { print $5 }' | head -1)
  own=$((16#${own:-0}))
  [[ ${cnt:-0} -gt $((${own:-0} + 500)) ]]
  check $? "$(basename "$b"): ${cnt:-0} inline 8-bit counters, ${own:-?} of them the harness's: the rest are src/'s"
done
echo "1..$n"
exit $bad
