#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The L1 initramfs of `make bench-peer`: build-images.sh's initramfs (--base)
# followed by a second gzip'd cpio archive holding the given files under
# /peer/ (peer-vmm and the bench guests). The kernel unpacks concatenated
# archives one after the other (Documentation/driver-api/early-userspace/
# buffer-format.rst), so build-images.sh needs no option for extra files.
#
#   scripts/bench-peer-pack.sh --out FILE --base INITRD [--dest DIR] FILE...
set -euo pipefail
out='' base='' dest=peer
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--base) base=$2; shift 2 ;;
	--dest) dest=${2#/}; shift 2 ;;
	-*) echo "bench-peer-pack.sh: unknown argument '$1'" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ -n "$out" ] && [ -f "$base" ] && [ $# -gt 0 ] ||
	{ echo "usage: bench-peer-pack.sh --out FILE --base INITRD [--dest DIR] FILE..." >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The archive is written beside the staged tree, not in it: find would
# otherwise pack the half-written archive into itself.
stage=$tmp/root
mkdir -p "$stage/$dest"
for f in "$@"; do
	[ -f "$f" ] || { echo "bench-peer-pack.sh: $f missing" >&2; exit 1; }
	cp "$f" "$stage/$dest/"
done
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 >"$tmp/add.cpio.gz"
cat "$base" "$tmp/add.cpio.gz" >"$out.tmp"
mv "$out.tmp" "$out"
echo "bench-peer-pack.sh: $out ($(du -h "$out" | cut -f1): $base + $*)"
