#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Boots Bulkhead in QEMU (x86-64 with AMD SVM + nested paging).
#
#   scripts/run-qemu.sh --iso build/bulkhead.iso            SeaBIOS -> GRUB (BIOS)
#   scripts/run-qemu.sh --kernel build/bulkhead.elf \
#       [--append "options"] [--module "path manifest"]...  QEMU's Multiboot1 loader
#   scripts/run-qemu.sh --ovmf --esp build/esp.img           OVMF -> BOOTX64.EFI
#   scripts/run-qemu.sh --ovmf --iso build/bulkhead.iso      OVMF -> GRUB EFI
#
# Options:
#   --log FILE      batch run: serial to FILE, no stdin, ends itself
#                   (on_idle=exit, --stop, or --timeout; default 60 s)
#   --run-dir DIR   the run's files (result, emulator.log, OVMF vars copy);
#                   default: the directory of --log, else build/run
#   --timeout S     hard limit in seconds (interactive default: none)
#   --stop REGEX    end the run as soon as REGEX appears in the serial log
#   --mark ERE      batch run: record when a line first matches (result: mark<i>_ms)
#   --send 'ERE => TEXT'  batch run: type TEXT (printf %b escapes) into the
#                   serial port when a line matches ERE; repeatable, in order
#   --cpu MODEL     -cpu value: a TCG model (default: host under KVM where
#                   scripts/accel.sh finds KVM usable, else qemu64,+svm,+npt)
#   --mem SIZE      guest RAM (default 512M)
#   --machine TYPE  QEMU machine: pc (i440FX, the default) or q35
#   --smp N         N host CPUs (QEMU -smp N; default $RUN_SMP, else 1)
#   --screen-at ERE batch run: with a VGA display, once a serial line matches
#                   ERE, save the screen (<run-dir>/screen.ppm, vga-text.txt:
#                   scripts/qemu-screen.py) and end the run
#   --monitor-at 'ERE => CMD'  batch run: once a serial line matches ERE,
#                   half a second later, the human-monitor command CMD (e.g.
#                   nmi); the run goes on (reply in <run-dir>/monitor-cmd.log)
#   --quiet         do not print the serial log tail on failure
# Environment: RUN_QEMU_ACCEL_OPTS=OPTS appends ",OPTS" to -accel (e.g.
#   thread=single: QEMU's TCG runs every CPU in one thread, to tell a
#   hypervisor race from a multi-threaded-TCG one; docs/testing.md).
#   RUN_QEMU_DEBUG_ARGS="ARGS" adds ARGS (split at spaces) to every QEMU
#   command line, also under scripts/itest.sh: e.g. "-d in_asm -D FILE",
#   where QEMU logs a vmrun!/vmexit(...) line for each SVM world switch.
#   -- ARGS...      passed to QEMU unchanged
# Without --log the run is interactive: serial and the QEMU monitor share the
# terminal (Ctrl-A x quits, Ctrl-A c switches to the monitor) and the serial
# output is also kept in <run-dir>/serial.log.
#
# Exit status and the result file: see scripts/run-common.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/run-common.sh
. "$here/run-common.sh"
# shellcheck source=scripts/accel.sh
. "$here/accel.sh"

OVMF_CODE=/usr/share/OVMF/OVMF_CODE.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS.fd
OVMF_ONE=/usr/share/ovmf/OVMF.fd

SEND_SPECS=() MARK_RES=()
iso='' kernel='' esp='' append='' ovmf=0 log='' dir='' limit='' stop='' cpu='' mem=512M machine=pc quiet=0 screen_at='' monitor_at=''
smp=${RUN_SMP:-1}
modules=() extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--iso) iso=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--module) modules+=("$2"); shift 2 ;;
	--esp) esp=$2; shift 2 ;;
	--ovmf) ovmf=1; shift ;;
	--log) log=$2; shift 2 ;;
	--run-dir) dir=$2; shift 2 ;;
	--timeout) limit=$2; shift 2 ;;
	--stop) stop=$2; shift 2 ;;
	--send) SEND_SPECS+=("$2"); shift 2 ;;
	--mark) MARK_RES+=("$2"); shift 2 ;;
	--cpu) cpu=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--machine) machine=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--screen-at) screen_at=$2; shift 2 ;;
	--monitor-at) monitor_at=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	--) shift; extra=("$@"); break ;;
	-h | --help) sed -n '3,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) die_usage "unknown argument '$1' (try --help)" ;;
	esac
done

n=0
[ -n "$iso" ] && n=$((n + 1))
[ -n "$kernel" ] && n=$((n + 1))
[ -n "$esp" ] && n=$((n + 1))
[ $n = 1 ] || die_usage "give exactly one of --iso, --kernel, --esp"
[ -z "$esp" ] || [ $ovmf = 1 ] || die_usage "--esp needs --ovmf (it is a UEFI system partition)"
[ -z "$kernel" ] || [ $ovmf = 0 ] || die_usage "--kernel is QEMU's Multiboot1 loader: BIOS only"
[[ "$smp" =~ ^[1-9][0-9]*$ ]] || die_usage "--smp wants a CPU count, got '$smp'"
for f in "$iso" "$kernel" "$esp"; do
	[ -z "$f" ] || [ -f "$f" ] || { echo "run-qemu.sh: $f: no such file" >&2; exit 125; }
done

if [ -z "$dir" ]; then
	if [ -n "$log" ]; then dir=$(dirname "$log"); else dir=build/run; fi
fi
mkdir -p "$dir"

# shellcheck disable=SC2054 # commas belong to QEMU option values
args=(-machine "$machine" -nodefaults -no-reboot -m "$mem" -smp "$smp" -display none
	-device isa-debug-exit,iobase=0xf4,iosize=0x04)
