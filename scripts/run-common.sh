# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Shared by scripts/run-qemu.sh, run-bochs.sh and itest.sh (sourced, not run).
#
# A batch run starts the emulator under `timeout`, watches its serial log
# while it runs and leaves $RUN_DIR/result, a file of key=value lines:
#
#   outcome=success|failure|ended|stopped|reset|timeout|error
#   emu_rc=<exit status of the emulator (or timeout's 124)>
#   elapsed_ms=<wall clock from start to end>
#   banner_ms=<start to the first "Bulkhead x.y.z" line, empty if never>
#   ready_ms=<start to "bulkhead: ready" (or the ERE in $RUN_READY_RE), empty if never>
#   mark<i>_ms=<start to the first line matching MARK_RES[i], empty if never>
#
# outcome: success/failure = the hypervisor wrote status 0/1 to port 0xF4
# (QEMU isa-debug-exit exits with (status << 1) | 1); ended = Bochs stopped
# at the magic breakpoint (the status byte is not visible there); stopped =
# the --stop pattern appeared and the runner ended the emulator; reset =
# QEMU -no-reboot exit 0 (triple fault, reset or ACPI power-off) or Bochs
# exit 1 (panic or triple fault); timeout = hard limit reached.
#
# The runner's exit status: 0 success/ended/stopped, 1 failure, 3 reset,
# 124 timeout, 125 error, 2 usage.

BANNER_RE='Bulkhead [0-9]+\.[0-9]+\.[0-9]+'
READY_RE=${RUN_READY_RE:-'bulkhead: ready'} # the refkernel says "ref: ready"
TAIL_LINES=40

die_usage() {
	echo "$(basename "$0"): $*" >&2
	exit 2
}

# The serial log without carriage returns and terminal escape sequences
# (GRUB and OVMF draw with them): what the test regexes are matched against.
clean_log() {
	sed -e 's/\x1b\[[0-9;=?]*[A-Za-z]//g' -e 's/\x1b[()][0-9A-Za-z]//g' -e 's/\r//g' "$1"
}

print_tail() {
	local log=$1 why=$2
	echo "---- $why; last $TAIL_LINES lines of $log ----" >&2
	clean_log "$log" | tail -n "$TAIL_LINES" | cat -v >&2
	echo "---- end of $log ----" >&2
}

# exit status of the runner for an outcome
outcome_status() {
	case "$1" in
	success | ended | stopped) echo 0 ;;
	failure) echo 1 ;;
	reset) echo 3 ;;
	timeout) echo 124 ;;
	*) echo 125 ;;
	esac
}

# Sets NOW_MS to the wall clock in milliseconds (no fork: bash 5 builtin).
set_now() {
	local t=${EPOCHREALTIME/./}
	NOW_MS=$((t / 1000))
}

# The serial-log watcher: reads whatever new bytes the log has (builtins
# only, so polling costs no forks while the emulator needs the CPUs), keeps
# a partial last line for the next call, and notes when the banner, the
# ready line and the stop pattern first appear.
# Keystrokes: SEND_SPECS ("ERE => TEXT", in order) are typed into SEND_FIFO
# when a line matches; W_SEND is the index of the next one.
# make_send_fifo DIR: the FIFO watch_send types SEND_SPECS' keystrokes into
# (DIR/serial.in, read by the emulator's serial backend); sets SEND_FIFO.
make_send_fifo() {
	rm -f "$1/serial.in"
	mkfifo "$1/serial.in"
	SEND_FIFO=$1/serial.in
}

watch_init() {
	W_PARTIAL='' W_BANNER='' W_READY='' W_STOPPED=0 W_SEND=0 W_IN='' W_SCREEN_PID='' W_MONITOR_PID=''
	W_MARK_MS=()
	exec {W_FD}<"$1"
	if [ -n "${SEND_FIFO:-}" ]; then
		exec {W_IN}<>"$SEND_FIFO" # read-write: opening never blocks
	fi
}

# The screen: once a line matches SCREEN_AT, SCREEN_GRAB (a command) saves
# it in the background; the run ends when that is done (watch_screen_done).
watch_screen() {
	[ -n "${SCREEN_AT:-}" ] && [ -z "$W_SCREEN_PID" ] && [[ $1 =~ $SCREEN_AT ]] || return 0
	"${SCREEN_GRAB[@]}" >"$RUN_DIR_SCREEN/screen-grab.log" 2>&1 &
	W_SCREEN_PID=$!
}

# A monitor command: once a line matches MONITOR_AT, MONITOR_CMD (a
# command) runs in the background, once; the run goes on.
watch_monitor() {
	[ -n "${MONITOR_AT:-}" ] && [ -z "$W_MONITOR_PID" ] && [[ $1 =~ $MONITOR_AT ]] || return 0
	"${MONITOR_CMD[@]}" >"$RUN_DIR_SCREEN/monitor-cmd.log" 2>&1 &
	W_MONITOR_PID=$!
}

watch_screen_done() {
	[ -n "$W_SCREEN_PID" ] && [ "$W_STOPPED" = 0 ] || return 0
	kill -0 "$W_SCREEN_PID" 2>/dev/null && return 0
	W_SCREEN_RC=0
	wait "$W_SCREEN_PID" || W_SCREEN_RC=$?
	W_STOPPED=1
}

