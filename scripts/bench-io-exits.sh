#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Exits per MiB of virtio I/O (issue 15, "fewer exits per I/O"): how many VM
# exits a Linux partition takes for each MiB it moves through virtio-blk and
# virtio-net, its boot left out. Counts, not times, but not deterministic:
# the guest's timer ticks, its idle waits (HLT) and when its processes
# switch follow the wall clock, so a busier host gives more exits per MiB
# (docs/benchmarks.md gives the spread over runs).
#
#   scripts/bench-io-exits.sh [--build DIR] [--mib N] [--net-mib N]
#
# Each figure is a difference of two runs of the same partitions under
# Bulkhead (guests/linux/virtio-bench.sh, BUILD/linux/virtio-bench/), which
# differ only in how much they move:
#   blk  one disk partition; a long run (the bench's passes of --mib MiB,
#        writes then reads, for at least 2 s each) and a short one (one pass
#        each, bulkhead.secs=0). Bytes moved: the guest's BULKHEAD-RUN lines.
#   net  the two partitions of bench-virtio.sh's TCP stream; --net-mib MiB
#        (16) against 1 MiB. Sender and receiver are counted apart.
# exits per MiB = (exits of the long run - exits of the short run) / (MiB
# moved by the long run - MiB moved by the short run); the exits are those
# the hypervisor prints when the partition stops ("exits: N in all").
#
# Figures merged into DIR/bench.json: virtio_blk_exits_per_mib,
# virtio_net_tx_exits_per_mib and virtio_net_rx_exits_per_mib. Their
# "reference" is the device's own count per MiB over the same difference
# (virtio-blk notifies; virtio-net frames sent or received), so "ratio" is
# exits per request or per frame.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

BUILD=build MIB=64 NET_MIB=16
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	--mib) MIB=$2; shift 2 ;;
	--net-mib) NET_MIB=$2; shift 2 ;;
	-h | --help) sed -n '3,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-io-exits.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
[[ "$MIB" =~ ^[1-9][0-9]*$ ]] && [[ "$NET_MIB" =~ ^[1-9][0-9]*$ ]] && [ "$NET_MIB" -gt 1 ] ||
	{ echo "bench-io-exits.sh: --mib wants a positive number, --net-mib one above 1" >&2; exit 2; }
