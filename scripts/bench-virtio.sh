#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# virtio benchmark (issue 5): Debian's stock kernel moving data through
# virtio-blk and virtio-net as Bulkhead partitions, against the same kernel,
# initramfs and command line under QEMU TCG with QEMU's own virtio 1.x PCI
# devices (disable-legacy=on: the modern interface only, as Bulkhead offers).
#
#   scripts/bench-virtio.sh [--build DIR] [--runs N] [--mib N] [--net-mib N]
#       [--reference-only | --bulkhead-only]
#   scripts/bench-virtio.sh [--build DIR] --qemu-test
#
# The guests run guests/linux/virtio-bench.sh (BUILD/linux/virtio-bench/,
# make linux-virtio-bench-images) and print BULKHEAD-BENCH: lines:
#   disk  one guest with a --mib MiB disk (64): sequential O_DIRECT write,
#         then read, of the whole disk in 1 MiB blocks, repeated for at least
#         2 s each. Reference: a raw image file on virtio-blk-pci. Bulkhead:
#         a zero-filled disk module (disk-for=).
#   net   two guests, one TCP stream of --net-mib MiB (32; busybox nc) from
#         client to server. Reference: two QEMUs joined by -netdev socket. Bulkhead:
#         two partitions on one switch (net=), QEMU -smp 2.
# Figures merged into DIR/bench.json, in MiB/s (higher is better, so a ratio
# below 1 means Bulkhead is slower): virtio_blk_write_ratio,
# virtio_blk_read_ratio, virtio_net_ratio = {"value": Bulkhead, "unit":
# "MiB/s", "reference": QEMU's own devices, "ratio": value / reference}.
# A figure whose Bulkhead side could not be measured prints "not measured"
# and is removed from bench.json (never a stale or made-up number); the
# reference figures and boot times to /init are printed either way.
# --runs N: the median of N runs per side (default 1: a run is long).
# --reference-only: skip the Bulkhead side and leave bench.json alone
#   (scripts/bench-peer.sh's ceiling: the guests under QEMU TCG directly).
# --bulkhead-only: skip the QEMU TCG reference and leave bench.json alone:
#   only Bulkhead's figures are printed (scripts/bench-peer.sh, whose
#   reference is KVM with QEMU in an L1 Linux, reads them from the logs in
#   BUILD/bench-virtio/hv-disk<i>/ and hv-net<i>/).
#
# --qemu-test: instead, run the functional test (guests/linux/virtio-test.sh,
# BUILD/linux/virtio/, make linux-virtio-images) under QEMU directly: the
# peer guest and the disk guest's two boots (QEMU exits at the reboot; the
# second boot uses the same disk image), then check their BULKHEAD- lines.
#
# At most two QEMUs run at once (the CI machines have two cores).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

BUILD=build RUNS=1 MIB=64 NET_MIB=32 REF_ONLY=0 HV_ONLY=0 QEMU_TEST=0
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--mib) MIB=$2; shift 2 ;;
	--net-mib) NET_MIB=$2; shift 2 ;;
	--reference-only) REF_ONLY=1; shift ;;
	--bulkhead-only) HV_ONLY=1; shift ;;
	--qemu-test) QEMU_TEST=1; shift ;;
	-h | --help) sed -n '3,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-virtio.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "bench-virtio.sh: --runs wants a positive number" >&2; exit 2; }
[[ "$MIB" =~ ^[1-9][0-9]*$ ]] && [[ "$NET_MIB" =~ ^[1-9][0-9]*$ ]] ||
	{ echo "bench-virtio.sh: --mib and --net-mib want a positive number" >&2; exit 2; }
