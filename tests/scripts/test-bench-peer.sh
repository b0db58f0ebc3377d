#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Tests of the peer benchmark's scripts without emulators: the figures
# scripts/bench-peer.sh --parse-only computes from made-up round logs
# (medians, ratios, a failed side removing its figures, other figures left
# alone) for the exit costs and for the Linux workloads under KVM with QEMU,
# and the initramfs scripts/bench-peer-pack.sh appends.
# Ends with "bench-peer: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

check() { # NAME CONDITION...
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "PASS  $name"
	else
		failed=$((failed + 1))
		echo "FAIL  $name"
	fi
}
is() { [ "$1" = "$2" ] || { echo "      got '$1', want '$2'" >&2; return 1; }; }
B=$tmp/build
fig() { # FIGURE FIELD -> value in $B/bench.json, or "none"
	python3 -c 'import json,sys; f=json.load(open(sys.argv[1])).get(sys.argv[2]); print(f[sys.argv[3]] if f else "none")' \
		"$B/bench.json" "$1" "$2"
}

# bulkhead ROUND CPUID PIO HC: a Bulkhead log with the given exit-loop TSCs
# (N = 100000, reference loops 500000 / 400000 / 400000).
bulkhead() {
	local d=$tmp/build/bench-peer/round-$1
	mkdir -p "$d"
	cat >"$d/bulkhead-icount.log" <<L
[bench-loop] BENCH loop n=100000 tsc=300006 ns=1
[bench-cpuid] BENCH cpuid n=100000 tsc=$2 ns=1
[bench-cpuid] BENCH cpuid_ref n=100000 tsc=500000 ns=1
[bench-pio] BENCH pio n=100000 tsc=$3 ns=1
[bench-pio] BENCH pio_ref n=100000 tsc=400000 ns=1
[bench-hypercall] BENCH hypercall n=100000 tsc=$4 ns=1
[bench-hypercall] BENCH hypercall_ref n=100000 tsc=400000 ns=1
L
}
# kvm ROUND VARIANT CPUID PIO IOEVENTFD VMMCALL: an L1 log from l1-run.sh.
kvm() {
	local d=$tmp/build/bench-peer/round-$1
	mkdir -p "$d"
	cat >"$d/kvm-$2.log" <<L
PEER-RUN: kvm_amd taint=
peer loop: BENCH loop n=100000 tsc=300006 ns=0
peer cpuid: BENCH cpuid n=100000 tsc=$3 ns=0
peer cpuid: BENCH cpuid_ref n=100000 tsc=500000 ns=0
peer pio: BENCH pio n=100000 tsc=$4 ns=0
peer pio: BENCH pio_ref n=100000 tsc=400000 ns=0
peer pio-ioeventfd: BENCH pio n=100000 tsc=$5 ns=0
peer pio-ioeventfd: BENCH pio_ref n=100000 tsc=400000 ns=0
peer vmmcall: BENCH hypercall n=100000 tsc=$6 ns=0
peer vmmcall: BENCH hypercall_ref n=100000 tsc=400000 ns=0
L
}
parse() { # ARGS... -> status in RC
	"$repo/scripts/bench-peer.sh" --build "$B" --parse-only "$@" >"$tmp/out" 2>&1
	RC=$?
}

# Three rounds: Bulkhead 150 / 450 / 160 instructions every time; KVM's
# fair module 1200, 1300, 1250 for CPUID (median 1250), the stock one
# 2800-2900 (median 2850).
mkdir -p "$tmp/build"
echo '{"cpuid_exit_hv_instructions": {"value": 1, "unit": "instructions", "reference": 1, "ratio": 1}}' \
	>"$tmp/build/bench.json"
for r in 1 2 3; do bulkhead "$r" 15500000 45400000 16400000; done
kvm 1 fair 120500000 313400000 154400000 133400000
kvm 2 fair 130500000 313400000 154400000 133400000
kvm 3 fair 125500000 313400000 154400000 133400000
kvm 1 stock 280500000 313400000 154400000 309400000
kvm 2 stock 290500000 313400000 154400000 309400000
kvm 3 stock 285500000 313400000 154400000 309400000
parse
check "three good rounds: success" is "$RC" 0
check "CPUID: Bulkhead's instructions per round trip" is "$(fig peer_cpuid_exit_ratio value)" 150.0
check "CPUID: the median of the fair KVM's rounds" is "$(fig peer_cpuid_exit_ratio reference)" 1250.0
check "CPUID: ratio = Bulkhead / KVM" is "$(fig peer_cpuid_exit_ratio ratio)" 0.12
check "CPUID against stock kvm_amd" is "$(fig peer_cpuid_exit_ratio_stock reference)" 2850.0
check "PIO to the user-space VMM" is "$(fig peer_pio_exit_ratio reference)/$(fig peer_pio_exit_ratio value)" 3130.0/450.0
check "PIO to an ioeventfd" is "$(fig peer_pio_ioeventfd_exit_ratio reference)" 1540.0
check "VMMCALL" is "$(fig peer_vmmcall_exit_ratio reference)/$(fig peer_vmmcall_exit_ratio value)" 1330.0/160.0
check "unit" is "$(fig peer_vmmcall_exit_ratio unit)" instructions
check "other benchmarks' figures are kept" is "$(fig cpuid_exit_hv_instructions value)" 1
check "spreads go to summary.json" is \
	"$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["figures"]["peer_cpuid_exit_ratio"]["kvm"]; print(s["min"], s["max"], s["n"])' \
		"$tmp/build/bench-peer/summary.json")" "1200.0 1300.0 3"