# Marks: MARK_RES (EREs) whose first matching line's time is recorded.
watch_marks() {
	local i
	for i in "${!MARK_RES[@]}"; do
		if [ -z "${W_MARK_MS[$i]:-}" ] && [[ $1 =~ ${MARK_RES[$i]} ]]; then
			W_MARK_MS[$i]=$((NOW_MS - $2))
		fi
	done
}

watch_send() {
	local clean=$1 spec
	[ -n "$W_IN" ] || return 0
	while [ "$W_SEND" -lt "${#SEND_SPECS[@]}" ]; do
		spec=${SEND_SPECS[$W_SEND]}
		[[ $clean =~ ${spec%% => *} ]] || return 0
		printf '%b' "${spec#* => }" >&"$W_IN"
		W_SEND=$((W_SEND + 1))
	done
}

watch_poll() {
	local start=$1 stop=$2 line clean
	set_now
	while :; do
		line=''
		if ! IFS= read -r -u "$W_FD" line; then
			W_PARTIAL+=$line
			break
		fi
		line=$W_PARTIAL$line
		W_PARTIAL=''
		clean=${line//$'\r'/}
		clean=${clean//$'\e'\[*([0-9;=?])[A-Za-z]/}
		if [ -z "$W_BANNER" ] && [[ $clean =~ $BANNER_RE ]]; then W_BANNER=$((NOW_MS - start)); fi
		if [ -z "$W_READY" ] && [[ $clean =~ $READY_RE ]]; then W_READY=$((NOW_MS - start)); fi
		if [ -n "$stop" ] && [[ $clean =~ $stop ]]; then W_STOPPED=1; fi
		watch_send "$clean"
		watch_marks "$clean" "$start"
		watch_screen "$clean"
		watch_monitor "$clean"
	done
	# A final line without its newline yet still counts for the stop pattern.
	if [ -n "$stop" ] && [ -n "$W_PARTIAL" ] && [[ ${W_PARTIAL//$'\r'/} =~ $stop ]]; then
		W_STOPPED=1
	fi
}

# Did QEMU report an error of its own (bad option, unreadable kernel)? It
# prints "qemu-system-x86_64: <message>" or "qemu: <message>"; warnings,
# which do not stop it, say "warning:".
qemu_failed() {
	grep -vi 'warning:' "$1" 2>/dev/null | grep -qE '^qemu(-system-x86_64)?: '
}

# run_batch KIND LOG TIMEOUT STOP_RE RUN_DIR QUIET -- command...
#   KIND: qemu or bochs (how to read the exit status).
run_batch() {
	local kind=$1 log=$2 limit=$3 stop=$4 dir=$5 quiet=$6
	shift 7
	local start pid rc outcome nap

	shopt -s extglob
	mkdir -p "$dir"
	: >"$log"
	watch_init "$log"
	exec {nap}<> <(:) # a descriptor that never has data: `read -t` on it sleeps
	set_now
	start=$NOW_MS
	# -k: a process that ignores SIGTERM is killed 5 s later.
	timeout -k 5 "$limit" "$@" >"$dir/emulator.log" 2>&1 </dev/null &
	pid=$!
	RUN_DIR_SCREEN=$dir W_SCREEN_RC=''
	while kill -0 "$pid" 2>/dev/null; do
		watch_poll "$start" "$stop"
		watch_screen_done
		if [ "$W_STOPPED" = 1 ]; then
			kill -TERM "$pid" 2>/dev/null
			break
		fi
		read -r -t 0.05 -u "$nap" || :
	done
	rc=0
	wait "$pid" || rc=$?
	watch_poll "$start" "$stop" # lines that arrived since the last poll
	set_now
	exec {W_FD}<&- {nap}<&-
	[ -z "$W_IN" ] || exec {W_IN}>&-

	if [ "$W_STOPPED" = 1 ]; then
		outcome=stopped
	elif [ $rc = 124 ] || [ $rc = 137 ]; then
		outcome=timeout
	elif [ "$kind" = qemu ] && [ $rc = 1 ] && qemu_failed "$dir/emulator.log"; then
		outcome=error # QEMU itself exits 1 on errors, like isa-debug-exit with status 0
	elif [ "$kind" = qemu ]; then
		case $rc in
		1) outcome=success ;;
		3) outcome=failure ;;
		0) outcome=reset ;;
		*) outcome=error ;;
		esac
	else
		case $rc in
		0) outcome=ended ;;
		1) outcome=reset ;;
		*) outcome=error ;;
		esac
	fi
	{
		echo "outcome=$outcome"
		echo "emu_rc=$rc"
		echo "elapsed_ms=$((NOW_MS - start))"
		echo "banner_ms=$W_BANNER"
		echo "ready_ms=$W_READY"
		for i in "${!MARK_RES[@]}"; do echo "mark${i}_ms=${W_MARK_MS[$i]:-}"; done
		[ -z "${SCREEN_AT:-}" ] || echo "screen_rc=${W_SCREEN_RC:-none}"
	} >"$dir/result"

	local status
	status=$(outcome_status "$outcome")
	if [ "$status" != 0 ] && [ "$quiet" != 1 ]; then
		case $outcome in
		timeout) print_tail "$log" "timed out after ${limit}s" ;;
		*) print_tail "$log" "$outcome (emulator exit status $rc)" ;;
		esac
		if [ "$outcome" = error ] || [ "$outcome" = reset ]; then
			echo "---- emulator output ($dir/emulator.log) ----" >&2
			tail -n 20 "$dir/emulator.log" >&2
		fi
	fi
	return "$status"
}
