#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Peer benchmark (issue 15, deliverable 1): Bulkhead's exit costs against
# Linux KVM's on the same emulated machine (docs/benchmarks.md, "Peer: Linux
# KVM").
#
# Both hypervisors run as L1 in QEMU TCG with -cpu qemu64,+svm,+npt and
# -icount shift=0, and both run the same guest binaries (guests/tests/bench-*.c):
#  - Bulkhead: scripts/bench-exits.sh --no-bochs (one boot per bench guest);
#  - KVM: Debian's stock kernel, /init running guests/peer/l1-run.sh, which
#    starts each guest under peer-vmm (guests/peer/peer-vmm.c, a minimal KVM
#    VMM giving the guests Bulkhead's start-up state, COM1, the echo port
#    0x510 and the stop port), in two variants:
#      stock  Debian's own kvm_amd. TCG has no next-RIP save, so it runs its
#             instruction emulator to skip every CPUID and VMMCALL;
#      fair   the same module rebuilt with the instruction length taken from
#             the exit code, as Bulkhead does (scripts/bench-peer-fair-kvm.sh).
# Under -icount shift=0 RDTSC counts instructions, so for each exit kind
# (tsc(exit loop) - tsc(NOP loop)) / N is the number of instructions one round
# trip costs, L1 kernel and (for KVM's user-space exits) L1 user space together.
#
# The sides run in rotating order for --rounds rounds (each goes first in
# turn) and the medians count. Figures merged into BUILD/bench.json
# ({"value": Bulkhead, "unit": "instructions", "reference": KVM, "ratio":
# value / reference}; below 1 means Bulkhead executes fewer instructions):
#   peer_cpuid_exit_ratio          CPUID leaf 0 (both handle it in the kernel)
#   peer_pio_exit_ratio            OUT to 0x510; KVM passes it to peer-vmm
#                                  (KVM_EXIT_IO, the user-space device path)
#   peer_pio_ioeventfd_exit_ratio  the same OUT ended in KVM by an ioeventfd
#   peer_vmmcall_exit_ratio        VMMCALL (Bulkhead's HC_VERSION; KVM's
#                                  kvm_emulate_hypercall, -KVM_ENOSYS)
# against the fair variant, and the same names with _stock against stock
# kvm_amd. A figure that could not be measured is removed from bench.json
# (never a stale one). Per-round values and spreads: BUILD/bench-peer/summary.json.
#
#   scripts/bench-peer.sh [--build DIR] [--rounds N] [--variants "stock fair"]
#                         [--append "L1 KERNEL ARGS"] [--kvm-only] [--parse-only]
#
#   --append    extra L1 kernel command line (e.g. mitigations=off): the
#               figures then describe that configuration, see the docs
#   --kvm-only  run only the KVM side, print its figures, merge nothing
#   --parse-only  run nothing: compute the figures again from the logs of
#               the last run in BUILD/bench-peer (tests/scripts/test-bench-peer.sh)
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
BUILD=build ROUNDS=3 APPEND='' KVM_ONLY=0 VARIANTS="stock fair" PARSE_ONLY=0
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--variants) VARIANTS=$2; shift 2 ;;
	--append) APPEND=$2; shift 2 ;;
	--kvm-only) KVM_ONLY=1; shift ;;
	--parse-only) PARSE_ONLY=1; shift ;;
	*) echo "bench-peer.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
