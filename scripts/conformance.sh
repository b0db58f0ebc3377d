#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs a directory of QEMU-compatible test kernels (Multiboot 1, the kind
# QEMU's -kernel boots) twice: under QEMU directly, with isa-debug-exit at
# port 0xF4, and as a Bulkhead partition (kind=multiboot debug-exit=0xf4)
# under QEMU with SVM and, where Bochs is installed, under Bochs with VMX
# (corei7_skylake_x, from a GRUB ISO). Prints one row per kernel, side by
# side:
#
#   kernel        qemu            svm             vmx             output  verdict
#   mbtest.elf    pass (1)        pass (1)        pass (1)        same    PASS
#
#   scripts/conformance.sh [--build DIR] [--timeout SECONDS] [--vmx-timeout SECONDS]
#                          [--no-vmx] [--keep DIR] KERNEL_DIR
#
# --no-vmx (or no bochs) leaves the VMX column out ("-"); --vmx-timeout is
# the limit of one Bochs run (default 180: BIOS, GRUB and the kernel).
#
# A kernel is every regular file of KERNEL_DIR except *.conf and files a
# .conf names as a module. KERNEL.conf (optional, "key: value" lines, '#'
# comments) says how to run it:
#   args: TEXT         the kernel's command line (QEMU -append; after "--"
#                      on the partition's line)
#   mem: SIZE          RAM for both runs (default 32M)
#   module: FILE ARGS  a module (FILE relative to KERNEL_DIR), repeatable
#   ignore: ERE        output lines that may differ (e.g. what SeaBIOS
#                      reserves at the top of RAM changes mem_upper)
#   skip: REASON       do not run it
#   qemu-departs: WHY  QEMU's TCG itself departs from the architecture in
#                      what the kernel checks (WHY says how): its direct run
#                      may fail; the verdict is the Bulkhead run's alone
#                      (PASS for status 1), output not compared
# Each run's status is the one QEMU's isa-debug-exit convention gives:
# (v << 1) | 1 for a write of v; status 1 (v = 0) is pass, any other
# status, a timeout or no exit at all is fail. A kernel without a Multiboot
# 1 header in its first 8 KiB is skipped. The verdict is PASS when every
# run ends with the same status and the same output (a Bulkhead run's
# "[name] " lines between its vCPUs' placement and its stop line, less the
# ignore: lines), FAIL otherwise; the exit status
# is 0 only if no row is FAIL (and one ran).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

BUILD=$repo/build
TIMEOUT=30
VMX_TIMEOUT=180
VMX=1
KEEP=''
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--vmx-timeout) VMX_TIMEOUT=$2; shift 2 ;;
	--no-vmx) VMX=0; shift ;;
	--keep) KEEP=$2; shift 2 ;;
	-h | --help) sed -n '3,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "conformance: unknown option '$1' (try --help)" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { echo "usage: conformance.sh [--build DIR] [--timeout S] [--vmx-timeout S] [--no-vmx] [--keep DIR] KERNEL_DIR" >&2; exit 2; }
[ "$VMX" = 0 ] || command -v bochs >/dev/null 2>&1 || VMX=0
KDIR=$(cd "$1" && pwd) || exit 2
HV=$BUILD/bulkhead.elf
[ -f "$HV" ] || { echo "conformance: $HV missing (make)" >&2; exit 2; }
QEMU=${BULKHEAD_QEMU:-qemu-system-x86_64}
WORK=${KEEP:-$(mktemp -d)}
mkdir -p "$WORK"
[ -n "$KEEP" ] || trap 'rm -rf "$WORK"' EXIT

# conf_get FILE KEY: every value of KEY, one a line.
conf_get() {
	[ -f "$1" ] || return 0
	sed -n "s/^$2:[[:space:]]*//p" "$1"
}

# Multiboot 0.6.96 §3.1.1: magic 0x1BADB002, 4-byte aligned, first 8 KiB,
# magic + flags + checksum = 0 (mod 2^32).
has_mb1_header() {
	od -A d -t u4 -w4 -N 8192 -v "$1" 2>/dev/null | awk '
		{ off[NR] = $1; w[NR] = $2 }
		END {
			for (i = 1; i + 2 <= NR; i++)
				if (w[i] == 464367618 && (w[i] + w[i + 1] + w[i + 2]) % 4294967296 == 0)
					exit 0
			exit 1
		}'
}

