#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs the test guests on bare QEMU (TCG, no hypervisor) as a self-test of the
# guest runtime: start-up code, GDT/IDT and IVT, exception fixups, console,
# report format and the stop path. Without Bulkhead the hypercalls return
# HC_ENOSYS and the test devices are absent, so the cases that need Bulkhead
# are expected to fail; every other case must pass, no exception may be
# unexpected, and each guest must end as it should.
#
#   guests/smoke/run-smoke.sh BUILD/guests [GUEST...]
#
# The images are BUILD/guests/smoke/<guest>.elf (ELF guests with a Multiboot
# shim, guests/smoke/mb32.S and mb64.S) and <guest>.img (a real-mode guest
# behind a boot sector, guests/smoke/boot16.S). Logs: BUILD/guests/smoke/<guest>.log.
# Last line: "smoke: N passed, N failed".
set -uo pipefail

out=${1:?usage: run-smoke.sh BUILD/guests [GUEST...]}
shift
smoke=$out/smoke
TIMEOUT=${SMOKE_TIMEOUT:-60}

# Cases that cannot pass without Bulkhead (hypercalls, CPUID leaves, MSR
# policy, test devices), as an ERE over case names.
declare -A needs_bulkhead=(
	[hello-real]='hc_.*'
	[hello-prot]='hc_.*'
	[hello-long]='hc_.*'
	[cpuid]='hv_.*|svm_hidden|leaf1_hypervisor_bit'
	[msr]='efer_svme_set_gp|unknown_msr_.*|feature_control_write_gp|vm_cr_write_gp|vm_hsave_pa_.*|vmx_basic_read_gp'
	[pio]='echo_.*|unclaimed_out_ignored|rep_outsb_echo|rep_outsl_echo|rep_insw_echo|rep_insb_backwards'
	[pio32]='echo_.*|unclaimed_out_ignored|rep_outsb_echo|rep_outsl_echo|rep_insw_echo|rep_insb_backwards'
	[mmio]='.*'
	# QEMU's TCG itself lacks these checks (guests/multiboot/conformance/cpuconf.conf)
	[cpu-conform]='.*'
	[interrupts]='irq_delivered|irq_after_sti_shadow|irq_two_pending_high_first'
	[bad-gpa]='bad_gpa'
	[survivor]='survivor_yield|survivor_time_advances'
	[bench-hypercall]='hypercall'
)

guests=("$@")
if [ ${#guests[@]} -eq 0 ]; then
	for f in "$smoke"/*.elf "$smoke"/*.img; do
		[ -f "$f" ] || continue
		b=$(basename "$f")
		case "$b" in *.boot.elf) continue ;; esac
		guests+=("${b%.*}")
	done
fi

passed=0
failed=0
for g in "${guests[@]}"; do
	log=$smoke/$g.log
	if [ -f "$smoke/$g.img" ]; then
		boot=(-drive "file=$smoke/$g.img,format=raw")
	else
		boot=(-kernel "$smoke/$g.elf")
	fi
	timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -m 64M -display none -monitor none \
		-serial "file:$log" -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot \
		"${boot[@]}" </dev/null >/dev/null 2>"$smoke/$g.qemu.log"
	status=$?
	sed -i 's/\r$//' "$log"
	why=()
	allowed=${needs_bulkhead[$g]:-}
	nfail=0
	while IFS= read -r line; do
		case_name=${line#TEST }
		case_name=${case_name%%:*}
		if [ -n "$allowed" ] && [[ "$case_name" =~ ^($allowed)$ ]]; then
			nfail=$((nfail + 1))
			continue
		fi
		why+=("unexpected failure: $line")
	done < <(grep -E '^TEST [a-z0-9_]+: FAIL' "$log")
	grep -q 'unexpected_exception\|while stopping' "$log" && why+=("an unexpected exception")
	done_line=$(grep -E '^GUEST DONE passed=[0-9]+ failed=[0-9]+$' "$log" | tail -n 1)
	if [ "$g" = triple-fault ]; then
		# Triple fault: QEMU shuts down (-no-reboot), status 0, no report.
		[ -z "$done_line" ] || why+=("the guest kept running: $done_line")
		[ "$status" -eq 0 ] || why+=("QEMU exit status $status, want 0 (reset)")
	else
		if [ -z "$done_line" ]; then
			why+=("no GUEST DONE line (QEMU status $status)")
		else
			f=${done_line##*failed=}
			want=1
			[ "$f" -eq 0 ] || want=3
			[ "$status" -eq "$want" ] || why+=("QEMU exit status $status, want $want for '$done_line'")
			[ "$f" -eq "$nfail" ] || why+=("failed=$f but $nfail FAIL lines")
		fi
	fi
	if [ ${#why[@]} -eq 0 ]; then
		passed=$((passed + 1))
		echo "smoke: $g: ok ($(grep -c ': PASS$' "$log") cases pass, $nfail need Bulkhead)"
	else
		failed=$((failed + 1))
		echo "smoke: $g: FAIL"
		printf '    %s\n' "${why[@]}"
		sed 's/^/    | /' "$log" | tail -n 30
	fi
done
echo "smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