# A variant whose runs all failed: its figures go (never stale), the rest
# stay, and the run fails.
rm -f "$tmp/build/bench-peer"/round-*/kvm-stock.log
parse
check "a failed side fails the run" is "$RC" 1
check "its figures are removed" is "$(fig peer_cpuid_exit_ratio_stock value)" none
check "the other variant's figures stay" is "$(fig peer_cpuid_exit_ratio reference)" 1250.0
# One missing round still gives a median of the other two.
rm -f "$tmp/build/bench-peer/round-2/kvm-fair.log"
parse --variants fair
check "a missing round: median of the rest" is "$RC/$(fig peer_cpuid_exit_ratio reference)" 0/1225.0
parse --variants bogus
check "an unknown variant is refused" is "$RC" 2

check "the exit logs alone: no Linux-workload figures" is "$(fig peer_linux_boot_ratio value)" none

# The virtio part (Linux workloads, KVM with QEMU in L1): its own build
# directory. vbulkhead ROUND WRITE READ NET INIT_MS CREATED_MS: Bulkhead's
# logs (KiB/s; bench-linux.sh's marks) as bench-peer.sh copies them.
vbulkhead() {
	local d=$B/bench-peer/round-$1
	mkdir -p "$d"
	printf 'outcome=exit\nmark0_ms=%s\nmark1_ms=%s\n' "$5" "$6" >"$d/bulkhead-boot.result"
	printf '[bench1] BULKHEAD-BENCH: blk_write_kibps=%s\r\n[bench1] BULKHEAD-BENCH: blk_read_kibps=%s\r\n' \
		"$2" "$3" >"$d/bulkhead-disk.log"
	# The server's line must not be taken for the client's.
	printf '[bench1] BULKHEAD-BENCH: net_kibps=1\r\n[bench2] BULKHEAD-BENCH: net_kibps=%s\r\n' "$4" >"$d/bulkhead-net.log"
}
# vkvm ROUND WRITE READ NET START INIT HOST_MS: the two L1 logs of
# l1-qemu.sh (KiB/s; L1 uptimes in seconds) and run-qemu.sh's marks of the
# boot run (the host's time from QEMU's start to /init: HOST_MS).
vkvm() {
	local d=$B/bench-peer/round-$1
	mkdir -p "$d"
	printf 'outcome=ended\nmark0_ms=3000\nmark1_ms=%s\n' $((3000 + $7)) >"$d/kvm-qemu-boot.result"
	# 4.21 s to 56.52 s of L1's clock: 52310 ms; the host saw 52000.
	printf 'outcome=ended\nmark0_ms=\nmark1_ms=\nmark2_ms=4000\nmark3_ms=56000\n' >"$d/kvm-qemu-virtio.result"
	cat >"$d/kvm-qemu-boot.log" <<L
PEER-QEMU: boot start $5
peer-l2 boot $6: BULKHEAD-INIT: reached /init
peer-l2 boot 99.00: BULKHEAD-INIT: reached /init
L
	cat >"$d/kvm-qemu-virtio.log" <<L
PEER-QEMU: disk start 4.21
peer-l2 disk 19.50: BULKHEAD-BENCH: blk_write_kibps=$2
peer-l2 disk 21.64: BULKHEAD-BENCH: blk_read_kibps=$3
peer-l2 net-server 56.40: BULKHEAD-BENCH: done
peer-l2 net-client 56.52: BULKHEAD-BENCH: net_kibps=$4
L
}
B=$tmp/vbuild
mkdir -p "$B"
echo '{"virtio_net_ratio": {"value": 1, "unit": "MiB/s", "reference": 1, "ratio": 1}}' >"$B/bench.json"
vbulkhead 1 614400 593920 1280 5200 500
vbulkhead 2 624640 563200 1240 5300 500
vbulkhead 3 604160 583680 1300 5100 500
vkvm 1 151552 249856 740 3.27 11.71 8440
vkvm 2 153600 245760 720 3.30 11.30 8000
vkvm 3 149504 250880 760 3.25 12.25 9900
parse
check "virtio: three good rounds, parts found from the logs" is "$RC" 0
check "virtio: no exit figures" is "$(fig peer_cpuid_exit_ratio value)" none
check "virtio write: medians in MiB/s" is \
	"$(fig peer_virtio_blk_write_ratio value)/$(fig peer_virtio_blk_write_ratio reference)" 600.0/148.0