# status_word RC: pass/fail from an isa-debug-exit style status.
status_word() {
	case "$1" in
	1) echo "pass (1)" ;;
	timeout) echo "fail (timeout)" ;;
	none) echo "fail (no exit)" ;;
	*) echo "fail ($1)" ;;
	esac
}

# QEMU's -initrd list: "file args,file args"; a comma inside is doubled.
initrd_list() {
	local conf=$1 list='' f a line
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		f=${line%% *}
		a=''
		[ "$f" = "$line" ] || a=${line#* }
		[ -n "$list" ] && list+=','
		list+="$KDIR/$f${a:+ ${a//,/,,}}"
	done < <(conf_get "$conf" module)
	printf '%s' "$list"
}

# Bulkhead's -initrd: the kernel as partition "k", each module module-for=k
# with its arguments after "--".
bulkhead_list() {
	local k=$1 conf=$2 mem=$3 args=$4 list f a line
	list="$k name=k mem=$mem kind=multiboot debug-exit=0xf4${args:+ -- ${args//,/,,}}"
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		f=${line%% *}
		a=''
		[ "$f" = "$line" ] || a=${line#* }
		list+=",$KDIR/$f module-for=k${a:+ -- ${a//,/,,}}"
	done < <(conf_get "$conf" module)
	printf '%s' "$list"
}

# filter_out FILE CONF: drop the ignore: lines and blank lines.
filter_out() {
	local f=$1 conf=$2 re
	tr -d '\r' <"$f" | sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' | grep -v '^[[:space:]]*$' >"$f.cmp"
	while IFS= read -r re; do
		[ -n "$re" ] || continue
		grep -Ev -- "$re" "$f.cmp" >"$f.tmp"
		mv "$f.tmp" "$f.cmp"
	done < <(conf_get "$conf" ignore)
}

run_direct() {
	local k=$1 conf=$2 mem=$3 args=$4 out=$5 rc mods
	mods=$(initrd_list "$conf")
	timeout "$TIMEOUT" "$QEMU" -accel tcg -m "$mem" -display none -no-reboot \
		-serial "file:$out" -monitor none -device isa-debug-exit,iobase=0xf4,iosize=2 \
		-kernel "$k" -append "$args" ${mods:+-initrd "$mods"} >/dev/null 2>"$out.err"
	rc=$?
	case $rc in
	124) echo timeout ;;
	0) echo none ;;
	*) echo "$rc" ;;
	esac
}

run_bulkhead() {
	local k=$1 conf=$2 mem=$3 args=$4 out=$5 raw=$5.raw rc
	timeout "$TIMEOUT" "$QEMU" -accel tcg -cpu qemu64,+svm,+npt -m 512M -display none \
		-no-reboot -serial "file:$raw" -monitor none \
		-device isa-debug-exit,iobase=0xf4,iosize=2 -kernel "$HV" \
		-append "loglevel=2 on_idle=exit" -initrd "$(bulkhead_list "$k" "$conf" "$mem" "$args")" \
		>/dev/null 2>"$out.err"
	rc=$?
	partition_result "$raw" "$out" "$rc"
}