case "$BUILD" in /*) ;; *) BUILD=$repo/$BUILD ;; esac
OUT=$BUILD/bench-virtio
mkdir -p "$OUT"

INIT_RE='BULKHEAD-INIT: reached /init'
CMDLINE='console=ttyS0 quiet'
GUEST_MEM=256M
LIMIT=150 # seconds per emulator run

# ---- QEMU's own devices (the reference) -------------------------------------

# qemu_guest DIR KERNEL INITRD APPEND [QEMU ARGS...]: one guest booted by
# QEMU directly, serial in DIR/serial.log, virtio console in DIR/hvc0.log,
# the time to /init in DIR/result. Besides the disk and network the caller
# adds, it has virtio-rng and a virtio console, all modern-only
# (disable-legacy=on) as Bulkhead offers them.
qemu_guest() {
	local dir=$1 kernel=$2 initrd=$3 append=$4
	shift 4
	mkdir -p "$dir"
	# shellcheck disable=SC2054 # commas belong to QEMU option values
	"$here/run-qemu.sh" --kernel "$kernel" --append "$append" --mem "$GUEST_MEM" \
		--log "$dir/serial.log" --run-dir "$dir" --timeout "$LIMIT" --quiet --mark "$INIT_RE" \
		-- -initrd "$initrd" \
		-device virtio-rng-pci,disable-legacy=on \
		-device virtio-serial-pci,disable-legacy=on,max_ports=1 \
		-chardev "file,id=hvc0,path=$dir/hvc0.log" -device virtconsole,chardev=hvc0 \
		"$@" >/dev/null 2>&1
}

# A free local TCP port for -netdev socket.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		port_listening "$p" || { echo "$p"; return; }
	done
}

# port_listening PORT: someone listens on 127.0.0.1:PORT (or any address).
port_listening() {
	local hex
	hex=$(printf '%04X' "$1")
	grep -qE "^ *[0-9]+: [0-9A-F]{8}:$hex [0-9A-F]{8}:0000 0A " /proc/net/tcp
}

# wait_listening PORT PID: until QEMU (PID) listens on PORT; 1 if it died.
wait_listening() {
	local n=0
	while ! port_listening "$1"; do
		kill -0 "$2" 2>/dev/null || return 1
		[ $n -lt 200 ] || return 1
		sleep 0.05
		n=$((n + 1))
	done
}

# qemu_pair DIR_LISTEN DIR_CONNECT KERNEL INITRD APPEND_LISTEN APPEND_CONNECT:
# two guests joined by a TCP socket netdev; the first listens (and starts first).
qemu_pair() {
	local d1=$1 d2=$2 kernel=$3 initrd=$4 a1=$5 a2=$6 port pid1
	port=$(free_port)
	# shellcheck disable=SC2054
	qemu_guest "$d1" "$kernel" "$initrd" "$a1" \
		-netdev "socket,id=n0,listen=127.0.0.1:$port" \
		-device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01,disable-legacy=on &
	pid1=$!
	if ! wait_listening "$port" "$pid1"; then
		echo "bench-virtio.sh: the listening QEMU never listened on port $port ($d1)" >&2
		wait "$pid1"
		return 1
	fi
	# shellcheck disable=SC2054
	qemu_guest "$d2" "$kernel" "$initrd" "$a2" \
		-netdev "socket,id=n0,connect=127.0.0.1:$port" \
		-device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:02,disable-legacy=on
	wait "$pid1"
	return 0
}

# The value of "KEY=N" on a line "[PREFIX]BULKHEAD-BENCH: KEY=N" of a log.
bench_value() { # log key [partition name]
	local prefix=''
	[ -z "${3:-}" ] || prefix="\\[$3\\] "
	sed -e 's/\r$//' "$1" | sed -n "s/^${prefix}BULKHEAD-BENCH: $2=\\([0-9][0-9]*\\)\$/\\1/p" | head -n 1
}

bench_failure() { # log [partition name]: the guest's FAIL line, if any
	local prefix=''
	[ -z "${2:-}" ] || prefix="\\[$2\\] "
	sed -e 's/\r$//' "$1" | sed -n "s/^${prefix}BULKHEAD-BENCH: FAIL /guest: /p" | head -n 1
}

mark_ms() { sed -n "s/^mark$2_ms=//p" "$1/result" 2>/dev/null; }

# ---- the functional test under QEMU (--qemu-test) ------------------------------
qemu_test() {
	local img=$BUILD/linux/virtio dir=$OUT/qemu-test f ok=1 re
	for f in "$img/vmlinuz" "$img/initrd.cpio.gz"; do
		[ -f "$f" ] || { echo "bench-virtio.sh: $f is missing (make linux-virtio-images)" >&2; return 1; }
	done
	rm -rf "$dir"
	mkdir -p "$dir"
	# A private copy of the test's disk module (32 MiB of zeros): QEMU writes it.
	truncate -s 32M "$dir/disk.img"
	local peer="$CMDLINE bulkhead.role=peer bulkhead.ip=10.0.0.2 bulkhead.peer=10.0.0.1"
	local disk="$CMDLINE bulkhead.role=disk bulkhead.ip=10.0.0.1 bulkhead.peer=10.0.0.2"
	local port pid
	port=$(free_port)
	echo "bench-virtio.sh: QEMU test: peer, disk boot 1, disk boot 2 (files in $dir)"
	# The peer listens for both of the disk guest's boots: QEMU's socket
	# netdev accepts a new connection when the first one closes.
	# shellcheck disable=SC2054
	qemu_guest "$dir/peer" "$img/vmlinuz" "$img/initrd.cpio.gz" "$peer" \
		-netdev "socket,id=n0,listen=127.0.0.1:$port" \
		-device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:02,disable-legacy=on &
	pid=$!
	wait_listening "$port" "$pid" || { echo "bench-virtio.sh: the peer QEMU did not start" >&2; return 1; }
	for boot in 1 2; do
		# shellcheck disable=SC2054
		qemu_guest "$dir/disk$boot" "$img/vmlinuz" "$img/initrd.cpio.gz" "$disk" \
			-drive "file=$dir/disk.img,format=raw,if=none,id=d0" \
			-device virtio-blk-pci,drive=d0,disable-legacy=on \
			-netdev "socket,id=n0,connect=127.0.0.1:$port" \
			-device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01,disable-legacy=on
	done
	wait "$pid"
	for f in peer disk1 disk2; do
		echo "---- $f: $(sed -e 's/\r$//' "$dir/$f/hvc0.log" 2>/dev/null | head -n 1)"
		sed -e 's/\r$//' "$dir/$f/serial.log" | grep -a -E '^BULKHEAD-RUN:' | grep -v -E ' (pci|bound) '
	done
	check() { # log ERE
		grep -aqE -- "$2" "$1" || { echo "bench-virtio.sh: missing in ${1#"$dir"/}: $2"; ok=0; }
	}
	for f in peer disk1 disk2; do
		check "$dir/$f/serial.log" '^BULKHEAD-RUN: rng read ok 64 bytes'
		check "$dir/$f/serial.log" '^BULKHEAD-RUN: bound virtio_net ok'
		check "$dir/$f/hvc0.log" "^BULKHEAD-HVC0: hello from (peer|disk)"
		if grep -aqE 'BULKHEAD-RUN: .* FAIL' "$dir/$f/serial.log"; then
			echo "bench-virtio.sh: $f: $(grep -a -m1 -E 'BULKHEAD-RUN: .* FAIL' "$dir/$f/serial.log")"
			ok=0
		fi
	done
	check "$dir/disk1/serial.log" '^BULKHEAD-RUN: disk wrote ok'
	check "$dir/disk1/serial.log" '^BULKHEAD-RUN: disk rebooting'
	re=$(sed -n 's/^BULKHEAD-RUN: disk wrote ok .* sha256 \([0-9a-f]*\).*/\1/p' "$dir/disk1/serial.log")
	check "$dir/disk2/serial.log" "^BULKHEAD-RUN: disk persisted ok ${re:-MISSING}"
	for f in peer disk2; do
		check "$dir/$f/serial.log" '^BULKHEAD-RUN: ping ok'
		check "$dir/$f/serial.log" '^BULKHEAD-RUN: tcp sent ok'
		check "$dir/$f/serial.log" '^BULKHEAD-RUN: tcp received ok'
		check "$dir/$f/serial.log" '^BULKHEAD-RUN: all done'
	done
	for f in peer disk1 disk2; do
		printf 'bench-virtio.sh: %-5s reached /init after %s ms\n' "$f" "$(mark_ms "$dir/$f" 0)"
	done
	if [ $ok = 1 ]; then echo "bench-virtio.sh: QEMU test passed"; else echo "bench-virtio.sh: QEMU test FAILED"; fi
	[ $ok = 1 ]
}

