#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Builds the Linux guest images from Debian 12 packages (for the Linux-guest
# issues): the stock kernel and a busybox initramfs.
#
#   guests/linux/build-images.sh [--out DIR] [--cache DIR] [--script FILE]
#       [--lib FILE]... [--modules "name..."] [--boot-test]
#
#   --out DIR       where vmlinuz and initrd.cpio.gz go (default build/linux)
#   --cache DIR     downloaded .debs and their extracted trees (default
#                   build/linux-cache; never committed: build*/ is ignored)
#   --script FILE   shell script /init runs after its markers (default: one
#                   that prints BULKHEAD-RUN markers, see default_script below)
#   --lib FILE      shell code shared by several scripts (repeatable): copied
#                   to /lib/bulkhead/<basename of FILE> and nothing more. The
#                   script that needs it sources it itself, e.g.
#                   `. /lib/bulkhead/cmdline.sh`, so what a script uses is
#                   written in the script, and the script runs as before in
#                   its own `sh` (a lib should only define functions)
#   --modules LIST  kernel modules to put in the initramfs and load at boot,
#                   with their dependencies from modules.dep, e.g.
#                   "virtio_pci virtio_blk virtio_net" (Debian builds them as =m)
#   --flavour NAME  the kernel flavour: amd64 (default, the generic kernel) or
#                   cloud-amd64 (Debian's cloud kernel, a second stock guest)
#   --boot-test     boot the result directly under QEMU TCG and report how long
#                   it takes to reach /init and to power off
#
# Packages: linux-image-<flavour> is a metapackage; its dependency
# linux-image-6.1.0-<N>-<flavour> holds /boot/vmlinuz-* and /lib/modules. Set
# LINUX_PKG to pin one. busybox-static provides the userland. Both come with
# `apt-get download` (run `apt-get update` first on a fresh machine).
#
# /init mounts proc, sysfs and devtmpfs, prints
#     BULKHEAD-INIT: reached /init
#     BULKHEAD-INIT: kernel <uname -r>
# loads the requested modules, runs the script, prints
#     BULKHEAD-INIT: script exited with <status>
# and powers off (poweroff -f: with QEMU -no-reboot the emulator exits).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$repo/build/linux
cache=$repo/build/linux-cache
script=''
libs=()
modules=''
boot_test=0
flavour=amd64
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--cache) cache=$2; shift 2 ;;
	--script) script=$2; shift 2 ;;
	--lib) libs+=("$2"); shift 2 ;;
	--modules) modules=$2; shift 2 ;;
	--boot-test) boot_test=1; shift ;;
	--flavour) flavour=$2; shift 2 ;;
	-h | --help) sed -n '3,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "build-images.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
die() { echo "build-images.sh: $*" >&2; exit 1; }
for tool in apt-get apt-cache dpkg cpio gzip; do
	command -v "$tool" >/dev/null || die "$tool is missing (scripts/deps.sh installs cpio)"
done
[ -z "$script" ] || [ -f "$script" ] || die "--script $script: no such file"
declare -A lib_names=()
for lib in "${libs[@]}"; do
	[ -f "$lib" ] || die "--lib $lib: no such file"
	# One directory for all libs: two with one name would silently overwrite.
	[ -z "${lib_names[${lib##*/}]:-}" ] || die "--lib $lib: a lib named ${lib##*/} was given already"
	lib_names[${lib##*/}]=1
done
mkdir -p "$out" "$cache"
out=$(cd "$out" && pwd)
cache=$(cd "$cache" && pwd)

# ---- packages ---------------------------------------------------------------
case "$flavour" in amd64 | cloud-amd64) ;; *) die "--flavour $flavour: amd64 or cloud-amd64" ;; esac
kpkg=${LINUX_PKG:-$(apt-cache depends "linux-image-$flavour" 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ { print $2; exit }')}
[ -n "$kpkg" ] || die "cannot resolve linux-image-$flavour (run 'apt-get update' first)"

# shellcheck source=guests/deb-cache.sh
. "$repo/guests/deb-cache.sh"
kroot=$(deb_extract "$(deb_fetch "$kpkg")")
broot=$(deb_extract "$(deb_fetch busybox-static)")

vmlinuz=$(ls "$kroot"/boot/vmlinuz-* | head -n 1)
kver=${vmlinuz##*/vmlinuz-}
busybox=$broot/bin/busybox
[ -x "$busybox" ] || die "no busybox in busybox-static"
cp "$vmlinuz" "$out/vmlinuz"

# ---- initramfs ----------------------------------------------------------------
stage=$(mktemp -d "$cache/initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,etc/bulkhead,lib/modules,lib/bulkhead}
cp "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$stage/bin/$applet"
done
# The kernel opens /dev/console for /init before anything is mounted.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null ||
	echo "build-images.sh: cannot mknod /dev/console (not root?): /init reopens it later" >&2

# Modules and their dependencies, in load order (dependencies first). The
# package ships no modules.dep (its postinst runs depmod, which is not needed
# here): each module names its dependencies in the "depends=" field of its
# .modinfo section, read with objcopy.
moddir=$kroot/lib/modules/$kver
: >"$stage/etc/bulkhead/modules"
declare -A added=()
module_path() { # name -> path of its .ko (names treat - and _ alike)
	local n=${1//-/_} f
	for f in $(find "$moddir/kernel" -name "${n//_/[-_]}.ko*"); do
		echo "$f"
		return 0
	done
	return 1
}
module_deps() { # .ko path -> names it depends on
	local tmp
	tmp=$(mktemp)
	case "$1" in
	*.xz) xz -dc "$1" >"$tmp" ;;
	*.zst) zstd -qdc "$1" >"$tmp" ;;
	*) cp "$1" "$tmp" ;;
	esac
	# objcopy cannot write to a pipe: it renames a temporary file over its output.
	objcopy -O binary --only-section=.modinfo "$tmp" "$tmp.modinfo" || die "objcopy $1 failed"
	tr '\0' '\n' <"$tmp.modinfo" | sed -n 's/^depends=//p' | tr ',' ' '
	rm -f "$tmp" "$tmp.modinfo"
}
add_module() { # module name
	local name=${1//-/_} path dep dst
	[ -z "${added[$name]:-}" ] || return 0
	added[$name]=1
	path=$(module_path "$name") || die "module '$1' is not in $kpkg"
	for dep in $(module_deps "$path"); do
		add_module "$dep"
	done
	dst=$stage/lib/modules/$name.ko
	case "$path" in
	*.xz) xz -dc "$path" >"$dst" ;;
	*.zst) zstd -qdc "$path" >"$dst" ;;
	*) cp "$path" "$dst" ;;
	esac
	echo "/lib/modules/$name.ko" >>"$stage/etc/bulkhead/modules"
}
for m in $modules; do
	add_module "$m"
