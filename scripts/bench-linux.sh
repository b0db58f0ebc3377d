#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Linux boot benchmark (issue 4): wall-clock time until Debian's stock kernel
# runs /init ("BULKHEAD-INIT: reached /init", guests/linux/build-images.sh)
# as a Bulkhead partition under QEMU TCG with SVM, against the same kernel,
# initramfs and command line booted directly by QEMU TCG in the same run.
# Both are timed from emulator start, so the hypervisor's own boot (about
# 0.5 s) counts against it; the time from "partition created" to /init is
# printed too. Runs alternate (a busy host slows both alike); the median of
# --runs counts. Also prints the ten most frequent exit reasons of the
# partition (exit statistics printed when it powers off).
#
#   scripts/bench-linux.sh [--build DIR] [--runs N] [--bulkhead-only]
#
# --bulkhead-only: no reference runs, bench.json left alone; prints the
# Bulkhead times only (scripts/bench-peer.sh reads them from BUILD/bench-linux/
# hv<i>/result: mark0_ms to /init, mark1_ms to "partition created").
#
# Needs $BUILD/linux/vmlinuz and initrd.cpio.gz (make linux-images). Merges
# linux_boot_ratio (value ms, reference ms) and linux_boot_exits_<reason>
# (value = exits of that reason, reference = all exits) into DIR/bench.json.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

BUILD=build RUNS=3 HV_ONLY=0
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--bulkhead-only) HV_ONLY=1; shift ;;
	*) echo "bench-linux.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
case "$BUILD" in /*) ;; *) BUILD=$repo/$BUILD ;; esac
KERNEL=$BUILD/linux/vmlinuz INITRD=$BUILD/linux/initrd.cpio.gz
for f in "$BUILD/bulkhead.elf" "$KERNEL" "$INITRD"; do
	[ -f "$f" ] || { echo "bench-linux.sh: $f is missing (make linux-images)" >&2; exit 1; }
done
CMDLINE="console=ttyS0 quiet"
INIT_RE='BULKHEAD-INIT: reached /init'
OUT=$BUILD/bench-linux
mkdir -p "$OUT"

median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
mark() { sed -n "s/^mark$2_ms=//p" "$1/result"; }

run_hv() { # $1 = run dir; prints "init_ms partition_to_init_ms"
	"$here/run-qemu.sh" --kernel "$BUILD/bulkhead.elf" --append on_idle=exit \
		--module "$KERNEL name=linux0 mem=256M -- $CMDLINE" \
		--module "$INITRD initrd-for=linux0" \
		--log "$1/serial.log" --run-dir "$1" --timeout 120 --quiet \
		--mark "$INIT_RE" --mark '\[linux0\] partition created' >/dev/null 2>&1
	local a b
	a=$(mark "$1" 0) b=$(mark "$1" 1)
	[ -n "$a" ] && [ -n "$b" ] || return 1
	echo "$a $((a - b))"
}

run_ref() { # $1 = run dir; prints init_ms
	"$here/run-qemu.sh" --kernel "$KERNEL" --append "$CMDLINE" \
		--log "$1/serial.log" --run-dir "$1" --timeout 120 --quiet --mark "$INIT_RE" \
		-- -initrd "$INITRD" >/dev/null 2>&1
	local a
	a=$(mark "$1" 0)
	[ -n "$a" ] || return 1
	echo "$a"
}

hv=() part=() ref=()
for ((i = 0; i < RUNS; i++)); do
	read -r a b < <(run_hv "$OUT/hv$i") || { echo "bench-linux.sh: run $i under Bulkhead never reached /init ($OUT/hv$i/serial.log)" >&2; exit 1; }
	hv+=("$a") part+=("$b")
	[ $HV_ONLY = 0 ] || continue
	a=$(run_ref "$OUT/ref$i") || { echo "bench-linux.sh: reference run $i never reached /init ($OUT/ref$i/serial.log)" >&2; exit 1; }
	ref+=("$a")
done
if [ $HV_ONLY = 1 ]; then
	printf 'bench: linux boot to /init: %s ms under Bulkhead (%s ms from partition start)\n' \
		"$(median "${hv[@]}")" "$(median "${part[@]}")"
	exit 0
fi
v=$(median "${hv[@]}") p=$(median "${part[@]}") r=$(median "${ref[@]}")
printf 'bench: linux boot to /init: %s ms under Bulkhead (%s ms from partition start), %s ms on QEMU directly, ratio %s\n' \
	"$v" "$p" "$r" "$(awk -v v="$v" -v r="$r" 'BEGIN { printf "%.2f", v / r }')"

# Exit reasons of the last Bulkhead run, most frequent first.
stats=$(sed -n 's/^\[linux0\] *\([a-z0-9-]*\) *\([0-9]*\) exits,.*/\1 \2/p' "$OUT/hv$((RUNS - 1))/serial.log" |
	sort -k2,2nr | head -n 10)
total=$(sed -n 's/^\[linux0\] exits: \([0-9]*\) in all.*/\1/p' "$OUT/hv$((RUNS - 1))/serial.log" | tail -n 1)
echo "bench: linux boot exits (whole run, ${total:-?} in all), top ten:"
printf '%s\n' "$stats" | awk '{ printf "bench:   %-14s %8d\n", $1, $2 }'

python3 - "$BUILD/bench.json" "$v" "$r" "${total:-0}" "$stats" <<'PY'
import json, sys
path, v, r, total, stats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
try:
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, dict):
        data = {}
except (OSError, ValueError):
    data = {}
data["linux_boot_ratio"] = {"value": v, "unit": "ms", "reference": r, "ratio": round(v / r, 3)}
for line in stats.splitlines():
    name, n = line.split()
    data["linux_boot_exits_" + name.replace("-", "_")] = {
        "value": int(n), "unit": "exits", "reference": total,
        "ratio": round(int(n) / total, 3) if total else None}
with open(path, "w") as f:
    json.dump(data, f, indent=2, sort_keys=True)
    f.write("\n")
PY
echo "bench: wrote $BUILD/bench.json"