if [ $QEMU_TEST = 1 ]; then
	qemu_test
	exit
fi

# ---- the benchmark ---------------------------------------------------------------
IMG=$BUILD/linux/virtio-bench
KERNEL=$IMG/vmlinuz INITRD=$IMG/initrd.cpio.gz
for f in "$KERNEL" "$INITRD"; do
	[ -f "$f" ] || { echo "bench-virtio.sh: $f is missing (make linux-virtio-bench-images)" >&2; exit 1; }
done
NET_SERVER="bulkhead.role=bench-net-server bulkhead.ip=10.0.0.1"
NET_CLIENT="bulkhead.role=bench-net-client bulkhead.ip=10.0.0.2 bulkhead.peer=10.0.0.1 bulkhead.mib=$NET_MIB"
DISK_ROLE="bulkhead.role=bench-disk bulkhead.mib=$MIB"

# ref_disk DIR: prints "write_kibps read_kibps init_ms"
ref_disk() {
	local dir=$1 w r
	rm -rf "$dir"
	mkdir -p "$dir"
	truncate -s "${MIB}M" "$dir/disk.img"
	# shellcheck disable=SC2054
	qemu_guest "$dir" "$KERNEL" "$INITRD" "$CMDLINE $DISK_ROLE" \
		-drive "file=$dir/disk.img,format=raw,if=none,id=d0" \
		-device virtio-blk-pci,drive=d0,disable-legacy=on
	rm -f "$dir/disk.img"
	w=$(bench_value "$dir/serial.log" blk_write_kibps) r=$(bench_value "$dir/serial.log" blk_read_kibps)
	[ -n "$w" ] && [ -n "$r" ] || { echo "bench-virtio.sh: reference disk run: no result ($dir/serial.log)" >&2; return 1; }
	echo "$w $r $(mark_ms "$dir" 0)"
}