case "$BUILD" in /*) ;; *) BUILD=$repo/$BUILD ;; esac
case "$ROUNDS" in '' | *[!0-9]* | 0) echo "bench-peer.sh: --rounds wants a positive number" >&2; exit 2 ;; esac
L1=$BUILD/peer/l1
initrd_of() { # variant -> its L1 initramfs
	case "$1" in
	stock) echo "$L1/initrd-peer.cpio.gz" ;;
	fair) echo "$L1/initrd-peer-fair.cpio.gz" ;;
	*) return 1 ;;
	esac
}
need=("$L1/vmlinuz" "$BUILD/bulkhead.elf")
for v in $VARIANTS; do
	need+=("$(initrd_of "$v")") || { echo "bench-peer.sh: unknown variant '$v' (stock, fair)" >&2; exit 2; }
done
out=$BUILD/bench-peer
if [ "$PARSE_ONLY" = 1 ]; then
	# As many rounds as the last run left.
	ROUNDS=$(find "$out" -maxdepth 1 -name 'round-*' -type d 2>/dev/null | wc -l)
	[ "$ROUNDS" -gt 0 ] || { echo "bench-peer.sh: no rounds in $out to parse" >&2; exit 1; }
else
	for f in "${need[@]}"; do
		[ -f "$f" ] || { echo "bench-peer.sh: $f missing (make bench-peer builds it)" >&2; exit 1; }
	done
	rm -rf "$out"
	mkdir -p "$out"
fi
# Generous: one L1 run takes 2-4 minutes on a busy 2-core machine.
L1_TIMEOUT=${PEER_L1_TIMEOUT:-1500}

run_kvm() { # $1 = round directory, $2 = variant
	local log=$1/kvm-$2.log taint
	echo "bench-peer: KVM ($2 kvm_amd) in L1 (QEMU -icount shift=0)"
	timeout "$L1_TIMEOUT" qemu-system-x86_64 -accel tcg -icount shift=0 -cpu qemu64,+svm,+npt \
		-m 512M -smp 1 -kernel "$L1/vmlinuz" -initrd "$(initrd_of "$2")" \
		-append "console=ttyS0 panic=-1 quiet $APPEND" \
		-display none -serial "file:$log" -no-reboot >/dev/null 2>&1
	if ! grep -aq "BULKHEAD-INIT: script exited with 0" "$log"; then
		echo "bench-peer: the L1 KVM run ($2) failed; log tail:" >&2
		tail -20 "$log" >&2
		return 1
	fi
	# A TSC that L1 marked unstable makes KVM re-base the guest's TSC offset
	# on each KVM_RUN, hiding user-space time from the guest's count.
	if grep -aq "PEER-RUN: dmesg:.*unstable" "$log"; then
		echo "bench-peer: L1 marked its TSC unstable in the $2 run: its counts are not comparable" >&2
		mv "$log" "$log.unstable-tsc"; return 1
	fi
	# The rebuilt module is out of tree ('O'); Debian's own is not.
	taint=$(sed -n 's/.*PEER-RUN: kvm_amd taint=\([A-Z]*\).*/\1/p' "$log" | head -n 1)
	case "$2:$taint" in
	stock:*O* | fair:) echo "bench-peer: the $2 run loaded the wrong kvm_amd (taint '$taint')" >&2
		mv "$log" "$log.wrong"; return 1 ;;
	esac
}

run_bulkhead() { # $1 = round directory
	echo "bench-peer: Bulkhead (scripts/bench-exits.sh --no-bochs)"
	"$repo/scripts/bench-exits.sh" --build "$BUILD" --no-bochs >"$1/bench-exits.out" 2>&1 &&
		cp "$BUILD/bench-exits/qemu-icount.log" "$1/bulkhead-icount.log" && return 0
	echo "bench-peer: the Bulkhead run failed; output tail:" >&2
	tail -20 "$1/bench-exits.out" >&2
	return 1
}

