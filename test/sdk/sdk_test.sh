#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The payload SDK exactly as a user takes it: configure and install kmem to
# a prefix, build a payload out of tree with one compiler line and
# pkg-config, boot it with the installed kmem-qemu-run on 1, 2 and 4 NUMA
# nodes.  TAP on stdout.
# usage: sdk_test.sh SOURCE_DIR PAYLOAD.c
set -u
src=$1 app=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
P=$tmp/prefix
n=0 bad=0
check() { n=$((n + 1)); if [[ $2 -eq 0 ]]; then echo "ok $n - $1"; else echo "not ok $n - $1"; bad=$((bad + 1)); fi; }

(cd "$src" && meson setup "$tmp/build-rv" --cross-file cross-riscv64.txt --prefix="$P" >"$tmp/setup.log" 2>&1 &&
  meson install -C "$tmp/build-rv" >"$tmp/install.log" 2>&1)
rc=$?; check "meson setup + install to a prefix" $rc
((rc == 0)) || { tail -20 "$tmp/setup.log" "$tmp/install.log" | sed 's/^/# /'; echo "1..$n"; exit 1; }
for f in include/kmem.h include/kmem/config.h lib/libkmem.a lib/libkmem-core.a lib/pkgconfig/kmem-core.pc lib/pkgconfig/kmem-qemu-virt.pc bin/kmem-qemu-run lib/kmem/kmem-qemu-virt.ld; do
  [[ -e $P/$f ]]; check "installed $f" $?
done

cd "$tmp"
PKG_CONFIG_PATH=$P/lib/pkgconfig riscv64-unknown-elf-gcc "$app" -I"$src/test/lib" \
  $(PKG_CONFIG_PATH=$P/lib/pkgconfig pkg-config --cflags --libs kmem-qemu-virt) -o app.elf >build.log 2>&1
rc=$?; check "out-of-tree payload builds with one compiler line and pkg-config" $rc
((rc == 0)) || { sed 's/^/# /' build.log; echo "1..$n"; exit 1; }
for cfg in "--numa 1 --smp 1 --mem 256M" "--numa 2 --smp 4 --mem 512M" "--numa 4 --smp 4 --mem 1G"; do
  # shellcheck disable=SC2086
  "$P/bin/kmem-qemu-run" app.elf $cfg >run.log 2>&1
  rc=$?
  check "payload passes on $cfg (exit $rc)" $rc
  ((rc == 0)) || grep -E '^not ok|panic|fault' run.log | head -5 | sed 's/^/# /'
done
echo "1..$n"
exit $((bad != 0))
