# SPDX-License-Identifier: BSD-2-Clause
# The run script of the virtio benchmark initramfs (scripts/bench-virtio.sh),
# run by /init (guests/linux/build-images.sh --script) after it loaded the
# virtio modules. The kernel command line says what to measure:
#
#   bulkhead.role=bench-disk        sequential write, then read, of /dev/vda
#                                   with O_DIRECT 1 MiB blocks (no page cache),
#                                   whole passes until bulkhead.secs have passed
#   bulkhead.role=bench-net-server  receive one TCP stream on port 5201
#   bulkhead.role=bench-net-client  send one TCP stream to the server
#   bulkhead.mib=N                  MiB per disk pass or TCP stream (default
#                                   64; a disk pass is less if the disk is)
#   bulkhead.secs=N                 least time of a disk measurement (default 2)
#   bulkhead.ip=A.B.C.D[/N]         net roles: this side's address (/24)
#   bulkhead.peer=A.B.C.D           net client: the server's address
#   bulkhead.wait=SECONDS           how long to wait for the other side (120)
#
# Results, integers (busybox sh has no floating point):
#   BULKHEAD-BENCH: blk_write_mbps=<MiB/s>   and blk_write_kibps=<KiB/s>
#   BULKHEAD-BENCH: blk_read_mbps=<MiB/s>    and blk_read_kibps=<KiB/s>
#   BULKHEAD-BENCH: net_mbps=<MiB/s>         and net_kibps=<KiB/s>
# timed with /proc/uptime (10 ms steps), then "BULKHEAD-BENCH: done";
# a failure prints "BULKHEAD-BENCH: FAIL <why>". /init then powers off.

say() { echo "BULKHEAD-BENCH: $*"; }

# param, read_cmdline; uptime_cs, wait_for (build-images.sh --lib
# guests/linux/cmdline.sh and guests/linux/wait.sh).
. /lib/bulkhead/cmdline.sh
. /lib/bulkhead/wait.sh

# report NAME BYTES CENTISECONDS
report() {
	local cs=$3 kib
	[ "$cs" -gt 0 ] || cs=1
	kib=$(($2 * 100 / cs / 1024))
	say "${1}_mbps=$((kib / 1024))"
	say "${1}_kibps=$kib"
	echo "BULKHEAD-RUN: $1 $2 bytes in $((cs / 100)).$((cs / 10 % 10))$((cs % 10)) s"
}

read_cmdline 120
mib=$(param mib 64)
secs=$(param secs 2)

# disk_passes WHAT N: repeats the dd (write or read) of N MiB until it has
# run at least bulkhead.secs (the clock has 10 ms steps; QEMU's own device
# moves 64 MiB in a tenth of a second), then reports the rate.
disk_passes() {
	local what=$1 n=$2 passes=0 t0 cs
	t0=$(uptime_cs)
	while :; do
		if [ "$what" = write ]; then
			dd if=/dev/zero of=/dev/vda bs=1048576 count="$n" oflag=direct conv=fsync 2>/dev/null ||
				{ say "FAIL writing /dev/vda"; return 1; }
		else
			dd if=/dev/vda of=/dev/null bs=1048576 count="$n" iflag=direct 2>/dev/null ||
				{ say "FAIL reading /dev/vda"; return 1; }
		fi
		passes=$((passes + 1))
		cs=$(($(uptime_cs) - t0))
		[ $cs -lt $((secs * 100)) ] && [ $passes -lt 1000 ] || break
	done
	report "blk_$what" $((passes * n * 1048576)) $cs
}

bench_disk() {
	local n
	wait_for /dev/vda 10 || { say "FAIL no /dev/vda"; return 1; }
	n=$(($(cat /sys/block/vda/size) / 2048))
	[ "$n" -lt "$mib" ] || n=$mib
	[ "$n" -gt 0 ] || { say "FAIL /dev/vda is smaller than 1 MiB"; return 1; }
	disk_passes write "$n" && disk_passes read "$n"
}

# A guest whose clock runs on port I/O (acpi_pm, after its watchdog
# distrusted the TSC on a busy host) takes an exit per timestamp.
say_clock() {
	echo "BULKHEAD-RUN: clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
}

net_up() {
	wait_for /sys/class/net/eth0 10 || { say "FAIL no eth0"; return 1; }
	[ -n "$ip" ] || { say "FAIL bulkhead.ip= is needed"; return 1; }
	ip link set lo up
	if ! ip addr add "$ip" dev eth0 || ! ip link set eth0 up; then
		say "FAIL cannot configure $ip"
		return 1
	fi
}

bench_net_server() {
	net_up || return 1
	# A FIFO opened read-write never ends: busybox nc half-closes the
	# connection when its stdin ends, which would stop the client early.
	mkfifo /tmp/hold
	timeout "$wait_s" nc -l -p 5201 <>/tmp/hold >/dev/null 2>&1 ||
		{ say "FAIL no client within $wait_s s"; return 1; }
	echo "BULKHEAD-RUN: net server received the stream"
	say_clock
}

bench_net_client() {
	local t0 t1 start pk0
	net_up || return 1
	[ -n "$peer" ] || { say "FAIL bulkhead.peer= is needed"; return 1; }
	start=$(uptime_cs)
	pk0=$(cat /sys/class/net/eth0/statistics/tx_packets)
	# Connection attempts repeat until the server listens.
	while :; do
		t0=$(uptime_cs)
		dd if=/dev/zero bs=65536 count=$((mib * 16)) 2>/dev/null |
			timeout "$wait_s" nc "$peer" 5201 2>/dev/null && break
		[ $((t0 - start)) -lt $((wait_s * 100)) ] ||
			{ say "FAIL could not send to $peer:5201 in $wait_s s"; return 1; }
		sleep 1
	done
	t1=$(uptime_cs)
	report net $((mib * 1048576)) $((t1 - t0))
	# Frames per MiB: how many of nc's writes the guest's TCP merged into
	# each frame (TSO, Nagle), to compare with the same guest under KVM.
	echo "BULKHEAD-RUN: net client sent $(($(cat /sys/class/net/eth0/statistics/tx_packets) - pk0)) frames"
	say_clock
}

case "$role" in
bench-disk) bench_disk ;;
bench-net-server) bench_net_server ;;
bench-net-client) bench_net_client ;;
*) say "FAIL unknown bulkhead.role '$role' (bench-disk, bench-net-server, bench-net-client)" ;;
esac
say "done"