check "virtio write: ratio = Bulkhead / KVM" is "$(fig peer_virtio_blk_write_ratio ratio)" 4.054
check "virtio read" is "$(fig peer_virtio_blk_read_ratio value)/$(fig peer_virtio_blk_read_ratio reference)" 570.0/244.0
check "virtio net: the client's figure" is \
	"$(fig peer_virtio_net_ratio value)/$(fig peer_virtio_net_ratio reference)/$(fig peer_virtio_net_ratio unit)" \
	1.25/0.72/MiB/s
check "boot: partition created to /init against QEMU start to /init" is \
	"$(fig peer_linux_boot_ratio value)/$(fig peer_linux_boot_ratio reference)/$(fig peer_linux_boot_ratio unit)" \
	4700/8440/ms
check "boot: ratio" is "$(fig peer_linux_boot_ratio ratio)" 0.557
check "boot: the L1 clock check (L1's time / the host's) per round" is \
	"$(python3 -c 'import json,sys; print(*[r["virtio"]["l1_clock_check"] for r in json.load(open(sys.argv[1]))["rounds"]])' \
		"$B/bench-peer/summary.json")" "1.0 1.0 0.909"
check "the L1 clock check of the disk and network run" is \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rounds"][0]["virtio"]["l1_clock_check_virtio"])' \
		"$B/bench-peer/summary.json")" 1.006
check "virtio: other figures kept" is "$(fig virtio_net_ratio value)" 1
check "virtio: no QEMU TCG logs, no ceiling line" is "$(grep -c 'QEMU TCG directly' "$tmp/out")" 0
# The ceiling: the guests under QEMU TCG directly (bench-virtio.sh
# --reference-only's serial logs, as bench-peer.sh copies them); two rounds.
for r in 1 2; do
	printf 'BULKHEAD-BENCH: blk_write_kibps=%s\r\nBULKHEAD-BENCH: blk_read_kibps=2097152\r\n' \
		$((983040 + r)) >"$B/bench-peer/round-$r/direct-disk.log"
	printf 'BULKHEAD-BENCH: net_kibps=4300\r\n' >"$B/bench-peer/round-$r/direct-net.log"
done
parse
check "ceiling: the run still succeeds" is "$RC" 0
check "ceiling: its median goes to summary.json" is \
	"$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["figures"]["peer_virtio_blk_write_ratio"]["qemu_direct"]; print(round(s["median"]), s["n"])' \
		"$B/bench-peer/summary.json")" "960 2"
check "ceiling: what the write target needs, against it" is \
	"$(grep -c 'the target (4.0x KVM+QEMU) needs 592.00, 0.62x that ceiling' "$tmp/out")" 1
check "ceiling: the network target (2.0x)" is "$(grep -c 'needs 1.45, 0.34x that ceiling' "$tmp/out")" 1
check "ceiling: not in bench.json" is "$(fig peer_virtio_blk_write_ratio reference)" 148.0
rm -f "$B"/bench-peer/round-*/kvm-qemu-virtio.log
parse
check "virtio: a failed L1 run fails the run" is "$RC" 1
check "virtio: its figures are removed" is "$(fig peer_virtio_net_ratio value)" none
check "virtio: the boot figure stays" is "$(fig peer_linux_boot_ratio reference)" 8440
parse --parts bogus
check "virtio: an unknown part is refused" is "$RC" 2
B=$tmp/build

# bench-peer-pack.sh: the base archive unchanged, then a gzip'd cpio with
# the files under --dest.
printf 'base-archive' >"$tmp/base"
echo one >"$tmp/a.elf"
echo two >"$tmp/kvm_amd.ko"
"$repo/scripts/bench-peer-pack.sh" --out "$tmp/p1" --base "$tmp/base" "$tmp/a.elf" >/dev/null
"$repo/scripts/bench-peer-pack.sh" --out "$tmp/p2" --base "$tmp/p1" --dest /lib/modules "$tmp/kvm_amd.ko" >/dev/null
check "pack: the base comes first, unchanged" is "$(head -c 12 "$tmp/p2")" base-archive
members=$(tail -c +13 "$tmp/p2" | zcat | cpio -t --quiet 2>/dev/null | tr '\n' ' ')
check "pack: the first appended archive holds /peer/a.elf" is "$members" "peer peer/a.elf "
size1=$(stat -c %s "$tmp/p1")
members=$(tail -c +$((size1 + 1)) "$tmp/p2" | zcat | cpio -t --quiet 2>/dev/null | tr '\n' ' ')
check "pack: --dest puts files there" is "$members" "lib lib/modules lib/modules/kvm_amd.ko "
"$repo/scripts/bench-peer-pack.sh" --out "$tmp/p3" --base "$tmp/base" "$tmp/missing" >/dev/null 2>&1
check "pack: a missing file fails" is "$?/$(ls "$tmp/p3" 2>/dev/null)" 1/

echo "bench-peer: $passed passed, $failed failed"
[ "$failed" = 0 ]
