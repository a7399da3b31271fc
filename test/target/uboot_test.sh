#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The path from a payload to a HiFive board, every step QEMU can run, as
# TAP: kmem-mkimage's outputs checked field by field (the Image header, the
# FIT, the GPT of sdcard.img, the FAT boot partition) and its refusals;
# the U-Boot chains on virt --numa 2 --smp 4 (extlinux + booti, boot.scr +
# booti, FIT + bootm, and sdcard.img's boot partition), each running a
# payload that checks its nodes, distances and boot hart; U-Boot on
# sifive_u; kmem-qemu-run's sifive_u refusals.
# usage: uboot_test.sh QEMU_RUN MKIMAGE HANDOFF_ELF BOOT_ELF
set -u
run=$1 mkimg=$2 handoff=$3 boot_elf=$4
n=0 bad=0
check() { n=$((n + 1)); if [[ $2 -eq 0 ]]; then echo "ok $n - $1"; else echo "not ok $n - $1"; bad=$((bad + 1)); fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
hex() { od -An -tx1 -j"$2" -N"$3" "$1" | tr -d ' \n'; }          # file, offset, bytes
le() { od -An -tu"$3" -j"$2" -N"$3" "$1" | tr -d ' \n'; }         # file, offset, size: little-endian value

"$mkimg" "$handoff" -o "$tmp/img" --board hifive-unmatched >"$tmp/out" 2>&1; rc=$?
check "kmem-mkimage writes an image directory (exit $rc)" $rc
((rc == 0)) || sed "s/^/# /" "$tmp/out"
for f in kmem.bin kmem.itb boot.scr extlinux/extlinux.conf boot.vfat sdcard.img; do
  [[ -s $tmp/img/$f ]]; check "it holds $f" $?
done

# The RISC-V Image header, field by field.
bin=$tmp/img/kmem.bin
code0=$(le "$bin" 0 4)
imm=$(( ((code0 >> 31) & 1) << 20 | ((code0 >> 12) & 0xff) << 12 | ((code0 >> 20) & 1) << 11 | ((code0 >> 21) & 0x3ff) << 1 ))
check "code0 is a jal x0 past the 64-byte header (0x$(printf %x "$code0"), +$imm)" $(( (code0 & 0xfff) != 0x06f || imm < 64 ))
check "code1 is 0" $(( $(le "$bin" 4 4) != 0 ))
check "text_offset is 0x200000" $(( $(le "$bin" 8 8) != 0x200000 ))
size=$(le "$bin" 16 8)
want=$(riscv64-unknown-elf-nm "$handoff" | awk '/ __kmem_image_size$/ { print $1 }')
check "image_size is the whole image with .bss ($size >= file $(stat -c %s "$bin"))" $(( size != 0x$want || size < $(stat -c %s "$bin") ))
check "flags are 0 (little endian)" $(( $(le "$bin" 24 8) != 0 ))
check "version is 0.2" $(( $(le "$bin" 32 4) != 2 ))
check "res1, res2 are 0" $(( $(le "$bin" 36 4) != 0 || $(le "$bin" 40 8) != 0 ))
[[ $(hex "$bin" 48 8) == 5249534356000000 ]]; check "magic is \"RISCV\\0\\0\\0\"" $?
[[ $(hex "$bin" 56 4) == 52534305 ]]; check "magic2 is \"RSC\\x05\"" $?
check "res3 is 0" $(( $(le "$bin" 60 4) != 0 ))

# The FIT and the script.
dumpimage -l "$tmp/img/kmem.itb" >"$tmp/fit" 2>&1
grep -q "Hash algo: *sha256" "$tmp/fit" && grep -q "Load Address: *0x80200000" "$tmp/fit" && grep -q "Entry Point: *0x80200000" "$tmp/fit"
check "kmem.itb: a FIT with a sha256 hash, loaded and entered at 0x80200000" $?
dumpimage -l "$tmp/img/boot.scr" 2>&1 | grep -q "Script"; check "boot.scr is a U-Boot script image" $?
grep -q "^[[:space:]]*kernel /kmem.bin" "$tmp/img/extlinux/extlinux.conf"; check "extlinux.conf boots /kmem.bin" $?
mdir -i "$tmp/img/boot.vfat" -/ -b :: >"$tmp/fat" 2>&1
grep -q "::/kmem.bin" "$tmp/fat" && grep -q "::/kmem.itb" "$tmp/fat" && grep -q "::/boot.scr" "$tmp/fat" && grep -q "::/extlinux/extlinux.conf" "$tmp/fat"
check "boot.vfat holds kmem.bin, kmem.itb, boot.scr, extlinux/extlinux.conf" $?

# The GPT of sdcard.img, field by field.
img=$tmp/img/sdcard.img
gpt() {  # partition, type GUID, first, last, attributes
  local i; i=$(sgdisk -i "$1" "$img" 2>/dev/null)
  grep -q "Partition GUID code: $2" <<<"$i" && grep -q "First sector: $3 " <<<"$i" &&
    grep -q "Last sector: $4 " <<<"$i" && grep -q "Attribute flags: $5" <<<"$i"
}
gpt 1 5B193300-FC78-40CD-8002-E86C45580B47 34 2081 0000000000000000
check "partition 1: U-Boot SPL type, sectors 34-2081" $?
gpt 2 2E54B353-1271-4842-806F-E436D6AF6985 2082 10273 0000000000000000
check "partition 2: U-Boot ITB type, sectors 2082-10273" $?
gpt 3 EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 16384 114687 0000000000000004
check "partition 3: FAT boot partition, sectors 16384-114687, legacy BIOS bootable" $?
sgdisk -v "$img" 2>&1 | grep -q "No problems found"; check "sgdisk -v finds no problem" $?
cmp -s -n $(stat -c %s "$tmp/img/boot.vfat") "$tmp/img/boot.vfat" <(tail -c +$((16384 * 512 + 1)) "$img")
check "the boot partition is boot.vfat" $?
head -c 5000 /dev/urandom >"$tmp/spl.bin"; head -c 300000 /dev/urandom >"$tmp/u-boot.itb"
"$mkimg" "$handoff" -o "$tmp/img2" --spl "$tmp/spl.bin" --itb "$tmp/u-boot.itb" >/dev/null 2>&1; rc=$?
cmp -s "$tmp/spl.bin" <(tail -c +$((34 * 512 + 1)) "$tmp/img2/sdcard.img" | head -c 5000) &&
  cmp -s "$tmp/u-boot.itb" <(tail -c +$((2082 * 512 + 1)) "$tmp/img2/sdcard.img" | head -c 300000)
check "--spl/--itb land at sectors 34 and 2082 (exit $rc)" $(( $? != 0 || rc != 0 ))

# Refusals: exit 2 and a message that names the problem.
refuse() {  # description, message regex, arguments...
  local d=$1 re=$2; shift 2
  "$mkimg" "$@" >"$tmp/out" 2>&1; local rc=$?
  grep -Eq "$re" "$tmp/out"; check "kmem-mkimage refuses $d: exit 2 and a message (got $rc)" $(( rc != 2 || $? != 0 ))
}
refuse "a missing ELF" "no such file" "$tmp/none.elf" -o "$tmp/x"
refuse "an unknown board" "unknown board" "$handoff" -o "$tmp/x" --board hifive-premier
refuse "a host ELF" "not a kmem payload" /bin/sh -o "$tmp/x"
printf 'void _start(void) { for (;;) ; }\n' >"$tmp/plain.c"
riscv64-unknown-elf-gcc -nostdlib -o "$tmp/plain.elf" "$tmp/plain.c" 2>/dev/null
refuse "a RISC-V ELF without the Image header" "not a kmem payload" "$tmp/plain.elf" -o "$tmp/x"
refuse "a missing --itb file" "no such file" "$handoff" -o "$tmp/x" --spl "$tmp/spl.bin" --itb "$tmp/none.itb"

# kmem-qemu-run's sifive_u refusals.
for bad_opt in "--smp 1" "--smp 6"; do
  # shellcheck disable=SC2086
  "$run" "$boot_elf" --machine sifive_u $bad_opt >/dev/null 2>"$tmp/out"; rc=$?
  grep -q "2\.\.5" "$tmp/out"; check "sifive_u $bad_opt: exit 2 naming the range 2..5 (got $rc)" $(( rc != 2 || $? != 0 ))
done
"$run" "$boot_elf" --machine sifive_u --numa 2 >/dev/null 2>"$tmp/out"; rc=$?
grep -q "numa.*not supported on sifive_u" "$tmp/out"; check "sifive_u --numa: exit 2 with a message (got $rc)" $(( rc != 2 || $? != 0 ))

# The U-Boot chains on virt: 2 nodes, 4 harts.
chain() {  # chain, what U-Boot must print
  "$run" "$handoff" --uboot --uboot-chain "$1" --numa 2 --smp 4 --mem 512M --timeout 180 >"$tmp/out" 2>&1; local rc=$?
  grep -q "$2" "$tmp/out"; local seen=$?
  check "U-Boot $1 on virt --numa 2 --smp 4: the payload passes (exit $rc)" $(( rc != 0 || seen != 0 ))
  ((rc == 0 && seen == 0)) || grep -E "^not ok|panic|Bad|ERROR|Wrong" "$tmp/out" | head -5 | sed 's/^/# /'
}
chain extlinux "Found /extlinux/extlinux.conf"
chain script "Found U-Boot script /boot.scr"
chain fit "Verifying Hash Integrity ... sha256+ OK"
chain sdcard "Scanning virtio 0:3"
"$run" "$boot_elf" --uboot --machine sifive_u --timeout 180 >"$tmp/out" 2>&1; rc=$?
grep -q "sha256+ OK" "$tmp/out"; check "U-Boot bootm on sifive_u (5 harts): the payload passes (exit $rc)" $(( rc != 0 || $? != 0 ))
echo "1..$n"
exit $((bad != 0))