# The accelerator (scripts/accel.sh): KVM only where a probe showed that it
# runs Bulkhead with SVM or VMX usable. An explicit CPU model other than
# `host` is a TCG model (tests ask for EPYC, max, ... to see those CPUs).
if [ -n "$cpu" ] && [ "$cpu" != host ]; then
	accel=tcg accel_why="--cpu $cpu is emulated by TCG"
else
	accel_choose || exit 125
	accel=$ACCEL accel_why=$ACCEL_WHY
	if [ "$accel" = kvm ]; then
		cpu=host
	elif [ -z "$cpu" ]; then
		cpu=qemu64,+svm,+npt
	else
		echo "run-qemu.sh: --cpu host needs KVM, and KVM is not usable: $accel_why" >&2
		exit 125
	fi
fi
echo "run-qemu.sh: accelerator $accel${RUN_QEMU_ACCEL_OPTS:+,$RUN_QEMU_ACCEL_OPTS}, -cpu $cpu ($accel_why)" >&2
args+=(-accel "$accel${RUN_QEMU_ACCEL_OPTS:+,$RUN_QEMU_ACCEL_OPTS}" -cpu "$cpu")
# shellcheck disable=SC2206 # split at spaces on purpose
[ -n "${RUN_QEMU_DEBUG_ARGS:-}" ] && args+=($RUN_QEMU_DEBUG_ARGS)

if [ $ovmf = 1 ]; then
	if [ -f "$OVMF_CODE" ] && [ -f "$OVMF_VARS" ]; then
		cp "$OVMF_VARS" "$dir/OVMF_VARS.fd"
		args+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
			-drive "if=pflash,format=raw,unit=1,file=$dir/OVMF_VARS.fd")
	elif [ -f "$OVMF_ONE" ]; then
		args+=(-bios "$OVMF_ONE")
	else
		echo "run-qemu.sh: no OVMF firmware (install the ovmf package: make deps)" >&2
		exit 125
	fi
fi

if [ -n "$iso" ]; then
	args+=(-drive "file=$iso,format=raw,if=ide,media=cdrom,readonly=on" -boot d)
elif [ -n "$esp" ]; then
	# A private copy: the firmware may write to the volume.
	cp "$esp" "$dir/esp.img"
	args+=(-drive "file=$dir/esp.img,format=raw,if=ide,media=disk")
else
	args+=(-kernel "$kernel")
	[ -n "$append" ] && args+=(-append "$append")
	if [ ${#modules[@]} -gt 0 ]; then
		initrd=''
		for m in "${modules[@]}"; do
			# QEMU splits -initrd at commas: a literal comma is written twice.
			initrd+="${initrd:+,}${m//,/,,}"
		done
		args+=(-initrd "$initrd")
	fi
fi

monitor=(-monitor none)
if [ -n "$screen_at" ]; then
	[ -n "$log" ] || die_usage "--screen-at is for batch runs (--log)"
	rm -f "$dir/monitor.sock" "$dir/screen.ppm" "$dir/vga-text.txt"
	args+=(-vga std)
	monitor=(-monitor "unix:$dir/monitor.sock,server=on,wait=off")
	SCREEN_AT=$screen_at SCREEN_GRAB=("$here/qemu-screen.py" grab "$dir/monitor.sock" "$dir")
fi

if [ -n "$monitor_at" ]; then
	[ -n "$log" ] || die_usage "--monitor-at is for batch runs (--log)"
	rm -f "$dir/monitor.sock"
	monitor=(-monitor "unix:$dir/monitor.sock,server=on,wait=off")
	MONITOR_AT=${monitor_at%% => *}
	MONITOR_CMD=("$here/qemu-screen.py" cmd "$dir/monitor.sock" 0.5 "${monitor_at#* => }")
fi

if [ -n "$log" ]; then
	if [ ${#SEND_SPECS[@]} -gt 0 ]; then
		# A pipe chardev: QEMU reads <path>.in (our keystrokes) and writes
		# <path>.out (discarded; logfile= keeps the log as file: would).
		mkdir -p "$dir"
		make_send_fifo "$dir"
		rm -f "$dir/serial.out"
		ln -s /dev/null "$dir/serial.out"
		args+=(-chardev "pipe,id=ser0,path=$dir/serial,logfile=$log,logappend=off"
			-serial chardev:ser0 "${monitor[@]}")
	else
		args+=(-serial "file:$log" "${monitor[@]}")
	fi
	status=0
	run_batch qemu "$log" "${limit:-60}" "$stop" "$dir" "$quiet" -- \
		qemu-system-x86_64 "${args[@]}" "${extra[@]+"${extra[@]}"}" || status=$?
	exit $status
fi

# Interactive.
args+=(-chardev "stdio,id=con,mux=on,logfile=$dir/serial.log"
	-serial chardev:con -mon chardev=con)
echo "run-qemu.sh: serial on this terminal (Ctrl-A x quits); log in $dir/serial.log" >&2
rc=0
if [ -n "$limit" ]; then
	timeout --foreground "$limit" qemu-system-x86_64 "${args[@]}" "${extra[@]+"${extra[@]}"}" || rc=$?
else
	qemu-system-x86_64 "${args[@]}" "${extra[@]+"${extra[@]}"}" || rc=$?
fi
case $rc in
1) echo "run-qemu.sh: the hypervisor reported success" >&2; exit 0 ;;
3) echo "run-qemu.sh: the hypervisor reported failure" >&2; exit 1 ;;
0) echo "run-qemu.sh: QEMU ended (quit, reset or triple fault)" >&2; exit 0 ;;
124) echo "run-qemu.sh: timed out after ${limit}s" >&2; exit 124 ;;
*) echo "run-qemu.sh: QEMU exited with status $rc" >&2; exit 125 ;;
esac
