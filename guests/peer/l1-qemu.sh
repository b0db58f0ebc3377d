# SPDX-License-Identifier: BSD-2-Clause
# /init's script in the L1 Linux of bench-peer's Linux workloads
# (scripts/bench-peer.sh --parts virtio, docs/benchmarks.md "Peer: KVM and
# QEMU as the VMM"): Linux KVM is the hypervisor, Debian's QEMU 7.2 the VMM
# (scripts/bench-peer-qemu-image.sh put it and its libraries here), and the
# L2 guests are the same kernel and initramfs images Bulkhead's
# scripts/bench-linux.sh and bench-virtio.sh boot as partitions, with the
# same command lines and guest RAM.
#
# L1's kernel command line says what to run:
#   peer.parts=boot,disk,net   the workloads, in this order (default all)
#   peer.mib=N                 MiB per disk pass (bulkhead.mib of the disk guest)
#   peer.net_mib=N             MiB of the TCP stream (bulkhead.mib of the client)
#   peer.mem=SIZE              L2 guest RAM (256M, as bench-virtio/bench-linux)
#
# Each L2 serial line is printed as "peer-l2 TAG T: LINE", T being L1's
# /proc/uptime when L1 read it; "PEER-QEMU: TAG start T" is printed right
# before that QEMU is started, so
#   boot time = T(BULKHEAD-INIT: reached /init) - T(start)
# is KVM+QEMU's time from starting the VMM to the guest's /init. The
# workloads print their BULKHEAD-BENCH: lines (guests/linux/virtio-bench.sh).
echo "PEER-QEMU: begin"
if [ ! -c /dev/kvm ]; then
	echo "PEER-QEMU: no /dev/kvm (kvm_amd did not load: is SVM offered to this machine?)"
	exit 1
fi
for p in nested npt nrips; do
	[ -r /sys/module/kvm_amd/parameters/$p ] &&
		echo "PEER-QEMU: kvm_amd $p=$(cat /sys/module/kvm_amd/parameters/$p)"
done
echo "PEER-QEMU: cmdline $(cat /proc/cmdline)"
echo "PEER-QEMU: cpus $(grep -c ^processor /proc/cpuinfo)"

arg() { # NAME DEFAULT: peer.NAME= from the command line
	local v
	v=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^peer\\.$1=//p" | tail -n 1)
	echo "${v:-$2}"
}
parts=$(arg parts boot,disk,net | tr ',' ' ')
mib=$(arg mib 64)
net_mib=$(arg net_mib 32)
mem=$(arg mem 256M)

# The libraries are in Debian's multiarch directory; without an
# ld.so.cache the loader finds them there anyway, this only makes it certain.
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu
QEMU=/usr/bin/qemu-system-x86_64
K=/peer/l2/vmlinuz
CMDLINE="console=ttyS0 quiet"
ip link set lo up

# stamp TAG: each line of stdin, carriage returns dropped, with L1's uptime.
# `read` from /proc/uptime is a shell builtin: no process per line.
stamp() {
	local line up rest
	tr -d '\r' | while IFS= read -r line; do
		read -r up rest </proc/uptime
		echo "peer-l2 $1 $up: $line"
	done
}

start() { # TAG: the start mark
	local up rest
	read -r up rest </proc/uptime
	echo "PEER-QEMU: $1 start $up"
}

# l2 TAG INITRD APPEND [QEMU ARGS]: one L2 guest under KVM, serial on stdout.
# -nodefaults: only the devices asked for (the serial port comes with
# -serial), no VGA or NIC option ROMs; -kernel boots through SeaBIOS and
# linuxboot_dma.bin as QEMU does for the TCG reference.
l2() {
	local tag=$1 initrd=$2 append=$3
	shift 3
	start "$tag"
	# shellcheck disable=SC2086 # $mem is one word
	# The status says how it ended: 0 also when the guest reset or
	# triple-faulted (-no-reboot).
	{
		"$QEMU" -accel kvm -cpu host -m $mem -smp 1 -nodefaults -no-user-config \
			-display none -monitor none -serial stdio -no-reboot \
			-kernel "$K" -initrd "$initrd" -append "$append" "$@" </dev/null 2>&1
		echo "QEMU exit status $?"
	} | stamp "$tag"
	echo "PEER-QEMU: $tag QEMU exited"
}

# qemu_pids ROLE: the PIDs of the QEMUs whose guest has bulkhead.role=ROLE
# (busybox has no pkill).
qemu_pids() {
	local d c
	for d in /proc/[0-9]*; do
		c=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) || continue
		case $c in "$QEMU "*"bulkhead.role=$1 "*) echo "${d#/proc/}" ;; esac
	done
}

