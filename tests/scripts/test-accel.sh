#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Tests of scripts/accel.sh, the accelerator choice, against made-up hosts:
# a fake /dev/kvm, /proc/cpuinfo, boot id and a fake QEMU that either aborts
# as QEMU does where KVM cannot nest, or boots a hypervisor that prints its
# "virt: ... usable" line. Ends with "accel: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
accel=$here/../../scripts/accel.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# A fake QEMU: --version answers; a run prints what $FAKE_SERIAL holds into
# the -serial file: path and says $FAKE_STDERR on stderr; counts its runs.
cat >"$tmp/qemu" <<'Q'
#!/usr/bin/env bash
[ "${1:-}" = --version ] && { echo "QEMU emulator version 7.2.99 (fake)"; exit 0; }
echo run >>"$FAKE_RUNS"
while [ $# -gt 0 ]; do
	case "$1" in -serial) serial=${2#file:}; shift ;; esac
	shift
done
printf '%b' "${FAKE_SERIAL:-}" >"$serial"
[ -n "${FAKE_STDERR:-}" ] && echo "$FAKE_STDERR" >&2
exit "${FAKE_RC:-0}"
Q
chmod +x "$tmp/qemu"
printf 'processor\t: 0\nflags\t\t: fpu vme de pse tsc msr hypervisor lahf_lm\n' >"$tmp/cpuinfo-nonest"
printf 'processor\t: 0\nflags\t\t: fpu vme de pse tsc msr svm lahf_lm\n' >"$tmp/cpuinfo-svm"
printf 'processor\t: 0\nflags\t\t: fpu vme vmx de pse tsc\n' >"$tmp/cpuinfo-vmx"
: >"$tmp/kvm"
: >"$tmp/image.elf"
echo 11111111-aaaa >"$tmp/boot_id"
ABORT='qemu-system-x86_64: ../target/i386/kvm/kvm.c:2893: kvm_buf_set_msrs: Assertion failed: failed to set MSR 0x10a to 0x69'

# choose ENV... : runs accel.sh in a clean build directory unless KEEP=1;
# sets OUT (kvm|tcg|error), WHY (stderr) and RUNS (probe boots).
choose() {
	[ "${KEEP:-0}" = 1 ] || rm -rf "$tmp/build"
	: >"$tmp/runs"
	OUT=$(env -u BULKHEAD_ACCEL -u BULKHEAD_ACCEL_WHY BULKHEAD_BUILD="$tmp/build" \
		BULKHEAD_KVM_DEV="$tmp/kvm" BULKHEAD_CPUINFO="$tmp/cpuinfo-nonest" \
		BULKHEAD_BOOT_ID="$tmp/boot_id" BULKHEAD_QEMU="$tmp/qemu" \
		BULKHEAD_PROBE_IMAGE="$tmp/image.elf" FAKE_RUNS="$tmp/runs" "$@" \
		"$accel" 2>"$tmp/why") || OUT=error
	WHY=$(cat "$tmp/why")
	RUNS=$(wc -l <"$tmp/runs")
}

check() { # NAME CONDITION...
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "PASS  $name"
	else
		failed=$((failed + 1))
		echo "FAIL  $name: out=$OUT runs=$RUNS why: $WHY"
	fi
}
is() { [ "$1" = "$2" ]; }
has() { [[ "$1" == *"$2"* ]]; }

# The machine CI runs on: /dev/kvm writable, no svm/vmx flags.
choose
check "no svm/vmx flag: tcg without a probe" is "$OUT/$RUNS" "tcg/0"
check "no svm/vmx flag: the reason says so" has "$WHY" "neither svm nor vmx"

choose BULKHEAD_KVM_DEV="$tmp/absent"
check "no /dev/kvm: tcg" is "$OUT/$RUNS" "tcg/0"

# Flags say svm, but KVM cannot really run the hypervisor: QEMU aborts.
choose BULKHEAD_CPUINFO="$tmp/cpuinfo-svm" FAKE_STDERR="$ABORT" FAKE_RC=134
check "svm flag, QEMU aborts: tcg after one probe" is "$OUT/$RUNS" "tcg/1"
check "svm flag, QEMU aborts: the reason quotes QEMU" has "$WHY" "failed to set MSR 0x10a"
KEEP=1 choose BULKHEAD_CPUINFO="$tmp/cpuinfo-svm" FAKE_SERIAL='virt: SVM usable: stage2 NPT yes\n'
check "a failed probe is cached for this boot" is "$OUT/$RUNS" "tcg/0"
echo 22222222-bbbb >"$tmp/boot_id"
KEEP=1 choose BULKHEAD_CPUINFO="$tmp/cpuinfo-svm" FAKE_SERIAL='virt: SVM usable: stage2 NPT yes\n'
check "a new boot of the host probes again" is "$OUT/$RUNS" "kvm/1"

# The probe boots but the hypervisor does not find its extension usable.
choose BULKHEAD_CPUINFO="$tmp/cpuinfo-svm" FAKE_SERIAL='virt: SVM not usable: no NPT\nbulkhead: ready\n'
check "svm flag, hypervisor says not usable: tcg" is "$OUT/$RUNS" "tcg/1"

# Working nested KVM, either vendor.
choose BULKHEAD_CPUINFO="$tmp/cpuinfo-svm" FAKE_SERIAL='Bulkhead 0.1.0\nvirt: SVM usable: stage2 NPT yes, ASID yes (16)\n'
check "nested SVM works: kvm" is "$OUT/$RUNS" "kvm/1"
KEEP=1 choose BULKHEAD_CPUINFO="$tmp/cpuinfo-svm" FAKE_RC=134
check "a working probe is cached" is "$OUT/$RUNS" "kvm/0"
check "the cached answer says where it came from" has "$WHY" "cached in"
choose BULKHEAD_CPUINFO="$tmp/cpuinfo-vmx" FAKE_SERIAL='virt: VMX usable: stage2 EPT yes\n'
check "nested VMX works: kvm" is "$OUT/$RUNS" "kvm/1"

# Nothing to probe with.
choose BULKHEAD_CPUINFO="$tmp/cpuinfo-svm" BULKHEAD_PROBE_IMAGE="$tmp/none.elf"
check "no image to probe: tcg, not cached" is "$OUT/$RUNS/$(ls "$tmp/build" 2>/dev/null | wc -l)" "tcg/0/0"

# The override.
choose BULKHEAD_ACCEL=kvm
check "BULKHEAD_ACCEL=kvm is taken as given" is "$OUT/$RUNS" "kvm/0"
choose BULKHEAD_ACCEL=tcg BULKHEAD_CPUINFO="$tmp/cpuinfo-svm"
check "BULKHEAD_ACCEL=tcg is taken as given" is "$OUT/$RUNS" "tcg/0"
choose BULKHEAD_ACCEL=hvf
check "BULKHEAD_ACCEL=hvf is refused" is "$OUT" "error"

echo "accel: $passed passed, $failed failed"
[ "$failed" = 0 ]
