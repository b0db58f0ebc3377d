# SPDX-License-Identifier: BSD-2-Clause
# The run script of the Linux platform test (issue 4), run by the test
# initramfs's /init (guests/linux/build-images.sh --script). It prints
# BULKHEAD-RUN: lines that tests/integration/linux-*.test match.
#
# First boot: report what the kernel found (LAPIC, IOAPIC, ACPI, 8250),
# time a `sleep 5` between two markers (the runner measures it against the
# host's clock), read a line typed on the console, then reboot.
# Second boot (a mark in CMOS NVRAM survives the reset): power off. A kernel
# without the CMOS NVRAM driver powers off after the first round.
nvram=/sys/bus/nvmem/devices/cmos_nvram0/nvmem
mark_offset=66 # CMOS byte 0x50; the nvmem device starts at CMOS byte 14

say() { echo "BULKHEAD-RUN: $*"; }

read_mark() {
	dd if=$nvram bs=1 skip=$mark_offset count=1 2>/dev/null | od -An -tx1 | tr -d ' \n'
}

write_mark() {
	printf "\\x$1" | dd of=$nvram bs=1 seek=$mark_offset count=1 conv=notrunc 2>/dev/null
}

facts() {
	dmesg | grep -q 'Using ACPI (MADT) for SMP configuration' && say "smp from madt"
	[ "$(awk '/LOC:/ { print $2 }' /proc/interrupts)" -gt 0 ] 2>/dev/null && say "lapic timer ticking"
	dmesg | grep -q 'IOAPIC\[0\]: apic_id' && say "madt ioapic"
	dmesg | grep -q 'ttyS0 at I/O 0x3f8 (irq = 4' && say "8250 ttyS0 irq 4"
	say "cpus online $(grep -c ^processor /proc/cpuinfo)"
	say "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	say "tsc $(dmesg | grep -o 'tsc: Detected [0-9.]* MHz' | head -n 1)"
	# KVM's leaves (kvm-pv=on): Linux finds them, then takes x2APIC.
	say "hypervisor $(dmesg | grep -o 'Hypervisor detected: [A-Za-z]*' | head -n 1)"
	say "apic $(dmesg | grep -o 'Switched APIC routing to [a-z0-9 ]*' | head -n 1)"
	grep -q '^flags.* x2apic' /proc/cpuinfo && say "x2apic offered"
	grep -q ' IO-APIC .*ttyS0\|IO-APIC.*serial' /proc/interrupts && say "ttyS0 via ioapic"
	# Linux's IRQ0 check (skipped: the loader adds no_timer_check).
	dmesg | grep -q 'MP-BIOS bug' && say "timer trouble: $(dmesg | grep -m1 'MP-BIOS bug')"
	# Case-sensitive, as the kernel prints them: with -i, 'Oops' matched
	# the "loops_per_jiffy" of a calibrate_delay warning.
	trouble='Oops|Kernel panic|BUG:|WARNING: CPU'
	if dmesg | grep -qE "$trouble"; then
		say "kernel trouble:"
		dmesg | grep -E -A3 "$trouble" | head -n 20
	else
		say "no oops"
	fi
}

# Without the CMOS NVRAM driver (Debian's cloud kernel has no RTC_NVMEM)
# a reboot could not be told from the first boot: one round, then power off.
one_round=0
if [ ! -w $nvram ]; then
	say "no CMOS NVRAM device ($nvram): no reboot round"
	one_round=1
elif [ "$(read_mark)" = a5 ]; then
	write_mark 00
	say "boot 2 after reboot"
	exit 0 # /init powers off
fi
say "boot 1"
facts
# The guest's own clock at both ends: the runner checks that the host's
# clock saw the same interval (tests/integration/linux-*.test, elapsed:).
uptime_s() { cut -d' ' -f1 /proc/uptime; }
say "sleep-start $(uptime_s)"
sleep 5
say "sleep-end $(uptime_s)"
say "type a line:"
if read -r -t 20 line; then
	say "got '$line'"
else
	say "no input"
fi
if [ $one_round = 1 ]; then
	say "powering off without a reboot round"
	exit 0 # /init powers off
fi
write_mark a5
say "rebooting"
sync
reboot -f