# A guest whose peer is gone waits for it up to bulkhead.wait (900 s), and
# the round then ends only by bench-peer's L1 timeout. ends_with PEER-PID
# OTHER-PID ROLE: once the peer's QEMU has exited, give the other one (the
# guest of bulkhead.role=ROLE) GRACE seconds to finish, then stop its QEMU.
GRACE=60
ends_with() {
	local peer=$1 other=$2 role=$3 n=0
	while kill -0 "$other" 2>/dev/null; do
		if ! kill -0 "$peer" 2>/dev/null; then
			n=$((n + 1))
			if [ $n -ge $GRACE ]; then
				echo "PEER-QEMU: the peer's QEMU ended ${GRACE} s ago: stopping $role"
				# shellcheck disable=SC2046 # one word per PID
				kill $(qemu_pids "$role") 2>/dev/null
				break
			fi
		fi
		sleep 1
	done
}

# The devices bench-virtio.sh's QEMU reference gives every guest: virtio-rng
# and a virtio console, modern-only as Bulkhead offers them.
# virtio_base HVC0-FILE: their QEMU arguments.
virtio_base() {
	echo "-device virtio-rng-pci,disable-legacy=on" \
		"-device virtio-serial-pci,disable-legacy=on,max_ports=1" \
		"-chardev file,id=hvc0,path=$1 -device virtconsole,chardev=hvc0"
}

port_listening() { # PORT (hex, 4 digits)
	grep -qE "^ *[0-9]+: [0-9A-F]{8}:$1 [0-9A-F]{8}:0000 0A " /proc/net/tcp
}

status=0
for part in $parts; do
	case "$part" in
	boot)
		l2 boot /peer/l2/boot.cpio.gz "$CMDLINE" ;;
	disk)
		rm -f /tmp/disk.img
		truncate -s "${mib}M" /tmp/disk.img || { echo "PEER-QEMU: cannot make the disk"; status=1; continue; }
		# shellcheck disable=SC2046
		l2 disk /peer/l2/virtio.cpio.gz \
			"$CMDLINE bulkhead.role=bench-disk bulkhead.mib=$mib" $(virtio_base /tmp/hvc0-disk.log) \
			-drive file=/tmp/disk.img,format=raw,if=none,id=d0 \
			-device virtio-blk-pci,drive=d0,disable-legacy=on
		rm -f /tmp/disk.img ;;
	net)
		# Two guests joined by -netdev socket over L1's loopback, as
		# bench-virtio.sh joins two QEMUs on the host. The server's QEMU
		# listens before its guest boots; the client connects then.
		# shellcheck disable=SC2046
		l2 net-server /peer/l2/virtio.cpio.gz \
			"$CMDLINE bulkhead.role=bench-net-server bulkhead.ip=10.0.0.1 bulkhead.wait=900" \
			$(virtio_base /tmp/hvc0-server.log) -netdev socket,id=n0,listen=127.0.0.1:5555 \
			-device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01,disable-legacy=on,romfile= &
		server=$!
		n=0
		while ! port_listening 15B3; do
			n=$((n + 1))
			[ $n -lt 600 ] && kill -0 $server 2>/dev/null || break
			sleep 0.1
		done
		# shellcheck disable=SC2046
		l2 net-client /peer/l2/virtio.cpio.gz \
			"$CMDLINE bulkhead.role=bench-net-client bulkhead.ip=10.0.0.2 bulkhead.peer=10.0.0.1 bulkhead.mib=$net_mib bulkhead.wait=900" \
			$(virtio_base /tmp/hvc0-client.log) -netdev socket,id=n0,connect=127.0.0.1:5555 \
			-device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:02,disable-legacy=on,romfile= &
		client=$!
		ends_with $server $client bench-net-client
		wait $client
		ends_with $client $server bench-net-server
		wait $server ;;
	*)
		echo "PEER-QEMU: unknown part '$part' (boot, disk, net)"
		status=1 ;;
	esac
done
# L1's clock (and through kvmclock L2's) runs at the TSC frequency L1
# calibrated, and under a busy TCG host that calibration can be off: the
# frequencies are printed, and scripts/bench-peer.sh compares L1's time for
# the boot with the host's (the L1 clock check).
dmesg | grep -E "tsc: (Detected|Refined|Marking)|clocksource: Switched" | sed 's/^/PEER-QEMU: dmesg: /'
echo "PEER-QEMU: end"
exit $status
