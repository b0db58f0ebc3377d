#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The "fair" kvm_amd of `make bench-peer` (docs/benchmarks.md, "Peer: Linux
# KVM"): Debian's own kvm-amd module rebuilt out of tree from linux-source-6.1
# against the stock kernel's headers, with one change. QEMU TCG offers no
# next-RIP save (APM Vol. 2 §15.7.1), so stock kvm_amd (nrips=0) runs its
# instruction emulator on every CPUID, VMMCALL, RDMSR/WRMSR or HLT just to
# find the next instruction. Bulkhead instead takes the length from the exit
# code (these instructions have one encoding, arch/x86/svm/svm_decode.h). The
# change gives kvm_amd the same rule: with no next RIP from the CPU and a plain
# skip, the exit code gives the length; other exits are left as they were.
# Everything else (kvm.ko, the kernel) stays stock, and the module is loaded
# unsigned (Debian does not enforce module signatures; the kernel is tainted).
#
#   scripts/bench-peer-fair-kvm.sh [--build DIR]   -> DIR/peer/fair/kvm_amd.ko
#
# Packages, with `apt-get download` into DIR/linux-cache (guests/deb-cache.sh):
# linux-source-6.1, linux-headers-<abi>-amd64, linux-headers-<abi>-common,
# linux-kbuild-6.1, all of the stock kernel's version. Needs gcc-12 (the
# compiler Debian built the kernel with), make, xz, python3.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
BUILD=build
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	*) echo "bench-peer-fair-kvm.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
case "$BUILD" in /*) ;; *) BUILD=$repo/$BUILD ;; esac
die() { echo "bench-peer-fair-kvm.sh: $*" >&2; exit 1; }
for tool in apt-get apt-cache dpkg-deb xz make gcc-12 strip python3; do
	command -v "$tool" >/dev/null || die "$tool is missing"
done
cache=$BUILD/linux-cache
work=$BUILD/peer/fair
mkdir -p "$cache" "$work"
cache=$(cd "$cache" && pwd)

# The stock kernel's package, as build-images.sh resolves it, names the ABI
# (6.1.0-N) and the Debian version every other package must match.
kpkg=${LINUX_PKG:-$(apt-cache depends linux-image-amd64 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ { print $2; exit }')}
[ -n "$kpkg" ] || die "cannot resolve linux-image-amd64 (run 'apt-get update' first)"
abi=${kpkg#linux-image-}
abi=${abi%-amd64}
# shellcheck source=guests/deb-cache.sh
. "$repo/guests/deb-cache.sh"
kdeb=$(deb_fetch "$kpkg")
kver=$(dpkg-deb -f "$kdeb" Version)
debs=()
for p in "linux-headers-$abi-amd64" "linux-headers-$abi-common" linux-kbuild-6.1 linux-source-6.1; do
	d=$(deb_fetch "$p")
	[ "$(dpkg-deb -f "$d" Version)" = "$kver" ] ||
		die "$d is not version $kver of $kpkg: delete it from $cache and run again"
	debs+=("$d")
done

stamp=$work/.built-$kver
if [ -f "$stamp" ] && [ -f "$work/kvm_amd.ko" ] && [ "$stamp" -nt "$0" ]; then
	echo "bench-peer-fair-kvm.sh: $work/kvm_amd.ko is up to date"
	exit 0
fi
rm -rf "$work/root" "$work/src" "$work/kvm_amd.ko" "$work"/.built-*
mkdir -p "$work/root" "$work/src"
# Headers and kbuild in one tree: their symlinks are relative to it.
for d in "${debs[@]:0:3}"; do
	dpkg-deb -x "$d" "$work/root"
done
hdr=$work/root/usr/src/linux-headers-$abi-amd64
[ -f "$hdr/Makefile" ] || die "no $hdr/Makefile"
# That Makefile includes the common tree by its installed (absolute) path.
sed -i "s|^include /usr/src/|include $work/root/usr/src/|" "$hdr/Makefile"

echo "bench-peer-fair-kvm.sh: extracting arch/x86/kvm from linux-source-6.1 ($kver)"
dpkg-deb --fsys-tarfile "${debs[3]}" | tar -xO ./usr/src/linux-source-6.1.tar.xz | xz -dc |
	tar -x -C "$work/src" --strip-components=1 linux-source-6.1/arch/x86/kvm
kvm=$work/src/arch/x86/kvm
svm_c=$kvm/svm/svm.c
[ -f "$svm_c" ] || die "no arch/x86/kvm/svm/svm.c in linux-source-6.1"

# The change, inserted by anchors so that a moved line fails loudly.
python3 - "$svm_c" <<'PY'
import re, sys
path = sys.argv[1]
src = open(path).read()
func = "static int __svm_skip_emulated_instruction(struct kvm_vcpu *vcpu,"
helper = r'''/*
 * Bulkhead's peer benchmark (scripts/bench-peer-fair-kvm.sh): without
 * next-RIP save, the length of an instruction that has one encoding comes
 * from the exit code, as in Bulkhead, instead of from the emulator.
 */
