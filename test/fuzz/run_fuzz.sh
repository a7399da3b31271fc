#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# run_fuzz.sh BIN CORPUS SECONDS [libFuzzer options...]: run a libFuzzer
# target for SECONDS from a copy of CORPUS (the tree is never written) with
# a fresh random seed, printed first (KMEM_FUZZ_SEED=N repeats a run).
# Exit status: libFuzzer's (0: no finding).  A finding is kept in
# $KMEM_FUZZ_FINDINGS (default: a temporary directory, printed).
set -u
bin=$1 corpus=$2 secs=$3
shift 3
seed=${KMEM_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
work=$(mktemp -d)
findings=${KMEM_FUZZ_FINDINGS:-$work/findings}
mkdir -p "$work/corpus" "$findings"
[[ -d $corpus ]] && cp -r "$corpus/." "$work/corpus/"
echo "fuzz $(basename "$bin"): seed $seed, ${secs}s, corpus $corpus ($(ls "$work/corpus" | wc -l) inputs)"
"$bin" -seed="$seed" -max_total_time="$secs" -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$findings/" "$@" "$work/corpus" 2>&1 |
  grep -E '^(#[0-9]+ +DONE|stat::|==[0-9]+==|SUMMARY|INFO: (Loaded|seed)|artifact_prefix|Test unit written|.*(ERROR|panic|Assertion|abort))' | head -40
rc=${PIPESTATUS[0]}
if ((rc != 0)); then
  echo "fuzz $(basename "$bin"): FINDING (exit $rc, seed $seed) kept in $findings"
  [[ -z ${KMEM_FUZZ_FINDINGS:-} ]] && trap - EXIT
else
  rm -rf "$work"
fi
exit "$rc"