# ref_net DIR: prints "net_kibps"
ref_net() {
	local dir=$1 v
	rm -rf "$dir"
	qemu_pair "$dir/server" "$dir/client" "$KERNEL" "$INITRD" \
		"$CMDLINE $NET_SERVER" "$CMDLINE $NET_CLIENT" || return 1
	v=$(bench_value "$dir/client/serial.log" net_kibps)
	[ -n "$v" ] || { echo "bench-virtio.sh: reference net run: no result ($dir/client/serial.log)" >&2; return 1; }
	echo "$v"
}

# ---- Bulkhead's devices ------------------------------------------------------------

# hv_run DIR MODULE...: Bulkhead with the partitions the module lines
# ("FILE MANIFEST", as in tests/integration/*.test) declare, QEMU -smp 2,
# until every partition has stopped. Returns 1 if the run did not end that way.
hv_run() {
	local dir=$1 m args=()
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	for m in "$@"; do args+=(--module "$m"); done
	"$here/run-qemu.sh" --kernel "$BUILD/bulkhead.elf" --append "on_idle=exit" --mem 1G \
		"${args[@]}" --log "$dir/serial.log" --run-dir "$dir" --timeout "$LIMIT" --quiet \
		--mark "\\] $INIT_RE" -- -smp 2 >/dev/null 2>&1
	grep -aq 'bulkhead: all partitions stopped' "$dir/serial.log"
}

# hv_why DIR NAME: one line saying why a partition gave no figure.
hv_why() {
	local log=$1/serial.log why
	# The hypervisor's complaint first: it explains the guest's.
	why=$(sed -e 's/\r$//' "$log" | grep -a -m1 -E "refus|manifest: |\\[$2\\] .*(needs reset|partition stopped: (failed|triple))" || true)
	[ -n "$why" ] || why=$(bench_failure "$log" "$2")
	[ -n "$why" ] || why="no BULKHEAD-BENCH line from [$2] (outcome $(sed -n 's/^outcome=//p' "$1/result" 2>/dev/null))"
	echo "$why ($log)"
}

