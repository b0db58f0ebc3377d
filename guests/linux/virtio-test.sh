# SPDX-License-Identifier: BSD-2-Clause
# The run script of the Linux virtio test (issue 5), run by the test
# initramfs's /init (guests/linux/build-images.sh --script) after it loaded
# virtio_pci, virtio_blk, virtio_net, virtio_console, virtio_rng, ext4 and
# crc32c_generic (ext4 refuses to mount without a crc32c driver).
# One initramfs serves both partitions; the kernel command line says which:
#
#   bulkhead.role=disk|peer   disk: also runs the virtio-blk persistence test
#   bulkhead.ip=A.B.C.D[/N]   this side's eth0 address (default prefix /24)
#   bulkhead.peer=A.B.C.D     the other side's address
#   bulkhead.wait=SECONDS     how long to wait for the other side (default 180)
#   bulkhead.netmib=N         MiB sent each way over TCP (default 10)
#
# Every step prints one line "BULKHEAD-RUN: <what> ok|FAIL <detail>" (the
# integration test matches them) and goes on after a failure, so one run
# shows everything that works.
#
#   virtio devices  the virtio PCI functions (modern IDs 0x1041...) and which
#                   driver bound each
#   rng             /sys/class/misc/hw_random/rng_current names virtio_rng;
#                   64 bytes from /dev/hwrng, not all equal
#   hvc0            "BULKHEAD-HVC0: hello from <role>" written to /dev/hvc0
#                   (a partition without devices=console says "hvc0 none")
#   disk (role disk) boot 1: no file system or no marker on /dev/vda ->
#                   mke2fs, a file of random bytes, its sha256, umount,
#                   reboot -f; boot 2: mount, the same sha256 -> "disk
#                   persisted ok <sum>"
#   eth0, ping      the address from the command line, 3 echo replies
#   tcp             N MiB each way with busybox nc: the disk side sends to
#                   the peer's port 5001, then the peer sends to the disk
#                   side's port 5002. The stream starts with the sender's
#                   sha256 line, so the receiver checks on its own and prints
#                   both sums.
# Then "BULKHEAD-RUN: all done"; /init powers off.

say() { echo "BULKHEAD-RUN: $*"; }

# param, read_cmdline; uptime_cs, wait_for (build-images.sh --lib
# guests/linux/cmdline.sh and guests/linux/wait.sh).
. /lib/bulkhead/cmdline.sh
. /lib/bulkhead/wait.sh

# bound DRIVER: the virtio devices DRIVER drives, e.g. "virtio1".
bound() {
	local d names=''
	for d in /sys/bus/virtio/drivers/"$1"/virtio*; do
		[ -e "$d" ] && names="$names${names:+ }${d##*/}"
	done
	echo "$names"
}

sha() { sha256sum | cut -d' ' -f1; }

# rate BYTES CENTISECONDS: "1.23 s, 4.5 MiB/s" (busybox sh has integers only).
rate() {
	local cs=$2 kib
	[ "$cs" -gt 0 ] || cs=1
	kib=$(($1 * 100 / cs / 1024))
	echo "$((cs / 100)).$((cs / 10 % 10))$((cs % 10)) s, $((kib / 1024)).$((kib * 10 / 1024 % 10)) MiB/s"
}

read_cmdline 180
netmib=$(param netmib 10)
say "role ${role:-none} ip ${ip:-none} peer ${peer:-none}"

# ---- the virtio PCI functions --------------------------------------------
pci_devices() {
	local d n=0 ids drv irq
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1af4 ] || continue
		ids="$(cat "$d/device")"
		drv=$(readlink "$d/driver")
		# msi_irqs/ lists the MSI-X vectors the driver allocated.
		irq="intx $(cat "$d/irq")"
		[ -d "$d/msi_irqs" ] && irq="msi-x $(ls "$d/msi_irqs" | wc -l) vectors"
		n=$((n + 1))
		case "$ids" in
		0x104[0-9a-f]) say "pci ${d##*/} 1af4:${ids#0x} modern ok driver ${drv##*/} $irq" ;;
		*) say "pci ${d##*/} 1af4:${ids#0x} FAIL not a modern (virtio 1.x) device id" ;;
		esac
	done
	[ $n -gt 0 ] || say "pci FAIL no virtio PCI function"
	for d in virtio_blk virtio_net virtio_console virtio_rng; do
		if [ -n "$(bound $d)" ]; then
			say "bound $d ok $(bound $d)"
		elif [ $d = virtio_blk ] && [ "$role" != disk ]; then
			say "bound $d none (only role disk needs a disk)"
		elif [ $d = virtio_console ]; then
			say "bound $d none (devices=console not given)"
		else
			say "bound $d FAIL no device"
		fi
	done
}