case "$BUILD" in /*) ;; *) BUILD=$repo/$BUILD ;; esac
OUT=$BUILD/bench-io-exits
IMG=$BUILD/linux/virtio-bench
KERNEL=$IMG/vmlinuz INITRD=$IMG/initrd.cpio.gz
for f in "$BUILD/bulkhead.elf" "$KERNEL" "$INITRD"; do
	[ -f "$f" ] || { echo "bench-io-exits.sh: $f is missing (make test-build linux-virtio-bench-images)" >&2; exit 1; }
done
mkdir -p "$OUT"
CMDLINE='console=ttyS0 quiet'

# run DIR MODULE...: Bulkhead with these modules, two CPUs, until every
# partition stopped.
run() {
	local dir=$1 m args=()
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	for m in "$@"; do args+=(--module "$m"); done
	"$here/run-qemu.sh" --kernel "$BUILD/bulkhead.elf" --append "on_idle=exit" --mem 1G \
		"${args[@]}" --log "$dir/serial.log" --run-dir "$dir" --timeout 300 --quiet \
		-- -smp 2 >/dev/null 2>&1
	grep -aq 'bulkhead: all partitions stopped' "$dir/serial.log" ||
		{ echo "bench-io-exits.sh: the run in $dir did not end (serial.log there)" >&2; return 1; }
}

# field DIR PARTITION SED-EXPRESSION: the first number it captures, or 0.
field() {
	local v
	v=$(sed -e 's/\r$//' "$1/serial.log" | sed -n "s/^\\[$2\\] $3/\\1/p" | head -n 1)
	echo "${v:-0}"
}
exits() { field "$1" "$2" 'exits: \([0-9]*\) in all.*'; }
run_bytes() { # DIR: bytes of the disk partition's BULKHEAD-RUN lines
	sed -e 's/\r$//' "$1/serial.log" |
		sed -n 's/^\[bench1\] BULKHEAD-RUN: blk_[a-z]* \([0-9]*\) bytes.*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }'
}

disk() { # DIR SECS
	truncate -s 0 "$OUT/disk.img" && truncate -s "${MIB}M" "$OUT/disk.img"
	run "$1" "$KERNEL name=bench1 mem=256M -- $CMDLINE bulkhead.role=bench-disk bulkhead.mib=$MIB bulkhead.secs=$2" \
		"$INITRD initrd-for=bench1" "$OUT/disk.img disk-for=bench1"
}

net() { # DIR MIB
	run "$1" \
		"$KERNEL name=bench1 mem=256M net=bench mac=52:54:00:00:00:01 -- $CMDLINE bulkhead.role=bench-net-server bulkhead.ip=10.0.0.1" \
		"$INITRD initrd-for=bench1" \
		"$KERNEL name=bench2 mem=256M net=bench mac=52:54:00:00:00:02 -- $CMDLINE bulkhead.role=bench-net-client bulkhead.ip=10.0.0.2 bulkhead.peer=10.0.0.1 bulkhead.mib=$2" \
		"$INITRD initrd-for=bench2"
}

disk "$OUT/blk-long" 2 && disk "$OUT/blk-short" 0 || exit 1
rm -f "$OUT/disk.img"
net "$OUT/net-long" "$NET_MIB" && net "$OUT/net-short" 1 || exit 1

notifies() { field "$1" bench1 '  virtio-blk vda *\([0-9]*\) notifies.*'; }
frames() { # DIR PARTITION sent|received
	if [ "$3" = sent ]; then
		field "$1" "$2" '  eth0: sent \([0-9]*\) frames.*'
	else
		field "$1" "$2" '  eth0: sent [0-9]* frames ([0-9]* bytes), received \([0-9]*\) frames.*'
	fi
}

blk_mib=$(awk -v a="$(run_bytes "$OUT/blk-long")" -v b="$(run_bytes "$OUT/blk-short")" \
	'BEGIN { printf "%.3f", (a - b) / 1048576 }')
net_mib=$((NET_MIB - 1))

# figure NAME LABEL EXITS_LONG EXITS_SHORT EVENTS_LONG EVENTS_SHORT MIB EVENT
figure() {
	local line
	line=$(awk -v el="$3" -v es="$4" -v nl="$5" -v ns="$6" -v mib="$7" 'BEGIN {
		if (mib <= 0 || el <= es || nl <= ns) exit 1
		e = (el - es) / mib; n = (nl - ns) / mib
		printf "%.1f %.1f %.2f", e, n, e / n }') ||
		{ echo "bench: $1 not measured (exits $3/$4, events $5/$6, $7 MiB)"; return 1; }
	read -r e n r <<<"$line"
	printf 'bench: %-30s %8s exits per MiB (%s %s per MiB: %s exits per %s)\n' \
		"$2" "$e" "$n" "$8s" "$r" "$8"
	python3 - "$BUILD/bench.json" "$1" "$e" "$n" "$8" <<'PY'
import json, os, sys
out, name, e, n, ev = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
figs = json.load(open(out)) if os.path.exists(out) else {}
figs[name] = {"value": e, "unit": "exits per MiB", "reference": n,
              "reference_unit": ev + "s per MiB", "ratio": round(e / n, 2)}
json.dump(figs, open(out, "w"), indent=2, sort_keys=True)
PY
}

ok=0
figure virtio_blk_exits_per_mib "virtio-blk (write and read)" \
	"$(exits "$OUT/blk-long" bench1)" "$(exits "$OUT/blk-short" bench1)" \
	"$(notifies "$OUT/blk-long")" "$(notifies "$OUT/blk-short")" "$blk_mib" request || ok=1
figure virtio_net_tx_exits_per_mib "virtio-net TCP, sender" \
	"$(exits "$OUT/net-long" bench2)" "$(exits "$OUT/net-short" bench2)" \
	"$(frames "$OUT/net-long" bench2 sent)" "$(frames "$OUT/net-short" bench2 sent)" "$net_mib" frame || ok=1
figure virtio_net_rx_exits_per_mib "virtio-net TCP, receiver" \
	"$(exits "$OUT/net-long" bench1)" "$(exits "$OUT/net-short" bench1)" \
	"$(frames "$OUT/net-long" bench1 received)" "$(frames "$OUT/net-short" bench1 received)" "$net_mib" frame || ok=1
# Where the exits go, per MiB, for the docs' table.
for p in bench1 bench2; do
	echo "bench: net run, [$p] exits per MiB by reason:"
	join <(sed -e 's/\r$//' "$OUT/net-long/serial.log" | sed -n "s/^\\[$p\\]   \\([a-z-]*\\) *\\([0-9]*\\) exits.*/\\1 \\2/p" | sort) \
		<(sed -e 's/\r$//' "$OUT/net-short/serial.log" | sed -n "s/^\\[$p\\]   \\([a-z-]*\\) *\\([0-9]*\\) exits.*/\\1 \\2/p" | sort) |
		awk -v mib="$net_mib" '{ d = ($2 - $3) / mib; if (d >= 0.05 || d <= -0.05) printf "bench:   %-14s %8.1f\n", $1, d }'
done
exit $ok
