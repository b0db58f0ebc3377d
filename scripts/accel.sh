#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Chooses QEMU's accelerator for Bulkhead: KVM only where KVM can really run
# a hypervisor as its guest, TCG everywhere else.
#
#   scripts/accel.sh            prints "kvm" or "tcg", and why on stderr
#   . scripts/accel.sh; accel_choose   sets ACCEL, ACCEL_WHY and ACCEL_VIRT
#
# A writable /dev/kvm proves nothing: on a host that is itself a guest the
# device can exist while its KVM module offers guests neither SVM nor VMX,
# and QEMU with `-accel kvm -cpu host` then aborts at start
# (docs/testing.md, "Accelerator"). So, in order:
#   1. BULKHEAD_ACCEL=tcg|kvm is taken as given.
#   2. /dev/kvm missing or not read-writable: tcg.
#   3. the host CPU's flags show neither svm nor vmx: tcg (nothing to nest).
#   4. an answer cached in $BULKHEAD_BUILD/accel.cache for this boot of the
#      host and this QEMU: reused.
#   5. a probe: bulkhead.elf boots under `-accel kvm -cpu host` for at most
#      $BULKHEAD_ACCEL_PROBE_SECONDS (20); kvm only if it prints its
#      "virt: SVM usable" or "virt: VMX usable" line. The answer is cached.
# ACCEL_VIRT is what the probe saw (svm or vmx; empty when not probed).
#
# For tests (tests/scripts/test-accel.sh) the inputs can be replaced:
# BULKHEAD_KVM_DEV (/dev/kvm), BULKHEAD_CPUINFO (/proc/cpuinfo),
# BULKHEAD_BOOT_ID (/proc/sys/kernel/random/boot_id), BULKHEAD_QEMU
# (qemu-system-x86_64), BULKHEAD_PROBE_IMAGE ($BULKHEAD_BUILD/bulkhead.elf).

accel_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The facts a cached answer depends on: this boot of the host (a reboot may
# load another KVM module or change its parameters) and this QEMU.
accel_cache_key() {
	local boot qemu_ver
	boot=$(cat "${BULKHEAD_BOOT_ID:-/proc/sys/kernel/random/boot_id}" 2>/dev/null || echo unknown)
	qemu_ver=$("${BULKHEAD_QEMU:-qemu-system-x86_64}" --version 2>/dev/null | head -n 1)
	echo "boot=$boot qemu=${qemu_ver:-none}"
}

# accel_probe IMAGE: boots IMAGE under KVM; sets ACCEL_VIRT to svm or vmx
# when the hypervisor found its extension usable (else empty) and
# ACCEL_PROBE_SAID to QEMU's first line of complaint, if any.
accel_probe() {
	local image=$1 log
	ACCEL_VIRT='' ACCEL_PROBE_SAID=''
	log=$(mktemp "${TMPDIR:-/tmp}/bulkhead-accel-probe.XXXXXX") || return 0
	# shellcheck disable=SC2054 # commas belong to QEMU option values
	timeout -k 2 "${BULKHEAD_ACCEL_PROBE_SECONDS:-20}" "${BULKHEAD_QEMU:-qemu-system-x86_64}" \
		-accel kvm -cpu host -m 256M -smp 1 -nodefaults -no-reboot -display none \
		-monitor none -serial "file:$log" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$image" -append "loglevel=2 on_idle=exit" </dev/null >"$log.qemu" 2>&1
	if grep -q '^virt: SVM usable' "$log"; then
		ACCEL_VIRT=svm
	elif grep -q '^virt: VMX usable' "$log"; then
		ACCEL_VIRT=vmx
	fi
	# What QEMU said goes with the answer: the reason KVM was not taken.
	ACCEL_PROBE_SAID=$(grep -v '^$' "$log.qemu" | head -n 1)
	rm -f "$log" "$log.qemu"
}

# Sets ACCEL (kvm|tcg), ACCEL_WHY (one line) and ACCEL_VIRT.
accel_choose() {
	local dev=${BULKHEAD_KVM_DEV:-/dev/kvm} cpuinfo=${BULKHEAD_CPUINFO:-/proc/cpuinfo}
	local build=${BULKHEAD_BUILD:-$accel_repo/build}
	local image=${BULKHEAD_PROBE_IMAGE:-$build/bulkhead.elf}
	local cache=$build/accel.cache key line
	ACCEL_VIRT=''
	case "${BULKHEAD_ACCEL:-}" in
	tcg | kvm)
		ACCEL=$BULKHEAD_ACCEL
		ACCEL_WHY=${BULKHEAD_ACCEL_WHY:-"BULKHEAD_ACCEL=$BULKHEAD_ACCEL"}
		return 0 ;;
	'') ;;
	*)
		echo "accel: BULKHEAD_ACCEL must be tcg or kvm, not '$BULKHEAD_ACCEL'" >&2
		return 2 ;;
	esac
	ACCEL=tcg
	if ! [ -c "$dev" ] && ! [ -f "$dev" ]; then
		ACCEL_WHY="no $dev"
		return 0
	fi
	if ! [ -r "$dev" ] || ! [ -w "$dev" ]; then
		ACCEL_WHY="$dev is not read-writable for $(id -un)"
		return 0
	fi
	if ! grep -qE '^flags[[:space:]]*:.*[[:space:]](svm|vmx)([[:space:]]|$)' "$cpuinfo" 2>/dev/null; then
		ACCEL_WHY="$dev exists but the host CPU offers neither svm nor vmx (KVM cannot nest here)"
		return 0
	fi
	key=$(accel_cache_key)
	# The cache holds one answer: "key ...", "accel ...", "virt ...", "why ...".
	if [ -f "$cache" ] && [ "$(sed -n 's/^key //p' "$cache")" = "$key" ]; then
		line=$(sed -n 's/^accel //p' "$cache")
		case "$line" in
		kvm | tcg)
			ACCEL=$line
			ACCEL_VIRT=$(sed -n 's/^virt //p' "$cache")
			ACCEL_WHY="$(sed -n 's/^why //p' "$cache") (cached in $cache)"
			return 0 ;;
		esac # a damaged cache: probe again
	fi
	if ! [ -f "$image" ]; then
		ACCEL_WHY="cannot probe KVM without $image (build it first); not cached"
		return 0
	fi
	accel_probe "$image"
	if [ -n "$ACCEL_VIRT" ]; then
		ACCEL=kvm
		ACCEL_WHY="a probe boot under KVM found ${ACCEL_VIRT^^} usable"
	else
		ACCEL_WHY="a probe boot under KVM did not find SVM or VMX usable${ACCEL_PROBE_SAID:+ (qemu: $ACCEL_PROBE_SAID)}"
	fi
	mkdir -p "$build" 2>/dev/null &&
		printf 'key %s\naccel %s\nvirt %s\nwhy %s\n' "$key" "$ACCEL" "$ACCEL_VIRT" "$ACCEL_WHY" \
			>"$cache.$$" && mv -f "$cache.$$" "$cache"
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	accel_choose || exit $?
	echo "accel: $ACCEL ($ACCEL_WHY)" >&2
	echo "$ACCEL"
fi