# hv_disk DIR: prints "write_kibps read_kibps init_ms"
hv_disk() {
	local dir=$1 w r
	[ -f "$BUILD/bulkhead.elf" ] || { echo "$BUILD/bulkhead.elf is missing"; return 1; }
	mkdir -p "$OUT"
	truncate -s 0 "$OUT/hv-disk.img" && truncate -s "${MIB}M" "$OUT/hv-disk.img"
	hv_run "$dir" \
		"$KERNEL name=bench1 mem=$GUEST_MEM net=bench devices=rng,console -- $CMDLINE $DISK_ROLE" \
		"$INITRD initrd-for=bench1" \
		"$OUT/hv-disk.img disk-for=bench1"
	w=$(bench_value "$dir/serial.log" blk_write_kibps bench1)
	r=$(bench_value "$dir/serial.log" blk_read_kibps bench1)
	[ -n "$w" ] && [ -n "$r" ] || { hv_why "$dir" bench1; return 1; }
	# What the partition (1 vCPU, virtio-blk, -net, -rng, -console) costs
	# the hypervisor beyond its RAM, as the hypervisor measured it.
	local o
	o=$(sed -n 's/.*\[bench1\] hypervisor memory beyond guest RAM: \([0-9]*\) bytes.*/\1/p' \
		"$dir/serial.log" | head -n 1)
	echo "$w $r $(mark_ms "$dir" 0) ${o:-0}"
}

# hv_net DIR: prints "net_kibps"
hv_net() {
	local dir=$1 v
	[ -f "$BUILD/bulkhead.elf" ] || { echo "$BUILD/bulkhead.elf is missing"; return 1; }
	hv_run "$dir" \
		"$KERNEL name=bench1 mem=$GUEST_MEM net=bench mac=52:54:00:00:00:01 -- $CMDLINE $NET_SERVER" \
		"$INITRD initrd-for=bench1" \
		"$KERNEL name=bench2 mem=$GUEST_MEM net=bench mac=52:54:00:00:00:02 -- $CMDLINE $NET_CLIENT" \
		"$INITRD initrd-for=bench2"
	v=$(bench_value "$dir/serial.log" net_kibps bench2)
	[ -n "$v" ] || { hv_why "$dir" bench2; return 1; }
	echo "$v"
}