static unsigned long bulkhead_known_next_rip(struct kvm_vcpu *vcpu)
{
	unsigned long len;

	switch (to_svm(vcpu)->vmcb->control.exit_code) {
	case SVM_EXIT_HLT:
		len = 1;		/* F4 */
		break;
	case SVM_EXIT_CPUID:		/* 0F A2 */
	case SVM_EXIT_MSR:		/* 0F 32, 0F 30 */
	case SVM_EXIT_RDTSC:		/* 0F 31 */
	case SVM_EXIT_RDPMC:		/* 0F 33 */
	case SVM_EXIT_INVD:		/* 0F 08 */
	case SVM_EXIT_WBINVD:		/* 0F 09 */
	case SVM_EXIT_PAUSE:		/* F3 90 */
		len = 2;
		break;
	case SVM_EXIT_VMMCALL:		/* 0F 01 D9 */
	case SVM_EXIT_XSETBV:		/* 0F 01 D1 */
	case SVM_EXIT_MONITOR:		/* 0F 01 C8 */
	case SVM_EXIT_MWAIT:		/* 0F 01 C9 */
		len = 3;
		break;
	default:
		return 0;
	}
	return kvm_rip_read(vcpu) + len;
}

'''
use = '''	if (!svm->next_rip && !nrips && emul_type == EMULTYPE_SKIP)
		svm->next_rip = bulkhead_known_next_rip(vcpu);

'''
start = src.find(func)
anchor = src.find("\tif (!svm->next_rip) {\n", start)
if start < 0 or anchor < 0 or anchor - start > 2000:
    sys.exit("bench-peer-fair-kvm.sh: __svm_skip_emulated_instruction changed shape; update the patch")
src = src[:anchor] + use + src[anchor:]
src = src[:start] + helper + src[start:]
open(path, "w").write(src)
PY

# Only kvm-amd, with the stock tree's object list for it (arch/x86/kvm/Makefile).
cat >"$kvm/Kbuild" <<'KB'
ccflags-y += -I $(src)
ccflags-$(CONFIG_KVM_WERROR) += -Werror
ifeq ($(CONFIG_FRAME_POINTER),y)
OBJECT_FILES_NON_STANDARD_vmenter.o := y
endif
obj-m := kvm-amd.o
kvm-amd-y += svm/svm.o svm/vmenter.o svm/pmu.o svm/nested.o svm/avic.o svm/sev.o
kvm-amd-$(CONFIG_HYPERV) += svm/svm_onhyperv.o
AFLAGS_svm/vmenter.o := -iquote $(obj)
$(obj)/svm/vmenter.o: $(obj)/kvm-asm-offsets.h
$(obj)/kvm-asm-offsets.h: $(obj)/kvm-asm-offsets.s FORCE
	$(call filechk,offsets,__KVM_ASM_OFFSETS_H__)
targets += kvm-asm-offsets.s
KB
echo "bench-peer-fair-kvm.sh: building kvm-amd.ko against $hdr"
make -C "$hdr" M="$kvm" -j2 modules >"$work/build.log" 2>&1 ||
	{ tail -30 "$work/build.log" >&2; die "module build failed (log: $work/build.log)"; }
# Without its debug sections: it goes into the L1 initramfs.
strip --strip-debug -o "$work/kvm_amd.ko" "$kvm/kvm-amd.ko"
modinfo_vermagic=$(strings "$work/kvm_amd.ko" | sed -n 's/^vermagic=//p' | head -n 1)
touch "$stamp"
echo "bench-peer-fair-kvm.sh: $work/kvm_amd.ko (vermagic $modinfo_vermagic)"
