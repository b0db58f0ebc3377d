#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Tests of the peer benchmark's scripts without emulators: the figures
# scripts/bench-peer.sh --parse-only computes from made-up round logs
# (medians, ratios, a failed side removing its figures, other figures left
# alone), and the initramfs scripts/bench-peer-pack.sh appends.
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
fig() { # FIGURE FIELD -> value in $tmp/build/bench.json, or "none"
	python3 -c 'import json,sys; f=json.load(open(sys.argv[1])).get(sys.argv[2]); print(f[sys.argv[3]] if f else "none")' \
		"$tmp/build/bench.json" "$1" "$2"
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
	"$repo/scripts/bench-peer.sh" --build "$tmp/build" --parse-only "$@" >"$tmp/out" 2>&1
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
