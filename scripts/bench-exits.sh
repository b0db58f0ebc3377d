#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Exit-cost benchmark (issue: VM core). Runs the bench guests
# (guests/suites/bench.modules: bench-cpuid, bench-pio, bench-hypercall) under
# Bulkhead and reads their "BENCH <name> n=<N> tsc=<T> ns=<NS>" lines. Each
# guest times N exiting iterations and N iterations of the same loop with the
# exiting instruction replaced by a NOP (the reference, same run).
#
#  - QEMU with -icount shift=0: RDTSC counts executed instructions exactly, so
#    (tsc(exit loop) - tsc(reference loop)) / N is the number of instructions
#    the hypervisor executes per round trip (deterministic).
#  - QEMU TCG and Bochs in real time: ns per round trip from HC_TIME_NS.
#
# Figures (merged into BUILD/bench.json): <kind>_exit_hv_instructions
# (SVM; reference: instructions of one reference-loop iteration),
# cpuid_exit_hv_instructions_vmx (Bochs, whose TSC counts instructions), cpuid_exit_ns_qemu
# and cpuid_exit_ns_bochs (reference: ns of one reference-loop iteration).
#
#   scripts/bench-exits.sh [--build DIR] [--no-bochs]
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
BUILD=build BOCHS=1
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	--no-bochs) BOCHS=0; shift ;;
	*) echo "bench-exits.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
case "$BUILD" in /*) ;; *) BUILD=$repo/$BUILD ;; esac
out=$BUILD/bench-exits
mkdir -p "$out"

# One boot per bench guest: partitions sharing the CPU would be timed
# together (each guest's TSC delta would include the others' slices).
run_qemu() { # $1 = log, $2.. = extra QEMU options
	local log=$1 img args; shift
	: >"$log"
	while read -r img args; do
		case "$img" in ''|\#*) continue ;; esac
		timeout 600 qemu-system-x86_64 -accel tcg "$@" -cpu qemu64,+svm,+npt -m 512M \
			-kernel "$BUILD/bulkhead.elf" -append "on_idle=exit" \
			-initrd "$BUILD/guests/$img $args" \
			-display none -serial "file:$log.one" -no-reboot \
			-device isa-debug-exit,iobase=0xf4,iosize=0x04 >/dev/null 2>&1
		cat "$log.one" >>"$log"
		grep -aq "bulkhead: all partitions stopped" "$log.one" || {
			echo "bench-exits: QEMU run of $img did not finish; log tail:" >&2
			tail -20 "$log.one" >&2
			return 1
		}
	done <"$repo/guests/suites/bench.modules"
}

echo "bench-exits: QEMU -icount shift=0 (instructions per round trip)"
run_qemu "$out/qemu-icount.log" -icount shift=0 || exit 1
echo "bench-exits: QEMU TCG real time"
run_qemu "$out/qemu-wall.log" || exit 1
bochs_log=
if [ "$BOCHS" = 1 ]; then
	echo "bench-exits: Bochs (VMX)"
	iso=$BUILD/bench-exits/bench.iso
	# Only bench-cpuid and its reference loop: Bochs is slow.
	if "$repo/scripts/mkiso.sh" --out "$iso" --elf "$BUILD/bulkhead.elf" --cmdline "on_idle=exit" \
		--timeout 0 --module "$BUILD/guests/bench-cpuid.elf name=bench-cpuid mem=4M" >/dev/null 2>&1 &&
		"$repo/scripts/run-bochs.sh" --iso "$iso" --log "$out/bochs.log" --timeout 600 --quiet >/dev/null 2>&1; then
		bochs_log=$out/bochs.log
	else
		echo "bench-exits: Bochs run failed (figures left out)" >&2
	fi
fi

python3 - "$BUILD/bench.json" "$out/qemu-icount.log" "$out/qemu-wall.log" "$bochs_log" <<'PY'
import json, os, re, sys
out, icount, wall, bochs = sys.argv[1:5]

def bench_lines(path):
    r = {}
    if not path or not os.path.exists(path):
        return r
    for line in open(path, errors="replace"):
        m = re.search(r"BENCH (\S+) n=(\d+) tsc=(\d+) ns=(\d+)", line)
        if m:
            r[m.group(1)] = tuple(int(x) for x in m.groups()[1:])
    return r

def per_iter(lines, name, field):
    if name not in lines:
        return None
    n, tsc, ns = lines[name]
    return (tsc if field == "tsc" else ns) / n

figs = json.load(open(out)) if os.path.exists(out) else {}
ic, wl, bx = bench_lines(icount), bench_lines(wall), bench_lines(bochs)

def put(name, value, unit, ref):
    if value is None or ref is None or ref <= 0:
        print(f"  {name:34s} not measured")
        return
    figs[name] = {"value": round(value, 2), "unit": unit, "reference": round(ref, 2),
                  "ratio": round(value / ref, 2)}
    print(f"  {name:34s} {value:10.1f} {unit:14s} reference {ref:8.1f}  ratio {value / ref:6.2f}")

for kind in ("cpuid", "pio", "hypercall"):
    e, r = per_iter(ic, kind, "tsc"), per_iter(ic, kind + "_ref", "tsc")
    put(f"{kind}_exit_hv_instructions", None if e is None or r is None else e - r, "instructions", r)
# Bochs' TSC advances one tick per emulated instruction (platform notes), so
# the same subtraction gives the VMX path's instruction count.
e, r = per_iter(bx, "cpuid", "tsc"), per_iter(bx, "cpuid_ref", "tsc")
put("cpuid_exit_hv_instructions_vmx", None if e is None or r is None else e - r, "instructions", r)
for src, tag in ((wl, "qemu"), (bx, "bochs")):
    e, r = per_iter(src, "cpuid", "ns"), per_iter(src, "cpuid_ref", "ns")
    put(f"cpuid_exit_ns_{tag}", None if e is None or r is None else e - r, "ns", r)
json.dump(figs, open(out, "w"), indent=2, sort_keys=True)
print(f"bench-exits: figures merged into {out}")
PY