done

cat >"$stage/init" <<'EOF'
#!/bin/sh
# Bulkhead's test initramfs (guests/linux/build-images.sh).
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
[ -c /dev/console ] && exec 0</dev/console 1>/dev/console 2>&1
echo "BULKHEAD-INIT: reached /init"
echo "BULKHEAD-INIT: kernel $(uname -r)"
while read -r ko; do
	[ -n "$ko" ] || continue
	if insmod "$ko"; then
		echo "BULKHEAD-INIT: loaded ${ko##*/}"
	else
		echo "BULKHEAD-INIT: failed to load ${ko##*/}"
	fi
done </etc/bulkhead/modules
sh /etc/bulkhead/run.sh
echo "BULKHEAD-INIT: script exited with $?"
echo "BULKHEAD-INIT: powering off"
poweroff -f
EOF
chmod 755 "$stage/init"

for lib in "${libs[@]}"; do
	cp "$lib" "$stage/lib/bulkhead/${lib##*/}"
done
if [ -n "$script" ]; then
	cp "$script" "$stage/etc/bulkhead/run.sh"
else
	cat >"$stage/etc/bulkhead/run.sh" <<'EOF'
# The default script: a few facts about the machine, between markers.
echo "BULKHEAD-RUN: begin"
echo "BULKHEAD-RUN: cpus $(grep -c ^processor /proc/cpuinfo)"
echo "BULKHEAD-RUN: $(grep MemTotal /proc/meminfo)"
echo "BULKHEAD-RUN: uptime $(cut -d' ' -f1 /proc/uptime) s"
echo "BULKHEAD-RUN: end"
EOF
fi

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) | gzip -9 >"$out/initrd.cpio.gz"
lib_list=${libs[*]##*/}
echo "build-images.sh: $out/vmlinuz ($kpkg, $kver), $out/initrd.cpio.gz ($(du -h "$out/initrd.cpio.gz" | cut -f1), modules: ${modules:-none}, libs: ${lib_list:-none})"

# ---- boot test ------------------------------------------------------------------
[ "$boot_test" -eq 1 ] || exit 0
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing"
log=$out/boot-test.log
: >"$log"
start=$(date +%s%N)
timeout 300 qemu-system-x86_64 -accel tcg -m 512M -kernel "$out/vmlinuz" \
	-initrd "$out/initrd.cpio.gz" -append "console=ttyS0 panic=-1" \
	-display none -monitor none -serial "file:$log" -no-reboot </dev/null &
qpid=$!
reached=''
while kill -0 "$qpid" 2>/dev/null; do
	if [ -z "$reached" ] && grep -q 'BULKHEAD-INIT: reached /init' "$log"; then
		reached=$(date +%s%N)
	fi
	sleep 0.05
done
wait "$qpid" || true
end=$(date +%s%N)
ms() { echo "$(( ($1 - start) / 1000000 ))"; }
grep -a 'BULKHEAD-' "$log" | sed 's/\r$//'
if [ -z "$reached" ]; then
	grep -q 'BULKHEAD-INIT: reached /init' "$log" && reached=$end
fi
[ -n "$reached" ] || die "the kernel never reached /init (log: $log)"
printf 'build-images.sh: QEMU TCG reached /init after %d ms, powered off after %d ms\n' \
	"$(ms "$reached")" "$(ms "$end")"
grep -q 'BULKHEAD-INIT: powering off' "$log" || die "/init did not finish (log: $log)"
