#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The payload SDK exactly as a user takes it: configure and install kmem to
# a prefix, build a payload out of tree with one compiler line and
# pkg-config, boot it with the installed kmem-qemu-run on 1, 2 and 4 NUMA
# nodes; then the same prefix from CMake (find_package(kmem)) and kmem as
# a meson subproject, each building and booting a payload and the
# library-mode examples/rtos.  TAP on stdout.
# usage: sdk_test.sh SOURCE_DIR PAYLOAD.c...
set -u
src=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
P=$tmp/prefix
n=0 bad=0
check() { n=$((n + 1)); if [[ $2 -eq 0 ]]; then echo "ok $n - $1"; else echo "not ok $n - $1"; bad=$((bad + 1)); fi; }

(cd "$src" && meson setup "$tmp/build-rv" --cross-file cross-riscv64.txt --prefix="$P" >"$tmp/setup.log" 2>&1 &&
  meson install -C "$tmp/build-rv" >"$tmp/install.log" 2>&1)
rc=$?; check "meson setup + install to a prefix" $rc
((rc == 0)) || { tail -20 "$tmp/setup.log" "$tmp/install.log" | sed 's/^/# /'; echo "1..$n"; exit 1; }
for f in include/kmem.h include/kmem/config.h lib/libkmem.a lib/libkmem-core.a lib/pkgconfig/kmem-core.pc lib/cmake/kmem/kmemConfig.cmake lib/cmake/kmem/kmemConfigVersion.cmake lib/cmake/kmem/riscv64-picolibc.cmake lib/pkgconfig/kmem-qemu-virt.pc bin/kmem-qemu-run lib/kmem/kmem-qemu-virt.ld \
    bin/kmem-mkimage lib/pkgconfig/kmem-qemu-sifive-u.pc lib/pkgconfig/kmem-hifive-unleashed.pc \
    lib/pkgconfig/kmem-hifive-unmatched.pc; do
  [[ -e $P/$f ]]; check "installed $f" $?
done

cd "$tmp"
for app in "${@:2}"; do
name=$(basename "$app" .c)
PKG_CONFIG_PATH=$P/lib/pkgconfig riscv64-unknown-elf-gcc "$app" -I"$src/test/lib" \
  $(PKG_CONFIG_PATH=$P/lib/pkgconfig pkg-config --cflags --libs kmem-qemu-virt) -o app.elf >build.log 2>&1
rc=$?; check "out-of-tree payload $name builds with one compiler line and pkg-config" $rc
((rc == 0)) || { sed 's/^/# /' build.log; echo "1..$n"; exit 1; }
for cfg in "--numa 1 --smp 1 --mem 256M" "--numa 2 --smp 4 --mem 512M" "--numa 4 --smp 4 --mem 1G"; do
  # shellcheck disable=SC2086
  "$P/bin/kmem-qemu-run" app.elf $cfg >run.log 2>&1
  rc=$?
  check "payload $name passes on $cfg (exit $rc)" $rc
  ((rc == 0)) || grep -E '^not ok|panic|fault' run.log | head -5 | sed 's/^/# /'
done
done
app=$2

# The same source for QEMU sifive_u, and made into an image that U-Boot
# boots on virt with both NUMA nodes.
PKG_CONFIG_PATH=$P/lib/pkgconfig riscv64-unknown-elf-gcc "$app" -I"$src/test/lib" \
  $(PKG_CONFIG_PATH=$P/lib/pkgconfig pkg-config --cflags --libs kmem-qemu-sifive-u) -o su.elf >build.log 2>&1
rc=$?; check "the payload builds with pkg-config kmem-qemu-sifive-u" $rc
"$P/bin/kmem-qemu-run" su.elf --machine sifive_u --mem 1G >run.log 2>&1
rc=$?; check "it passes on sifive_u with 5 harts and exits with its status (exit $rc)" $rc
((rc == 0)) || grep -E '^not ok|panic|fault' run.log | head -5 | sed 's/^/# /'
"$P/bin/kmem-mkimage" su.elf -o img --board hifive-unmatched >mk.log 2>&1
rc=$?; check "kmem-mkimage makes its SD-card image (exit $rc)" $rc
"$P/bin/kmem-qemu-run" su.elf --uboot --numa 2 --smp 4 --mem 512M >run.log 2>&1
rc=$?; grep -q "U-Boot 20" run.log && grep -q "2 NUMA nodes" run.log
check "through U-Boot on virt --numa 2 --smp 4 it sees both nodes and passes (exit $rc)" $(( rc != 0 || $? != 0 ))