# ---- virtio-rng ------------------------------------------------------------
rng_test() {
	local cur distinct
	cur=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
	case "$cur" in
	virtio*) say "rng current ok $cur" ;;
	*) say "rng current FAIL '${cur:-no hw_random}'"; return 1 ;;
	esac
	if ! timeout 10 dd if=/dev/hwrng of=/tmp/rng64 bs=64 count=1 iflag=fullblock 2>/dev/null ||
		[ "$(wc -c </tmp/rng64)" -ne 64 ]; then
		say "rng read FAIL no 64 bytes from /dev/hwrng in 10 s"
		return 1
	fi
	distinct=$(od -An -v -tx1 /tmp/rng64 | tr -s ' ' '\n' | sed '/^$/d' | sort -u | wc -l)
	if [ "$distinct" -gt 1 ]; then
		say "rng read ok 64 bytes, $distinct distinct values"
	else
		say "rng read FAIL 64 bytes all equal"
	fi
}

# ---- virtio-console ----------------------------------------------------------
hvc_test() {
	# The console is optional (devices=console): none bound, nothing to test.
	if [ -z "$(bound virtio_console)" ]; then
		say "hvc0 none (no virtio console)"
		return 0
	fi
	if ! wait_for /dev/hvc0 5; then
		say "hvc0 FAIL virtio_console bound but no /dev/hvc0"
		return 1
	fi
	# Closing a tty waits for its output to drain: bounded, in case the
	# host side never takes it.
	if timeout 10 sh -c "echo 'BULKHEAD-HVC0: hello from ${role:-none}' >/dev/hvc0"; then
		say "hvc0 ok wrote hello"
	else
		say "hvc0 FAIL write failed"
	fi
}

# ---- virtio-blk: persistence across a reboot ---------------------------------------
DISK_FILE=/mnt/random.bin
DISK_MARK=/mnt/bulkhead-boot1

mount_disk() {
	mount -t ext2 /dev/vda /mnt 2>/dev/null || mount -t ext4 /dev/vda /mnt 2>/dev/null
}

disk_boot1() {
	local src=/dev/urandom sum
	umount /mnt 2>/dev/null
	if ! mke2fs -F /dev/vda >/tmp/mke2fs.log 2>&1; then
		say "disk mkfs FAIL $(tail -n 1 /tmp/mke2fs.log)"
		return 1
	fi
	if ! mount_disk; then
		say "disk mount FAIL after mke2fs: $(dmesg | tail -n 1)"
		return 1
	fi
	say "disk mkfs ok ext2 on /dev/vda"
	[ -c /dev/hwrng ] && src=/dev/hwrng
	if ! timeout 60 dd if=$src of=$DISK_FILE bs=4096 count=64 iflag=fullblock 2>/dev/null; then
		say "disk write FAIL 256 KiB from $src"
		umount /mnt
		return 1
	fi
	sum=$(sha <$DISK_FILE)
	echo "$sum" >$DISK_MARK
	umount /mnt && sync
	say "disk wrote ok 256 KiB from $src sha256 $sum"
	say "disk rebooting"
	sleep 1 # let the console drain: reboot -f does not wait for it
	reboot -f
	sleep 10
	say "disk reboot FAIL reboot -f returned"
	return 1
}

disk_test() {
	local size want got
	if ! wait_for /dev/vda 10; then
		say "disk FAIL no /dev/vda"
		return 1
	fi
	size=$(cat /sys/block/vda/size)
	say "disk ok /dev/vda $((size / 2)) KiB"
	mkdir -p /mnt
	if ! mount_disk || [ ! -f $DISK_MARK ]; then
		say "disk boot 1"
		disk_boot1
		return 1
	fi
	say "disk boot 2"
	want=$(cat $DISK_MARK)
	got=$(sha <$DISK_FILE)
	# Boot 2 consumes the marker: a later boot starts over.
	rm -f $DISK_MARK
	umount /mnt
	if [ "$got" = "$want" ]; then
		say "disk persisted ok $got"
	else
		say "disk persisted FAIL read sha256 $got, wrote $want"
	fi
}

# ---- virtio-net ---------------------------------------------------------------
# A FIFO opened read-write never delivers EOF: busybox nc half-closes the
# connection when its stdin ends, so a receiver's stdin must stay open.
HOLD=/tmp/hold