# ---- runs ----------------------------------------------------------------------
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
mibs() { awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'; }

ref_w=() ref_r=() ref_n=() ref_boot=() hv_w=() hv_r=() hv_n=() hv_boot=()
hv_disk_why='' hv_net_why='' overhead=0
[ $REF_ONLY = 1 ] && hv_disk_why='--reference-only' hv_net_why='--reference-only'
for ((i = 0; i < RUNS; i++)); do
	# Bulkhead and the reference alternate, so a busy machine slows both alike.
	if [ $HV_ONLY = 0 ] && read -r a b c < <(ref_disk "$OUT/ref-disk$i"); then
		ref_w+=("$a") ref_r+=("$b") ref_boot+=("$c")
	fi
	if [ -z "$hv_disk_why" ]; then
		res=$(hv_disk "$OUT/hv-disk$i")
		if read -r a b c d <<<"$res" && [[ "$a" =~ ^[0-9]+$ ]]; then
			hv_w+=("$a") hv_r+=("$b") hv_boot+=("$c") overhead=$d
		else
			hv_disk_why=$res
		fi
	fi
	if [ $HV_ONLY = 0 ] && a=$(ref_net "$OUT/ref-net$i"); then ref_n+=("$a"); fi
	if [ -z "$hv_net_why" ]; then
		res=$(hv_net "$OUT/hv-net$i")
		if [[ "$res" =~ ^[0-9]+$ ]]; then hv_n+=("$res"); else hv_net_why=$res; fi
	fi
done
rm -f "$OUT/hv-disk.img"

# One side only (--bulkhead-only, --reference-only): its medians, and
# bench.json left alone.
if [ $HV_ONLY = 1 ] || [ $REF_ONLY = 1 ]; then
	if [ $HV_ONLY = 1 ]; then
		side='under Bulkhead' disk_why=$hv_disk_why net_why=$hv_net_why
		declare -n side_w=hv_w side_r=hv_r side_n=hv_n
	else
		side="under QEMU TCG (its own devices)" disk_why='' net_why=''
		declare -n side_w=ref_w side_r=ref_r side_n=ref_n
	fi
	# side_figure WHAT VALUES-ARRAY-NAME WHY
	side_figure() {
		local -n vals=$2
		if [ ${#vals[@]} -gt 0 ] && [ -z "$3" ]; then
			printf 'bench: %-26s %8s MiB/s %s\n' "$1" "$(mibs "$(median "${vals[@]}")")" "$side"
		else
			printf 'bench: %-26s not measured %s (%s)\n' "$1" "$side" "${3:-no result}"
		fi
	}
	side_figure "virtio-blk write" side_w "$disk_why"
	side_figure "virtio-blk read" side_r "$disk_why"
	side_figure "virtio-net TCP" side_n "$net_why"
	[ ${#side_w[@]} -gt 0 ] && [ ${#side_n[@]} -gt 0 ] && [ -z "$disk_why$net_why" ]
	exit
fi

figures=() gone=()
# figure NAME WHAT VALUES-ARRAY-NAME REFERENCE-ARRAY-NAME WHY
figure() {
	local name=$1 what=$2 why=$5 v='' r=''
	local -n vals=$3 refs=$4
	[ ${#refs[@]} -eq 0 ] || r=$(median "${refs[@]}")
	[ ${#vals[@]} -eq 0 ] || [ -n "$why" ] || v=$(median "${vals[@]}")
	if [ -n "$v" ] && [ -n "$r" ]; then
		printf 'bench: %-26s %8s MiB/s under Bulkhead, %8s MiB/s QEMU virtio, ratio %s\n' "$what" \
			"$(mibs "$v")" "$(mibs "$r")" "$(awk -v v="$v" -v r="$r" 'BEGIN { printf "%.2f", v / r }')"
		figures+=("$name=$v:$r")
	else
		printf 'bench: %-26s not measured under Bulkhead (%s); QEMU virtio %s MiB/s\n' "$what" \
			"${why:-no result}" "$([ -n "$r" ] && mibs "$r" || echo '?')"
		gone+=("$name")
	fi
}
figure virtio_blk_write_ratio "virtio-blk write" hv_w ref_w "$hv_disk_why"
figure virtio_blk_read_ratio "virtio-blk read" hv_r ref_r "$hv_disk_why"
figure virtio_net_ratio "virtio-net TCP" hv_n ref_n "$hv_net_why"
[ ${#ref_boot[@]} -eq 0 ] ||
	echo "bench: boot to /init with the virtio modules: QEMU directly $(median "${ref_boot[@]}") ms$(
		[ ${#hv_boot[@]} -eq 0 ] || echo ", under Bulkhead $(median "${hv_boot[@]}") ms (from emulator start)")"

# The per-partition memory budget of issue 5: 256 KiB.
OVERHEAD_TARGET=262144
[ "$overhead" -gt 0 ] &&
	echo "bench: partition_overhead_bytes $overhead bytes beyond guest RAM (1 vCPU, blk+net+rng+console; target $OVERHEAD_TARGET)"
python3 - "$BUILD/bench.json" "$overhead" "$OVERHEAD_TARGET" "${#figures[@]}" "${figures[@]+"${figures[@]}"}" "${gone[@]+"${gone[@]}"}" <<'PY'
import json, sys
path, overhead, target, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
items, gone = sys.argv[5:5 + n], sys.argv[5 + n:]
try:
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, dict):
        data = {}
except (OSError, ValueError):
    data = {}
for item in items:
    key, vals = item.split("=", 1)
    v, r = (int(x) / 1024 for x in vals.split(":"))
    data[key] = {"value": round(v, 2), "unit": "MiB/s", "reference": round(r, 2),
                 "ratio": round(v / r, 3) if r else None}
if overhead > 0:
    data["partition_overhead_bytes"] = {"value": overhead, "unit": "bytes", "reference": target,
                                        "ratio": round(overhead / target, 3)}
for key in gone:
    data.pop(key, None)  # a stale figure would say more than this run measured
with open(path, "w") as f:
    json.dump(data, f, indent=2, sort_keys=True)
    f.write("\n")
PY
echo "bench: wrote $BUILD/bench.json"
[ ${#ref_w[@]} -gt 0 ] && [ ${#ref_n[@]} -gt 0 ]