# Library mode with one compiler line, as the README shows: examples/rtos
# (its own entry, trap vector and linker script) against kmem-core.pc.
cp -r "$src/examples/rtos" rtos &&
  riscv64-unknown-elf-gcc rtos/*.c rtos/entry.S -T rtos/rtos.ld \
    $(PKG_CONFIG_PATH=$P/lib/pkgconfig pkg-config --cflags --libs kmem-core) \
    -nostartfiles -o rtos.elf >build.log 2>&1
rc=$?; check "pkg-config: examples/rtos builds against kmem-core with one compiler line" $rc
((rc == 0)) || tail -10 build.log | sed 's/^/# /'
"$P/bin/kmem-qemu-run" rtos.elf --numa 2 --smp 4 --mem 512M >run.log 2>&1
rc=$?; check "pkg-config examples/rtos passes on --numa 2 --smp 4 (exit $rc)" $rc
((rc == 0)) || grep -E 'FAIL|panic|fault|\*\*\*' run.log | head -5 | sed 's/^/# /'

# CMake, as RTOS builds use it: the installed toolchain file and
# find_package(kmem); a payload with kmem::kmem and examples/rtos (library
# mode, its own entry and linker script) with kmem::core.
cmake -DCMAKE_TOOLCHAIN_FILE="$P/lib/cmake/kmem/riscv64-picolibc.cmake" \
  -DCMAKE_PREFIX_PATH="$P" -DAPP="$app" -DTAP_DIR="$src/test/lib" \
  -DRTOS_DIR="$src/examples/rtos" -S "$src/test/sdk/cmake" -B cmake >cmake.log 2>&1 &&
  cmake --build cmake >>cmake.log 2>&1
rc=$?; check "CMake: find_package(kmem) builds a payload (kmem::kmem) and examples/rtos (kmem::core)" $rc
((rc == 0)) || tail -10 cmake.log | sed 's/^/# /'
boot() {  # what, elf, qemu-run options...
  local what=$1 elf=$2; shift 2
  "$P/bin/kmem-qemu-run" "$elf" "$@" >run.log 2>&1
  local rc=$?
  check "$what boots and passes on $* (exit $rc)" $rc
  ((rc == 0)) || grep -E '^not ok|FAIL|panic|fault' run.log | head -5 | sed 's/^/# /'
}
boot "CMake payload" cmake/app.elf --numa 1 --smp 1 --mem 256M
boot "CMake examples/rtos" cmake/rtos.elf --numa 2 --smp 4 --mem 512M

# meson: kmem as a subproject, from a clean export of the source (HEAD),
# with kmem_dep and kmem_core_dep; only the consumer's targets are built.
mkdir -p msub/subprojects/kmem && cp "$src"/test/sdk/subproject/meson* msub/ &&
  if git -C "$src" rev-parse --verify -q HEAD >/dev/null; then
    git -C "$src" archive HEAD | tar -x -C msub/subprojects/kmem
  else
    (cd "$src" && tar -c --exclude=./build . ) | tar -x -C msub/subprojects/kmem
  fi &&
  (cd msub && meson setup build --cross-file subprojects/kmem/cross-riscv64.txt \
    -Dapp="$app" -Dtap_dir="$src/test/lib" -Drtos_dir="$src/examples/rtos" &&
    ninja -C build app.elf rtos.elf) >msub.log 2>&1
rc=$?; check "meson subproject: kmem_dep and kmem_core_dep build a payload and examples/rtos" $rc
((rc == 0)) || tail -10 msub.log | sed 's/^/# /'
boot "meson-subproject payload" msub/build/app.elf --numa 1 --smp 1 --mem 256M
boot "meson-subproject examples/rtos" msub/build/rtos.elf --numa 1 --smp 1 --mem 128M
echo "1..$n"
exit $((bad != 0))