# The same partition line as GRUB ISO modules for Bochs (scripts/mkiso.sh
# takes "path arguments" per module; no comma escaping there).
run_bulkhead_vmx() {
	local k=$1 conf=$2 mem=$3 args=$4 out=$5 raw=$5.raw rc f a line
	local -a mods=(--module "$k name=k mem=$mem kind=multiboot debug-exit=0xf4${args:+ -- $args}")
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		f=${line%% *}
		a=''
		[ "$f" = "$line" ] || a=${line#* }
		mods+=(--module "$KDIR/$f module-for=k${a:+ -- $a}")
	done < <(conf_get "$conf" module)
	if ! "$repo/scripts/mkiso.sh" --out "$out.iso" --elf "$HV" --cmdline "loglevel=2 on_idle=exit" \
		"${mods[@]}" >"$out.err" 2>&1; then
		echo none
		return
	fi
	"$repo/scripts/run-bochs.sh" --iso "$out.iso" --log "$raw" --run-dir "$out.bochs" \
		--timeout "$VMX_TIMEOUT" --quiet >>"$out.err" 2>&1
	rc=$?
	rm -f "$out.iso"
	partition_result "$raw" "$out" "$rc"
}

# partition_result RAW OUT RC: the partition's lines of a Bulkhead serial
# log RAW into OUT, and its debug-exit status (or timeout / none).
partition_result() {
	local raw=$1 out=$2 rc=$3 st
	[ -f "$raw" ] || : >"$raw"
	# The kernel's lines: the partition's lines from the scheduler placing
	# its vCPUs (the hypervisor's last line before the guest runs) to its
	# stop line. A hypervisor warning in between stays: it is a difference.
	tr -d '\r' <"$raw" | awk '
		/^\[k\] partition stopped: / { exit }
		started && /^\[k\] / { sub(/^\[k\] /, ""); print }
		/^\[k\] vCPUs on host CPU/ { started = 1 }' >"$out"
	st=$(tr -d '\r' <"$raw" | sed -n 's/.*\[k\] partition stopped: debug exit: .*, status \([0-9][0-9]*\).*/\1/p' | head -n 1)
	if [ -n "$st" ]; then
		echo "$st"
	elif [ $rc -eq 124 ]; then
		echo timeout
	else
		echo none
	fi
}

ROW='%-22s %-16s %-16s %-16s %-8s %s\n'
# shellcheck disable=SC2059
printf "$ROW" kernel qemu svm vmx output verdict
ran=0 failed=0
shopt -s nullglob
for k in "$KDIR"/*; do
	[ -f "$k" ] || continue
	case "$k" in *.conf) continue ;; esac
	name=$(basename "$k")
	# A file some .conf names as a module is not a kernel.
	if cat "$KDIR"/*.conf 2>/dev/null | sed -n 's/^module:[[:space:]]*\([^ ]*\).*/\1/p' | grep -qx -- "$name"; then
		continue
	fi
	conf=$KDIR/${name%.*}.conf
	skip=$(conf_get "$conf" skip | head -n 1)
	if [ -z "$skip" ] && ! has_mb1_header "$k"; then
		skip="no Multiboot 1 header"
	fi
	if [ -n "$skip" ]; then
		# shellcheck disable=SC2059
		printf "$ROW" "$name" skip skip skip - "SKIP ($skip)"
		continue
	fi
	mem=$(conf_get "$conf" mem | head -n 1)
	mem=${mem:-32M}
	args=$(conf_get "$conf" args | head -n 1)
	departs=$(conf_get "$conf" qemu-departs | head -n 1)
	d=$WORK/$name
	mkdir -p "$d"
	st_q=$(run_direct "$k" "$conf" "$mem" "$args" "$d/qemu.out")
	st_b=$(run_bulkhead "$k" "$conf" "$mem" "$args" "$d/bulkhead.out")
	filter_out "$d/qemu.out" "$conf"
	filter_out "$d/bulkhead.out" "$conf"
	same=same
	rm -f "$d/output.diff"
	if ! cmp -s "$d/qemu.out.cmp" "$d/bulkhead.out.cmp"; then
		same=differs
		diff -u "$d/qemu.out.cmp" "$d/bulkhead.out.cmp" >>"$d/output.diff"
	fi
	if [ "$VMX" = 1 ]; then
		st_v=$(run_bulkhead_vmx "$k" "$conf" "$mem" "$args" "$d/vmx.out")
		filter_out "$d/vmx.out" "$conf"
		if ! cmp -s "$d/qemu.out.cmp" "$d/vmx.out.cmp"; then
			same=differs
			diff -u "$d/qemu.out.cmp" "$d/vmx.out.cmp" >>"$d/output.diff"
		fi
		vmx_word=$(status_word "$st_v")
	else
		st_v=$st_b # no VMX column: judged on the others
		vmx_word=-
	fi
	ran=$((ran + 1))
	if [ -n "$departs" ]; then
		# Judged against the architecture, not against QEMU.
		if [ "$st_b" = 1 ] && [ "$st_v" = 1 ]; then
			verdict="PASS (QEMU departs: $departs)"
			rm -f "$d/output.diff"
		else
			verdict=FAIL
			failed=$((failed + 1))
		fi
	elif [ "$st_q" = "$st_b" ] && [ "$st_q" = "$st_v" ] && [ "$same" = same ] &&
		[ "$st_q" != timeout ]; then
		verdict=PASS
	else
		verdict=FAIL
		failed=$((failed + 1))
	fi
	# shellcheck disable=SC2059
	printf "$ROW" "$name" "$(status_word "$st_q")" "$(status_word "$st_b")" "$vmx_word" \
		"$same" "$verdict"
	if [ "$verdict" = FAIL ] && [ -f "$d/output.diff" ]; then
		sed -e 's/^/    /' "$d/output.diff" | head -n 20
	fi
done
echo "conformance: $ran ran, $failed failed${KEEP:+ (runs kept in $KEEP)}"
[ $ran -gt 0 ] && [ $failed -eq 0 ]
