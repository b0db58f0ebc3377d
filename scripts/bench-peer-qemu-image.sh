#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The L1 initramfs of bench-peer's Linux workloads (docs/benchmarks.md, "Peer:
# KVM and QEMU as the VMM"): build-images.sh's L1 initramfs (--base: the
# stock kernel's kvm_amd, busybox) followed by a second gzip'd cpio archive
# holding
#   /usr/bin/qemu-system-x86_64       from Debian's qemu-system-x86
#   /lib/x86_64-linux-gnu/*.so*       every shared library it needs, found by
#   /lib64/ld-linux-x86-64.so.2       following the NEEDED entries (objdump -p)
#                                     through the Debian packages the binary's
#                                     package depends on (apt-cache depends)
#   /usr/share/seabios/bios-256k.bin  the BIOS of QEMU's pc machine (seabios)
#   /usr/share/qemu/linuxboot_dma.bin the -kernel option ROM, and kvmvapic.bin
#                                     (qemu-system-data)
#   /peer/l2/<name>                   the L2 kernel and initramfs images (--l2)
#   /etc/bulkhead/run.sh              --script, in place of the base's script
# All packages come with `apt-get download` through guests/deb-cache.sh into
# --cache (never committed), so a fresh Debian 12 machine rebuilds the same
# archive. The kernel unpacks concatenated archives in order, later files
# replacing earlier ones (Documentation/driver-api/early-userspace/
# buffer-format.rst).
#
#   scripts/bench-peer-qemu-image.sh --out FILE --base INITRD --script FILE
#       [--cache DIR] [--l2 NAME=FILE]...
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out='' base='' script='' cache=$repo/build/linux-cache
l2=()
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--base) base=$2; shift 2 ;;
	--script) script=$2; shift 2 ;;
	--cache) cache=$2; shift 2 ;;
	--l2) l2+=("$2"); shift 2 ;;
	*) echo "bench-peer-qemu-image.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
die() { echo "bench-peer-qemu-image.sh: $*" >&2; exit 1; }
[ -n "$out" ] && [ -f "$base" ] && [ -f "$script" ] ||
	die "usage: --out FILE --base INITRD --script FILE [--cache DIR] [--l2 NAME=FILE]..."
for tool in apt-get apt-cache dpkg objdump cpio gzip; do
	command -v "$tool" >/dev/null || die "$tool is missing"
done
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
# shellcheck source=guests/deb-cache.sh
. "$repo/guests/deb-cache.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/root
libdir=lib/x86_64-linux-gnu
mkdir -p "$stage/$libdir" "$stage/lib64" "$stage/usr/bin" "$stage/usr/share/qemu" \
	"$stage/usr/share/seabios" "$stage/peer/l2" "$stage/etc/bulkhead"

# ---- Debian packages --------------------------------------------------------
declare -A pkg_dir=() # package -> its extracted tree
roots=()              # extracted trees, in the order they were fetched
declare -A root_pkg=()
ROOT=''
pkg_root() { # package -> ROOT (its extracted tree; fetched once)
	if [ -z "${pkg_dir[$1]:-}" ]; then
		pkg_dir[$1]=$(deb_extract "$(deb_fetch "$1")")
		roots+=("${pkg_dir[$1]}")
		root_pkg[${pkg_dir[$1]}]=$1
	fi
	ROOT=${pkg_dir[$1]}
}