net_up() {
	if ! wait_for /sys/class/net/eth0 10; then
		say "eth0 FAIL no eth0"
		return 1
	fi
	if [ -z "$ip" ] || [ -z "$peer" ]; then
		say "eth0 FAIL bulkhead.ip= and bulkhead.peer= are needed"
		return 1
	fi
	ip link set lo up
	if ! ip addr add "$ip" dev eth0 || ! ip link set eth0 up; then
		say "eth0 FAIL cannot configure $ip"
		return 1
	fi
	say "eth0 ok $ip mac $(cat /sys/class/net/eth0/address)"
}

# ping_peer: wait until the peer answers, then count three echo replies.
ping_peer() {
	local t0 out
	t0=$(uptime_cs)
	while ! ping -c 1 -W 1 "$peer" >/dev/null 2>&1; do
		if [ $(($(uptime_cs) - t0)) -gt $((wait_s * 100)) ]; then
			say "ping FAIL no reply from $peer in $wait_s s"
			return 1
		fi
		sleep 1
	done
	out=$(ping -c 3 -i 0.2 -W 2 "$peer" 2>&1)
	if echo "$out" | grep -q ' 3 packets received'; then
		say "ping ok $peer 3/3 $(echo "$out" | sed -n 's/.*min\/avg\/max = /rtt /p')"
	else
		say "ping FAIL $peer: $(echo "$out" | grep 'packets' || echo no summary)"
	fi
}

# tcp_send PORT: the sha256 line, then netmib MiB of random bytes, to the
# peer's PORT; connection attempts repeat until the peer listens.
tcp_send() {
	local port=$1 sum t0 t1 cs
	dd if=/dev/urandom of=/tmp/tx bs=1048576 count="$netmib" 2>/dev/null
	sum=$(sha </tmp/tx)
	t0=$(uptime_cs)
	while :; do
		t1=$(uptime_cs)
		if { echo "$sum"; cat /tmp/tx; } | timeout "$wait_s" nc "$peer" "$port" 2>/dev/null; then
			break
		fi
		if [ $((t1 - t0)) -gt $((wait_s * 100)) ]; then
			say "tcp send FAIL could not send to $peer:$port in $wait_s s"
			rm -f /tmp/tx
			return 1
		fi
		sleep 1
	done
	cs=$(($(uptime_cs) - t1))
	say "tcp sent ok $((netmib * 1048576)) bytes to $peer:$port sha256 $sum in $(rate $((netmib * 1048576)) $cs)"
	rm -f /tmp/tx
}

# tcp_receive PORT: one connection on PORT; checks the sha256 the sender put
# in front of the bytes.
tcp_receive() {
	local port=$1 want got size
	[ -p $HOLD ] || mkfifo $HOLD
	if ! timeout "$wait_s" nc -l -p "$port" <>$HOLD >/tmp/rx 2>/dev/null; then
		say "tcp receive FAIL nothing on port $port in $wait_s s"
		rm -f /tmp/rx
		return 1
	fi
	want=$(head -n 1 /tmp/rx)
	size=$(($(wc -c </tmp/rx) - 65))
	got=$(tail -c +66 /tmp/rx | sha)
	rm -f /tmp/rx
	if [ "$got" = "$want" ] && [ $size -eq $((netmib * 1048576)) ]; then
		say "tcp received ok $size bytes on port $port sha256 $got sender $want"
	else
		say "tcp received FAIL $size bytes on port $port sha256 $got sender ${want:-none}"
	fi
}

net_test() {
	net_up || return 1
	case "$role" in
	disk)
		ping_peer
		tcp_send 5001
		tcp_receive 5002 ;;
	*)
		tcp_receive 5001
		ping_peer
		tcp_send 5002 ;;
	esac
}

# Case matters: QEMU's "MP-BIOS bug: 8254 timer not connected" is no oops.
TROUBLE_RE='Oops|Kernel panic|BUG:|WARNING: CPU|Call Trace|virtio.*(error|fail|broken)'

oops_check() {
	if dmesg | grep -qE "$TROUBLE_RE"; then
		say "kernel trouble FAIL:"
		dmesg | grep -E -A3 "$TROUBLE_RE" | head -n 20
	else
		say "no oops ok"
	fi
}

pci_devices
rng_test
hvc_test
[ "$role" = disk ] && disk_test
net_test
oops_check
say "all done"
