# SPDX-License-Identifier: BSD-2-Clause
# /init's script in the L1 Linux of `make bench-peer` (scripts/bench-peer.sh):
# Linux KVM is the hypervisor here, peer-vmm the VMM, and the guests are
# Bulkhead's own bench guests (guests/peer/peer-vmm.c). Prints each guest's
# lines prefixed "peer <tag>: " between PEER-RUN markers.
echo "PEER-RUN: begin"
if [ ! -c /dev/kvm ]; then
	echo "PEER-RUN: no /dev/kvm (kvm_amd did not load: is SVM offered to this machine?)"
	exit 1
fi
for p in nested npt nrips avic vgif; do
	[ -r /sys/module/kvm_amd/parameters/$p ] &&
		echo "PEER-RUN: kvm_amd $p=$(cat /sys/module/kvm_amd/parameters/$p)"
done
# Empty for Debian's own module; "OE" for the rebuilt fair one (out of
# tree, unsigned: scripts/bench-peer-fair-kvm.sh).
echo "PEER-RUN: kvm_amd taint=$(cat /sys/module/kvm_amd/taint 2>/dev/null)"
# KVM keeps a guest's TSC running across KVM_RUN calls only while L1's own
# TSC is stable; were it marked unstable, KVM would re-base the guest's TSC
# offset on every vcpu_load and hide the user-space part of a KVM_EXIT_IO
# round trip from the guest's count.
# Printed before and after the runs: the clocksource watchdog could mark
# it unstable at any time.
tsc_state() {
	echo "PEER-RUN: clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	dmesg | grep -i -E "tsc.*unstable|unstable.*tsc" | sed 's/^/PEER-RUN: dmesg: /'
}
tsc_state
echo "PEER-RUN: cmdline $(cat /proc/cmdline)"
echo "PEER-RUN: mitigations $(cat /sys/devices/system/cpu/vulnerabilities/spectre_v2 2>/dev/null)"
status=0
# One VM per guest, one at a time, as Bulkhead's bench boots one guest per
# run. pio runs twice: OUT to the VMM in user space, then to an in-kernel
# ioeventfd.
for run in "loop bench-loop" "cpuid bench-cpuid" "pio bench-pio" "pio-ioeventfd bench-pio --ioeventfd" \
	"vmmcall bench-hypercall"; do
	set -- $run
	tag=$1 elf=$2
	shift 2
	/peer/peer-vmm --tag "$tag" --timeout 900 "$@" "/peer/$elf.elf"
	rc=$?
	echo "PEER-RUN: $tag exited with $rc"
	[ "$rc" -eq 0 ] || status=1
done
tsc_state
echo "PEER-RUN: end"
exit $status