# in_tree ROOT PATH: the regular file PATH names inside ROOT, its symlinks
# (absolute ones too) resolved inside ROOT, never on this machine.
in_tree() {
	local root=$1 p=$2 n=0 t
	while [ -L "$root$p" ]; do
		t=$(readlink "$root$p")
		case "$t" in /*) p=$t ;; *) p=$(dirname "$p")/$t ;; esac
		n=$((n + 1))
		[ $n -lt 16 ] || return 1
	done
	[ -f "$root$p" ] && echo "$root$p"
}

# find_lib ROOT SONAME: the library's file in an extracted tree, if there.
find_lib() {
	local d f
	for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib usr/lib; do
		f=$1/$d/$2
		if [ -e "$f" ] || [ -L "$f" ]; then
			in_tree "$1" "/$d/$2" && return 0
		fi
	done
	return 1
}

# lib_deps PACKAGE: the library packages it depends on (Depends, Pre-Depends;
# virtual packages, in <>, have no files of their own).
lib_deps() {
	apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
		--no-replaces --no-enhances "$1" 2>/dev/null |
		sed -n 's/^ *|\{0,1\}\(Pre\)\{0,1\}Depends: \([^<][^ ]*\)$/\2/p' |
		grep -E '^(lib|zlib)' | awk '!seen[$0]++'
}

declare -A staged=() # soname -> 1
FOUND='' FOUND_PKG=''
# resolve SONAME PACKAGE: finds the library among the trees fetched so far,
# else in the packages PACKAGE depends on (fetching them); sets FOUND and
# FOUND_PKG.
resolve() {
	local so=$1 pkg=$2 r f dep
	for r in "${roots[@]}"; do
		if f=$(find_lib "$r" "$so"); then
			FOUND=$f FOUND_PKG=${root_pkg[$r]}
			return 0
		fi
	done
	for dep in $(lib_deps "$pkg"); do
		pkg_root "$dep"
		if f=$(find_lib "$ROOT" "$so"); then
			FOUND=$f FOUND_PKG=$dep
			return 0
		fi
	done
	return 1
}

# Breadth first over NEEDED entries: (file, package it came from).
pkg_root qemu-system-x86
qemu=$(in_tree "$ROOT" /usr/bin/qemu-system-x86_64) || die "qemu-system-x86 has no qemu-system-x86_64"
cp "$qemu" "$stage/usr/bin/qemu-system-x86_64"
qfiles=("$qemu") qpkgs=(qemu-system-x86)
i=0
while [ $i -lt ${#qfiles[@]} ]; do
	f=${qfiles[$i]} p=${qpkgs[$i]}
	i=$((i + 1))
	for so in $(objdump -p "$f" | awk '$1 == "NEEDED" { print $2 }'); do
		[ -z "${staged[$so]:-}" ] || continue
		resolve "$so" "$p" || die "$so (needed by ${f##*/} of $p) is in none of $p's library dependencies"
		cp "$FOUND" "$stage/$libdir/$so"
		staged[$so]=1
		qfiles+=("$FOUND") qpkgs+=("$FOUND_PKG")
	done
done
# The program interpreter is no NEEDED entry: glibc's, from libc6.
pkg_root libc6
ld=$(in_tree "$ROOT" /lib64/ld-linux-x86-64.so.2) || die "libc6 has no /lib64/ld-linux-x86-64.so.2"
cp "$ld" "$stage/lib64/ld-linux-x86-64.so.2"

# ---- firmware ---------------------------------------------------------------
# QEMU looks in ../share/qemu and ../share/seabios beside its binary (-L help).
fw() { # package path-in-package
	local f
	pkg_root "$1"
	f=$(in_tree "$ROOT" "$2") || die "$1 has no $2"
	cp "$f" "$stage$2"
}
fw seabios /usr/share/seabios/bios-256k.bin
fw qemu-system-data /usr/share/qemu/linuxboot_dma.bin
fw qemu-system-data /usr/share/qemu/kvmvapic.bin

# ---- the L2 images and L1's script -----------------------------------------
for item in "${l2[@]}"; do
	name=${item%%=*} file=${item#*=}
	[ -f "$file" ] || die "--l2 $item: $file missing"
	cp "$file" "$stage/peer/l2/$name"
done
cp "$script" "$stage/etc/bulkhead/run.sh"

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -6 >"$tmp/add.cpio.gz"
cat "$base" "$tmp/add.cpio.gz" >"$out.tmp"
mv "$out.tmp" "$out"
pkgs=$(printf '%s\n' "${!pkg_dir[@]}" | LC_ALL=C sort | tr '\n' ' ')
echo "bench-peer-qemu-image.sh: $out ($(du -h "$out" | cut -f1)): qemu-system-x86_64 and ${#staged[@]} libraries from: $pkgs"