sides=()
[ "$KVM_ONLY" = 1 ] || sides+=(bulkhead)
for v in $VARIANTS; do sides+=("kvm:$v"); done
failed=0
[ "$PARSE_ONLY" = 1 ] || for round in $(seq 1 "$ROUNDS"); do
	dir=$out/round-$round
	mkdir -p "$dir"
	echo "bench-peer: round $round of $ROUNDS ($(date -u +%H:%M:%S))"
	# Rotate: side i goes first in round i (mod the number of sides), so a
	# slow phase of the host does not always hit the same side.
	for k in $(seq 0 $((${#sides[@]} - 1))); do
		side=${sides[$(((round - 1 + k) % ${#sides[@]}))]}
		case "$side" in
		bulkhead) run_bulkhead "$dir" || failed=1 ;;
		kvm:*) run_kvm "$dir" "${side#kvm:}" || failed=1 ;;
		esac
	done
done

python3 - "$out" "$ROUNDS" "$KVM_ONLY" "$BUILD/bench.json" "$APPEND" "$VARIANTS" <<'PY'
import json, os, re, statistics, sys
out, rounds, kvm_only, bench_json, append, variants = sys.argv[1:7]
rounds, kvm_only, variants = int(rounds), kvm_only == "1", variants.split()

def bench_lines(path, prefix):
    """{(tag, name): (n, tsc)} from BENCH lines; tag is None for Bulkhead."""
    r = {}
    if not os.path.exists(path):
        return r
    pat = re.compile(prefix + r"BENCH (\S+) n=(\d+) tsc=(\d+)")
    for line in open(path, errors="replace"):
        m = pat.search(line)
        if m:
            g = m.groups()
            tag = g[0] if len(g) == 4 else None
            r[(tag, g[-3])] = (int(g[-2]), int(g[-1]))
    return r

def round_trip(lines, tag, kind):
    """Instructions per round trip: (tsc(kind) - tsc(kind_ref)) / n."""
    e, r = lines.get((tag, kind)), lines.get((tag, kind + "_ref"))
    if not e or not r or e[0] != r[0] or e[0] <= 0:
        return None
    return (e[1] - r[1]) / e[0]

# figure -> (Bulkhead kind, peer-vmm tag, KVM kind)
FIGURES = {
    "peer_cpuid_exit_ratio": ("cpuid", "cpuid", "cpuid"),
    "peer_pio_exit_ratio": ("pio", "pio", "pio"),
    "peer_pio_ioeventfd_exit_ratio": ("pio", "pio-ioeventfd", "pio"),
    "peer_vmmcall_exit_ratio": ("hypercall", "vmmcall", "hypercall"),
}
SUFFIX = {"fair": "", "stock": "_stock"}

def stats(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}

per_round = []
for i in range(1, rounds + 1):
    d = os.path.join(out, f"round-{i}")
    bh = bench_lines(os.path.join(d, "bulkhead-icount.log"), "")
    row = {"round": i, "bulkhead": {}, "kvm": {}}
    for fig, (bkind, tag, kkind) in FIGURES.items():
        row["bulkhead"][fig] = round_trip(bh, None, bkind)
    for v in variants:
        kv = bench_lines(os.path.join(d, f"kvm-{v}.log"), r"peer (\S+): ")
        row["kvm"][v] = {fig: round_trip(kv, tag, kkind) for fig, (_, tag, kkind) in FIGURES.items()}
        loop = kv.get(("loop", "loop"))
        row["kvm"][v]["loop_per_iteration"] = loop[1] / loop[0] if loop else None
    per_round.append(row)

summary = {"rounds": per_round, "l1_append": append, "figures": {}}
figs = json.load(open(bench_json)) if os.path.exists(bench_json) and not kvm_only else {}
fmt = lambda s: "-" if s is None else f"{s['median']:.1f} [{s['min']:.1f}-{s['max']:.1f}]"
print(f"bench-peer: instructions per exit round trip, median of {rounds} round(s) [min-max]")
print(f"  {'figure':38s} {'Bulkhead':>22s} {'KVM':>24s} {'ratio':>6s}")
ok = True
for v in variants:
    for fig in FIGURES:
        name = fig + SUFFIX[v]
        b = stats(r["bulkhead"][fig] for r in per_round)
        k = stats(r["kvm"][v][fig] for r in per_round)
        summary["figures"][name] = {"bulkhead": b, "kvm": k, "kvm_amd": v}
        ratio = b["median"] / k["median"] if b and k and k["median"] > 0 else None
        print(f"  {name:38s} {fmt(b):>22s} {fmt(k):>24s} {'-' if ratio is None else f'{ratio:6.3f}'}")
        if kvm_only:
            continue
        if ratio is None:
            figs.pop(name, None)
            ok = False
            continue
        figs[name] = {"value": round(b["median"], 2), "unit": "instructions",
                      "reference": round(k["median"], 2), "ratio": round(ratio, 3)}
    loop = stats(r["kvm"][v]["loop_per_iteration"] for r in per_round)
    if loop:
        print(f"  KVM ({v}) bench-loop: {loop['median']:.4f} instructions per iteration "
              "(3.0: the TSC counts instructions)")
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=2)
if not kvm_only:
    json.dump(figs, open(bench_json, "w"), indent=2, sort_keys=True)
    print(f"bench-peer: figures merged into {bench_json}; rounds in {out}/summary.json")
sys.exit(0 if ok else 1)
PY
rc=$?
[ "$failed" = 0 ] && [ "$rc" = 0 ]
