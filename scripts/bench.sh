#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Boot-time benchmark: wall-clock milliseconds from emulator start until the
# hypervisor prints "bulkhead: ready" (the last banner line), per boot path,
# compared with the same path booting the reference kernel
# (tests/integration/refkernel: prints "ref: ready" at once and ends). The
# reference carries the emulator's, the firmware's and the loader's share,
# so ratio = value / reference says what Bulkhead's own start-up adds
# (1.0 = nothing). Runs one at a time; the median of --runs runs counts.
#
#   scripts/bench.sh [--build DIR] [--runs N] [--paths "qemu-kernel grub-bios ..."]
#
# Writes (merging with what other benchmarks already put there)
# DIR/bench.json: {"boot_ms_<path>": {"value": v, "unit": "ms",
# "reference": r, "ratio": v/r}, ...}.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

BUILD=build RUNS=3
PATHS="qemu-kernel grub-bios efi-loader grub-efi bochs"
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--paths) PATHS=$2; shift 2 ;;
	*) echo "bench.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
case "$BUILD" in /*) ;; *) BUILD=$repo/$BUILD ;; esac
HV=$BUILD/bulkhead.elf REF=$BUILD/refkernel.elf EFI=$BUILD/efi/BOOTX64.EFI
for f in "$HV" "$REF" "$EFI"; do
	[ -f "$f" ] || { echo "bench.sh: $f missing (make bulkhead.elf, refkernel, efi-app)" >&2; exit 1; }
done
OUT=$BUILD/bench
mkdir -p "$OUT"
CMDLINE="loglevel=2 on_idle=exit"

# build_media PATH KIND IMAGE: the boot medium for one path, fresh for every
# bench run (so it always holds the current build).
build_media() {
	local path=$1 kind=$2 image=$3 dir=$OUT/$1-$2
	rm -rf "$dir"
	mkdir -p "$dir"
	case "$path" in
	grub-bios | grub-efi | bochs)
		"$here/mkiso.sh" --out "$dir/boot.iso" --elf "$image" --cmdline "$CMDLINE" ;;
	efi-loader)
		"$here/mkesp.sh" --out "$dir/esp.img" --efi "$EFI" --elf "$image" --cmdline "$CMDLINE" ;;
	qemu-kernel) ;;
	*) echo "bench.sh: unknown path $path" >&2; return 1 ;;
	esac
}

# runner_cmd PATH KIND IMAGE: the command that boots it.
runner_cmd() {
	local path=$1 kind=$2 image=$3 dir=$OUT/$1-$2
	case "$path" in
	qemu-kernel) echo "$here/run-qemu.sh --kernel $image --append '$CMDLINE'" ;;
	grub-bios) echo "$here/run-qemu.sh --iso $dir/boot.iso" ;;
	grub-efi) echo "$here/run-efi.sh --iso $dir/boot.iso" ;;
	efi-loader) echo "$here/run-efi.sh --esp $dir/esp.img" ;;
	bochs) echo "$here/run-bochs.sh --iso $dir/boot.iso" ;;
	esac
}

# run_once PATH KIND IMAGE READY_RE: ms to READY_RE in one run.
run_once() {
	local path=$1 kind=$2 image=$3 ready=$4 cmd dir=$OUT/$1-$2 ms
	cmd=$(runner_cmd "$path" "$kind" "$image")
	eval "RUN_READY_RE='$ready' $cmd --log '$dir/serial.log' --run-dir '$dir' --timeout 180 --quiet" \
		>/dev/null 2>&1
	ms=$(sed -n 's/^ready_ms=//p' "$dir/result" 2>/dev/null)
	if [ -z "$ms" ]; then
		echo "bench.sh: $path/$kind never printed '$ready' (see $dir/serial.log)" >&2
		return 1
	fi
	echo "$ms"
}

median() {
	printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"
}

results=()
for p in $PATHS; do
	build_media "$p" hv "$HV" && build_media "$p" ref "$REF" || continue
	# Hypervisor and reference alternate, so a busy machine slows both alike.
	hv=() ref=() ok=1
	for ((i = 0; i < RUNS; i++)); do
		ms=$(run_once "$p" hv "$HV" 'bulkhead: ready') || { ok=0; break; }
		hv+=("$ms")
		ms=$(run_once "$p" ref "$REF" 'ref: ready') || { ok=0; break; }
		ref+=("$ms")
	done
	[ $ok = 1 ] || continue
	v=$(median "${hv[@]}") r=$(median "${ref[@]}")
	printf 'bench: boot %-12s %6s ms to "bulkhead: ready"   reference %6s ms   ratio %s\n' \
		"$p" "$v" "$r" "$(awk -v v="$v" -v r="$r" 'BEGIN { printf "%.2f", v / r }')"
	results+=("boot_ms_${p//-/_}=$v:$r")
done

python3 - "$BUILD/bench.json" "${results[@]+"${results[@]}"}" <<'PY'
import json, sys
path, items = sys.argv[1], sys.argv[2:]
try:
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, dict):
        data = {}
except (OSError, ValueError):
    data = {}
for item in items:
    key, vals = item.split("=", 1)
    v, r = (int(x) for x in vals.split(":"))
    data[key] = {"value": v, "unit": "ms", "reference": r, "ratio": round(v / r, 3) if r else None}
with open(path, "w") as f:
    json.dump(data, f, indent=2, sort_keys=True)
    f.write("\n")
PY
echo "bench: wrote $BUILD/bench.json"
[ ${#results[@]} -eq "$(wc -w <<<"$PATHS")" ]
