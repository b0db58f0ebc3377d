#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Builds a FAT EFI system partition image for Bulkhead's UEFI loader, without
# root or loop mounts (mtools):
#
#   scripts/mkesp.sh --out esp.img --efi BOOTX64.EFI --elf bulkhead.elf \
#       [--cmdline "hypervisor options"] [--module "path manifest..."]...
#       [--cfg-line "raw line for bulkhead.cfg"]...   (tests of the loader's checks)
#
# Layout: /EFI/BOOT/BOOTX64.EFI (the removable-media default boot path, UEFI
# 2.10 §3.5.1.1), /bulkhead.elf, /guests/<file> for every module, and
# /bulkhead.cfg (format: arch/x86/efi/loader_config.h). The image is a bare
# FAT file system (no partition table): OVMF mounts such "superfloppy" media.
set -euo pipefail

out='' efi='' elf='' cmdline=''
modules=() cfg_lines=()
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--efi) efi=$2; shift 2 ;;
	--elf) elf=$2; shift 2 ;;
	--cmdline) cmdline=$2; shift 2 ;;
	--module) modules+=("$2"); shift 2 ;;
	--cfg-line) cfg_lines+=("$2"); shift 2 ;;
	*) echo "mkesp.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
for f in "$out" "$efi" "$elf"; do
	[ -n "$f" ] || { echo "mkesp.sh: --out, --efi and --elf are required" >&2; exit 2; }
done
for f in "$efi" "$elf"; do
	[ -f "$f" ] || { echo "mkesp.sh: $f: no such file" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cfg=$tmp/bulkhead.cfg
{
	echo "# Written by scripts/mkesp.sh; read by BOOTX64.EFI (arch/x86/efi/loader_config.h)."
	echo "hypervisor /bulkhead.elf $cmdline"
} >"$cfg"

total=$(( $(stat -c %s "$efi") + $(stat -c %s "$elf") ))
declare -A seen=()
srcs=() dsts=()
for m in "${modules[@]+"${modules[@]}"}"; do
	path=${m%% *}
	args=; [ "$path" != "$m" ] && args=${m#* }
	[ -f "$path" ] || { echo "mkesp.sh: module $path: no such file" >&2; exit 1; }
	base=$(basename "$path")
	[ -z "${seen[$base]:-}" ] || { echo "mkesp.sh: two modules named $base" >&2; exit 1; }
	seen[$base]=1
	echo "module /guests/$base $args" >>"$cfg"
	srcs+=("$path"); dsts+=("::/guests/$base")
	total=$(( total + $(stat -c %s "$path") ))
done

for l in "${cfg_lines[@]+"${cfg_lines[@]}"}"; do
	printf '%s\n' "$l" >>"$cfg"
done

# Room for the files plus FAT overhead; at least 8 MiB.
mib=$(( total / 1048576 + 4 ))
[ $mib -lt 8 ] && mib=8
rm -f "$out"
truncate -s "${mib}M" "$out"
mkfs.fat -n BULKHEAD "$out" >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$out" ::/EFI ::/EFI/BOOT ::/guests
mcopy -i "$out" "$efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$out" "$elf" ::/bulkhead.elf
mcopy -i "$out" "$cfg" ::/bulkhead.cfg
for i in "${!srcs[@]}"; do
	mcopy -i "$out" "${srcs[$i]}" "${dsts[$i]}"
done
