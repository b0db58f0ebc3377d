#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Bulkhead's integration-test runner: boots the real image on the real boot
# paths and judges the serial log.
#
#   scripts/itest.sh [--build DIR] [--jobs N] [--filter REGEX]
#       [--suite NAME:MODULES:EXPECT]... [--suite-paths "PATH..."] [FILE.test...]
#
# Without files it runs every tests/integration/*.test (--filter: only those
# whose name matches REGEX). Each --suite (the Makefile passes one per
# GUEST_SUITES entry of guests/guests.mk) adds one generated test per
# --suite-paths boot path (default "qemu-kernel bochs": SVM and VMX), named
# suite-NAME-PATH: MODULES lists its modules, EXPECT its expect:/reject:/
# timeout: lines (see modules-from and include below). At most --jobs tests run at once (default 2: the
# emulators are single-threaded and CI machines have two cores). For every
# test it prints PASS/FAIL, the wall-clock duration and the time from
# emulator start to "bulkhead: ready"; for a failure the reasons and the
# last 40 serial lines. The last line is always
#     integration: N passed, N failed
# and the exit status is 0 only if every test passed (and at least one ran).
# Each test's files stay in DIR/itest/<name>/: serial.log (raw),
# serial.clean.log (what the regexes saw), result, emulator.log, the boot
# medium (boot.iso or esp.img) and for Bochs bochsrc/bochs.log.
#
# A test is a file tests/integration/<name>.test of "key: value" lines
# ('#' starts a comment line; keys marked * may repeat):
#
#   path: grub-bios | qemu-kernel | efi-loader | grub-efi | bochs
#         grub-bios    QEMU, SeaBIOS, GRUB from the hybrid ISO (i386-pc)
#         qemu-kernel  QEMU's own Multiboot1 loader (-kernel/-append/-initrd)
#         efi-loader   QEMU, OVMF, Bulkhead's BOOTX64.EFI from a FAT ESP
#         grub-efi     QEMU, OVMF, GRUB EFI from the same hybrid ISO
#         bochs        Bochs (VT-x CPU model), BIOS, GRUB from the ISO
#   protocol: multiboot2 | multiboot1   GRUB menu entry used (default multiboot2;
#                                       qemu-kernel is always multiboot1)
#   image: bulkhead | refkernel | PATH  what to boot (default bulkhead = BUILD/bulkhead.elf;
#                                       refkernel = BUILD/refkernel.elf, which prints
#                                       "ref: ready" and ends the run)
#   cmdline: OPTIONS                    the hypervisor command line (docs/manifest.md)
# * module: FILE MANIFEST...            a boot module; FILE relative to BUILD, else to
#                                       the repository; a missing file fails the test
# * expect: ERE                         must match some line of the serial log
# * reject: ERE                         must match no line of the serial log
#   outcome: success | failure | reset | any
#                                       how the run must end (default success): the
#                                       status the hypervisor wrote to port 0xF4 (QEMU);
#                                       under Bochs that status is invisible, so a run
#                                       ended by the magic breakpoint satisfies success
#                                       and failure; reset = triple fault/reset. A hard
#                                       timeout or an emulator error always fails.
# * efi-config: LINE                    efi-loader only: a raw line appended to the ESP's
#                                       bulkhead.cfg (to test the loader's own checks)
#   stop: ERE                           end the run as soon as this appears (then the
#                                       run counts as ended as the test wanted)
#   balanced: PCT N ERE                 exactly N lines match ERE, each ending in a
#                                       number, and every number lies within PCT
#                                       percent of their mean (scheduler fairness)
#   elapsed: MIN MAX FROM => TO         seconds between the first lines matching the
#                                       EREs FROM and TO. When both lines end in a
#                                       number (the guest's clock, e.g. /proc/uptime),
#                                       that interval must lie in MIN..MAX and the
#                                       host's wall clock must agree within 10% + 0.3 s
#                                       (true of the hypervisor however busy the host);
#                                       otherwise the host's wall clock alone (QEMU paths)
# * send: ERE => TEXT                   type TEXT (printf %b escapes: \r, \x01) on the
#                                       serial port once a line matches ERE; sends
#                                       fire in order (QEMU and Bochs paths; Bochs
#                                       through scripts/serial-relay.py)
#   timeout: SECONDS                    hard limit (default 30; OVMF paths 60, Bochs 120)
#   modules-from: FILE                  modules from a list of "<image relative to
#                                       BUILD/guests> <manifest>" lines ('#' comments)
#   include: FILE                       read more key: value lines from FILE (one level)
#   cpu: MODEL                          QEMU -cpu or Bochs CPU model override
#   mem: SIZE                           guest RAM (QEMU: 512M; Bochs: MiB, 256)
#   smp: N                              host CPUs (QEMU -smp N, Bochs cpu: count=N; default 1)
#   machine: pc | q35                   QEMU machine type (default pc)
#   icount: SHIFT                       QEMU paths: -icount shift=SHIFT, so guest time
#                                       (and RDTSC) counts executed instructions, not
#                                       the busy host's wall clock (CPU-share tests)
#   accel-opts: OPTS                    QEMU paths: appended to -accel (e.g. thread=single:
#                                       TCG runs every CPU in one thread);
#                                       RUN_QEMU_ACCEL_OPTS in the environment, if
#                                       set, wins (thread=multi: QEMU's default)
# * screen: ERE                         QEMU paths: the run gets a VGA display; once
#                                       screen-at: matches a serial line the screen is
#                                       saved and read back as text (scripts/qemu-screen.py:
#                                       the VGA text buffer, or the framebuffer decoded
#                                       with the hypervisor's font), the run ends, and
#                                       some line of that text must match ERE
#   screen-at: ERE                      when to look (default: bulkhead: ready)
#   monitor-at: ERE => CMD              QEMU paths: half a second after the first line
#                                       matching ERE, the monitor command CMD (e.g.
#                                       nmi); the run goes on
#
# FILE paths in tests are relative to the repository unless absolute.
# The regexes are POSIX extended (grep -E), matched against the log with
# carriage returns and terminal escape sequences removed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=scripts/run-common.sh
. "$here/run-common.sh"

BUILD=build
JOBS=2
FILTER=''
SUITE_PATHS="qemu-kernel bochs"
files=() suites=()
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	--jobs) JOBS=$2; shift 2 ;;
	--filter) FILTER=$2; shift 2 ;;
	--suite) suites+=("$2"); shift 2 ;;
	--suite-paths) SUITE_PATHS=$2; shift 2 ;;
	-h | --help) sed -n '3,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) die_usage "unknown option '$1' (try --help)" ;;
	*) files+=("$1"); shift ;;
	esac
done
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die_usage "--jobs must be a positive number"
case "$BUILD" in /*) ;; *) BUILD=$repo/$BUILD ;; esac
if [ ${#files[@]} -eq 0 ]; then
	for f in "$repo"/tests/integration/*.test; do
		[ -f "$f" ] && files+=("$f")
	done
fi
OUT=$BUILD/itest

fmt_s() { # milliseconds -> "1.234s", or "-" when empty
	[ -n "$1" ] || { echo -; return; }
	printf '%d.%03ds' $(($1 / 1000)) $(($1 % 1000))
}

# parse_test FILE DEPTH: reads "key: value" lines into run_one's variables
# (bash's dynamic scoping); `include:` reads another file the same way.
parse_test() {
	local file=$1 depth=$2 line key val lineno=0
	[ -f "$file" ] || fail_setup "$file does not exist"
	while IFS= read -r line || [ -n "$line" ]; do
		lineno=$((lineno + 1))
		line=${line%$'\r'}
		[[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
		[[ "$line" == *:* ]] || fail_setup "$file:$lineno: expected 'key: value'"
		key=${line%%:*}
		val=${line#*:}
		val=${val#"${val%%[![:space:]]*}"}
		case "$key" in
		path) path=$val ;;
		protocol) protocol=$val ;;
		image) image=$val ;;
		cmdline) cmdline=$val ;;
		module) modules+=("$val") ;;
		modules-from) suite_modules=$(repo_path "$val") ;;
		include)
			[ "$depth" = 0 ] || fail_setup "$file:$lineno: include inside an included file"
			parse_test "$(repo_path "$val")" 1 ;;
		expect) expects+=("$val") ;;
		reject) rejects+=("$val") ;;
		efi-config) cfg_lines+=(--cfg-line "$val") ;;
		outcome) outcome_want=$val ;;
		stop) stop=$val ;;
		send) sends+=(--send "$val") ;;
		elapsed) elapsed=$val ;;
		balanced) balanced=$val ;;
		timeout) limit=$val ;;
		cpu) cpu=$val ;;
		mem) mem=$val ;;
		smp) smp=$val ;;
		machine) machine=$val ;;
		icount) icount=$val ;;
		accel-opts) accel_opts=$val ;;
		screen) screens+=("$val") ;;
		screen-at) screen_at=$val ;;
		monitor-at) monitor_at=$val ;;
		*) fail_setup "$file:$lineno: unknown key '$key'" ;;
		esac
	done <"$file"
}

# read_module_list FILE: "<image relative to BUILD/guests> <command line>"
# lines (guests/suites/<suite>.modules) become module: entries.
read_module_list() {
	local line n=0
	[ -f "$1" ] || fail_setup "module list $1 does not exist"
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		[[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
		line=${line#"${line%%[![:space:]]*}"}
		modules+=("guests/$line")
		n=$((n + 1))
	done <"$1"
	[ $n -gt 0 ] || fail_setup "module list $1 names no module"
}

repo_path() {
	case "$1" in /*) echo "$1" ;; *) echo "$repo/$1" ;; esac
}

# run_one NAME FILE: runs one test in OUT/NAME and leaves there a `verdict`
# (PASS or FAIL) and a `report` to print. Runs in a background subshell.
run_one() {
	local name=$1 file=$2 dir=$OUT/$1
	local path='' protocol='' image=bulkhead cmdline='' outcome_want=success stop=''
	local limit='' cpu='' mem='' smp='' machine='' icount='' accel_opts='' screen_at='bulkhead: ready' monitor_at='' suite_modules='' line elapsed='' balanced=''
	local -a modules=() expects=() rejects=() why=() cfg_lines=() sends=() screens=()

	rm -rf "$dir"
	mkdir -p "$dir"
	fail_setup() {
		echo FAIL >"$dir/verdict"
		printf 'FAIL  %-34s setup: %s\n' "$name" "$1" >"$dir/report"
		exit 0
	}

	parse_test "$file" 0
	[ -z "$suite_modules" ] || read_module_list "$suite_modules"

	case "$path" in
	grub-bios | qemu-kernel) : "${limit:=30}" ;;
	efi-loader | grub-efi) : "${limit:=60}" ;;
	bochs) : "${limit:=120}" ;;
	*) fail_setup "path '$path' is not grub-bios, qemu-kernel, efi-loader, grub-efi or bochs" ;;
	esac
	[[ "$limit" =~ ^[1-9][0-9]*$ ]] || fail_setup "timeout '$limit' is not a positive number of seconds"
	if [ "$path" = qemu-kernel ]; then
		[ "$protocol" != multiboot2 ] || fail_setup "qemu-kernel boots Multiboot1 only"
		protocol=multiboot1
	fi
	case "${protocol:=multiboot2}" in
	multiboot1 | multiboot2) ;;
	*) fail_setup "protocol '$protocol' is not multiboot1 or multiboot2" ;;
	esac
	case "$outcome_want" in success | failure | reset | any) ;; *) fail_setup "outcome '$outcome_want'?" ;; esac
	[ ${#cfg_lines[@]} -eq 0 ] || [ "$path" = efi-loader ] || fail_setup "efi-config needs path: efi-loader"
	[ ${#expects[@]} -gt 0 ] || fail_setup "no 'expect:' line: the test would assert nothing"

	case "$image" in
	bulkhead) image=$BUILD/bulkhead.elf ;;
	refkernel) image=$BUILD/refkernel.elf; export RUN_READY_RE='ref: ready' ;;
	/*) ;;
	*) image=$repo/$image ;;
	esac
	[ -f "$image" ] || fail_setup "image $image does not exist (not built?)"

	local m p rest resolved=()
	for m in "${modules[@]+"${modules[@]}"}"; do
		p=${m%% *}
		rest=; [ "$p" != "$m" ] && rest=" ${m#* }"
		if [[ "$p" != /* ]]; then
			if [ -f "$BUILD/$p" ]; then p=$BUILD/$p; else p=$repo/$p; fi
		fi
		[ -f "$p" ] || fail_setup "module file ${m%% *} not found in $BUILD or the repository"
		resolved+=("$p$rest")
	done
	local modargs=()
	for m in "${resolved[@]+"${resolved[@]}"}"; do modargs+=(--module "$m"); done

	local runner=() common=(--log "$dir/serial.log" --run-dir "$dir" --timeout "$limit" --quiet)
	[ -n "$stop" ] && common+=(--stop "$stop")
	common+=("${sends[@]+"${sends[@]}"}")
	# elapsed: "MIN MAX FROM_ERE => TO_ERE": wall-clock seconds between the lines
	local el_from='' el_to='' el_min='' el_max='' el_res=''
	if [ -n "$elapsed" ]; then
		read -r el_min el_max el_res <<<"$elapsed"
		el_from=${el_res%% => *}
		el_to=${el_res#* => }
		[ -n "$el_res" ] && [ "$el_from" != "$el_res" ] ||
			fail_setup "elapsed: want 'MIN MAX FROM_ERE => TO_ERE'"
		common+=(--mark "$el_from" --mark "$el_to")
	fi
	[ -n "$cpu" ] && common+=(--cpu "$cpu")
	[ -n "$mem" ] && common+=(--mem "$mem")
	[ -n "$smp" ] && common+=(--smp "$smp")
	if [ ${#screens[@]} -gt 0 ]; then
		[ "$path" != bochs ] || fail_setup "screen: is checked on QEMU paths"
		common+=(--screen-at "$screen_at")
	fi
	if [ -n "$monitor_at" ]; then
		[ "$path" != bochs ] || fail_setup "monitor-at: is a QEMU option"
		common+=(--monitor-at "$monitor_at")
	fi
	if [ -n "$machine" ]; then
		[ "$path" != bochs ] || fail_setup "machine: is a QEMU option"
		common+=(--machine "$machine")
	fi
	if [ -n "$icount" ]; then
		[ "$path" != bochs ] || fail_setup "icount: is a QEMU option"
		[[ "$icount" =~ ^[0-9]+$ ]] || fail_setup "icount: wants a shift (0-10), got '$icount'"
	fi
	case "$path" in
	grub-bios | grub-efi | bochs)
		"$here/mkiso.sh" --out "$dir/boot.iso" --elf "$image" --cmdline "$cmdline" \
			--default "$protocol" "${modargs[@]+"${modargs[@]}"}" >"$dir/media.log" 2>&1 ||
			fail_setup "mkiso.sh failed: $(tail -n 3 "$dir/media.log" | tr '\n' ' ')"
		case "$path" in
		grub-bios) runner=("$here/run-qemu.sh" --iso "$dir/boot.iso") ;;
		grub-efi) runner=("$here/run-efi.sh" --iso "$dir/boot.iso") ;;
		bochs) runner=("$here/run-bochs.sh" --iso "$dir/boot.iso") ;;
		esac ;;
	efi-loader)
		[ -f "$BUILD/efi/BOOTX64.EFI" ] || fail_setup "$BUILD/efi/BOOTX64.EFI not built (make efi-app)"
		"$here/mkesp.sh" --out "$dir/esp.img" --efi "$BUILD/efi/BOOTX64.EFI" --elf "$image" \
			--cmdline "$cmdline" "${modargs[@]+"${modargs[@]}"}" \
			"${cfg_lines[@]+"${cfg_lines[@]}"}" >"$dir/media.log" 2>&1 ||
			fail_setup "mkesp.sh failed: $(tail -n 3 "$dir/media.log" | tr '\n' ' ')"
		runner=("$here/run-efi.sh" --esp "$dir/esp.img") ;;
	qemu-kernel)
		runner=("$here/run-qemu.sh" --kernel "$image" --append "$cmdline" "${modargs[@]+"${modargs[@]}"}") ;;
	esac

	local t0 t1
	set_now; t0=$NOW_MS
	[ -n "$icount" ] && common+=(-- -icount "shift=$icount")
	RUN_QEMU_ACCEL_OPTS=${RUN_QEMU_ACCEL_OPTS:-$accel_opts} "${runner[@]}" "${common[@]}" >"$dir/runner.log" 2>&1
	set_now; t1=$NOW_MS

	local outcome='' banner_ms='' ready_ms=''
	if [ -f "$dir/result" ]; then
		outcome=$(sed -n 's/^outcome=//p' "$dir/result")
		banner_ms=$(sed -n 's/^banner_ms=//p' "$dir/result")
		ready_ms=$(sed -n 's/^ready_ms=//p' "$dir/result")
	else
		why+=("the runner left no result: $(tail -n 3 "$dir/runner.log" | tr '\n' ' ')")
	fi
	[ -f "$dir/serial.log" ] && clean_log "$dir/serial.log" >"$dir/serial.clean.log"
	touch "$dir/serial.clean.log"

	if [ ${#screens[@]} -gt 0 ]; then
		if ! python3 "$here/qemu-screen.py" text "$dir" "$repo/arch/x86/video/font5x7.c" \
			>"$dir/screen.txt" 2>"$dir/screen.err"; then
			why+=("screen: nothing saved ($(tail -n 1 "$dir/screen.err" "$dir/screen-grab.log" 2>/dev/null | tr '\n' ' '))")
		else
			for re in "${screens[@]}"; do
				grep -aqE -- "$re" "$dir/screen.txt" || why+=("not on the screen: $re")
			done
		fi
	fi

	local ok_outcomes
	case "$outcome_want" in
	success) ok_outcomes=" success ended " ;;
	failure) ok_outcomes=" failure ended " ;;
	reset) ok_outcomes=" reset " ;;
	any) ok_outcomes=" success failure ended reset " ;;
	esac
	# The runner ends a run itself at the stop pattern, and once the screen
	# is saved.
	[ -n "$stop" ] || [ ${#screens[@]} -gt 0 ] && ok_outcomes+="stopped "
	if [ -n "$outcome" ] && [[ "$ok_outcomes" != *" $outcome "* ]]; then
		case "$outcome" in
		timeout) why+=("timed out after ${limit}s (wanted: $outcome_want)") ;;
		*) why+=("run ended with '$outcome' (emulator status $(sed -n 's/^emu_rc=//p' "$dir/result")), wanted $outcome_want") ;;
		esac
	fi
	if [ -n "$elapsed" ]; then
		local m0 m1
		m0=$(sed -n 's/^mark0_ms=//p' "$dir/result" 2>/dev/null)
		m1=$(sed -n 's/^mark1_ms=//p' "$dir/result" 2>/dev/null)
		local g0 g1 el_msg
		g0=$(grep -aE -m1 -- "$el_from" "$dir/serial.clean.log" | grep -oE '[0-9]+(\.[0-9]+)?$')
		g1=$(grep -aE -m1 -- "$el_to" "$dir/serial.clean.log" | grep -oE '[0-9]+(\.[0-9]+)?$')
		if [ -z "$m0" ] || [ -z "$m1" ]; then
			why+=("elapsed: '$el_from' or '$el_to' never appeared")
		elif [ -n "$g0" ] && [ -n "$g1" ]; then
			# The guest's own clock: its interval must lie in the band, and
			# the host's clock must have seen the same interval (a busy host
			# delays both lines alike, a wrong guest clock does not).
			if ! el_msg=$(awk -v h=$((m1 - m0)) -v g0="$g0" -v g1="$g1" -v lo="$el_min" -v hi="$el_max" \
				'BEGIN { g = g1 - g0; h /= 1000; d = g - h; if (d < 0) d = -d
				         printf "guest %.2f s, host %.2f s", g, h
				         exit !(g >= lo && g <= hi && d <= 0.1 * h + 0.3) }'); then
				why+=("elapsed: $el_msg between the marks; wanted $el_min..$el_max s by the guest's clock, the host's within 10% + 0.3 s")
			else
				echo "elapsed $el_msg" >"$dir/elapsed"
			fi
		elif ! awk -v d=$((m1 - m0)) -v lo="$el_min" -v hi="$el_max" \
			'BEGIN { exit !(d / 1000 >= lo && d / 1000 <= hi) }'; then
			why+=("elapsed: $(fmt_s $((m1 - m0))) between the marks, wanted $el_min..$el_max s")
		else
			echo "elapsed $(fmt_s $((m1 - m0)))" >"$dir/elapsed"
		fi
	fi
	if [ -n "$balanced" ]; then
		local bal_pct bal_n bal_re bal_msg
		local -a nums=()
		read -r bal_pct bal_n bal_re <<<"$balanced"
		mapfile -t nums < <(grep -aoE -- "$bal_re" "$dir/serial.clean.log" | grep -oE '[0-9]+$')
		if [ ${#nums[@]} -ne "$bal_n" ]; then
			why+=("balanced: wanted $bal_n numbers matching '$bal_re', found ${#nums[@]}")
		elif ! bal_msg=$(printf '%s\n' "${nums[@]}" | awk -v pct="$bal_pct" '
			{ v[NR] = $1; s += $1 }
			END { m = s / NR; if (m <= 0) { print "mean 0"; exit 1 }
			      for (i = 1; i <= NR; i++) { d = (v[i] - m) / m * 100; if (d < 0) d = -d
			        if (d > pct) { printf "%s is %.1f%% off the mean %.0f", v[i], d, m; exit 1 } }
			      printf "numbers %s... within %s%% of the mean %.0f", v[1], pct, m }'); then
			why+=("balanced: $bal_msg (allowed $bal_pct%)")
		else
			echo "$bal_msg" >"$dir/balanced"
		fi
	fi
	local re hit
	for re in "${expects[@]}"; do
		grep -aqE -- "$re" "$dir/serial.clean.log" || why+=("missing:    $re")
	done
	for re in "${rejects[@]+"${rejects[@]}"}"; do
		if hit=$(grep -anE -m1 -- "$re" "$dir/serial.clean.log"); then
			hit=${hit//[^[:print:]]/?}
			why+=("unexpected: $re  (line ${hit:0:160})")
		fi
	done

	local verdict=PASS
	[ ${#why[@]} -eq 0 ] || verdict=FAIL
	echo "$verdict" >"$dir/verdict"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$path" "$verdict" "$((t1 - t0))" \
		"$banner_ms" "$ready_ms" >"$dir/summary.tsv"
	{
		printf '%s  %-34s %-11s %8s   banner %7s   ready %7s\n' "$verdict" "$name" "$path" \
			"$(fmt_s $((t1 - t0)))" "$(fmt_s "$banner_ms")" "$(fmt_s "$ready_ms")"
		if [ "$verdict" = FAIL ]; then
			for line in "${why[@]}"; do echo "      $line"; done
			echo "      ---- last $TAIL_LINES serial lines ($dir/serial.log) ----"
			tail -n "$TAIL_LINES" "$dir/serial.clean.log" | cat -v | sed 's/^/      | /'
			echo "      ----"
		fi
	} >"$dir/report"
}

# Generated tests: every guest suite on every suite path.
GEN=$OUT/generated
rm -rf "$GEN"
for spec in "${suites[@]+"${suites[@]}"}"; do
	IFS=: read -r sname smods sexpect <<<"$spec"
	[ -n "$sname" ] && [ -n "$smods" ] && [ -n "$sexpect" ] ||
		die_usage "--suite wants NAME:MODULES:EXPECT, got '$spec'"
	mkdir -p "$GEN"
	for p in $SUITE_PATHS; do
		# Suites end with partitions stopped on purpose (faults), so the
		# expect lines are the verdict, not the exit status; the limit is
		# generous (whole suites, a loaded CI machine) unless the suite's
		# expect file sets its own timeout:.
		case $p in bochs) slimit=300 ;; efi-loader | grub-efi) slimit=180 ;; *) slimit=120 ;; esac
		cat >"$GEN/suite-$sname-$p.test" <<EOF
# Generated by scripts/itest.sh: guest suite '$sname' (guests/guests.mk) on $p.
path: $p
cmdline: loglevel=2 on_idle=exit
outcome: any
timeout: $slimit
modules-from: $smods
reject: ^ERROR: EXCEPTION
include: $sexpect
EOF
		files+=("$GEN/suite-$sname-$p.test")
	done
done

# Select the tests.
names=() tfiles=()
for f in "${files[@]+"${files[@]}"}"; do
	[ -f "$f" ] || { echo "itest.sh: $f: no such test file" >&2; exit 2; }
	n=$(basename "$f" .test)
	if [ -n "$FILTER" ] && ! [[ "$n" =~ $FILTER ]]; then continue; fi
	names+=("$n"); tfiles+=("$f")
done
if [ ${#names[@]} -eq 0 ]; then
	echo "itest.sh: no tests selected"
	echo "integration: 0 passed, 0 failed"
	exit 1
fi

mkdir -p "$OUT"
echo "integration: ${#names[@]} tests, $JOBS at a time, files in $OUT/<test>/"
# The accelerator is chosen once (a probe boot at most, cached) and handed to
# every QEMU run. The QEMU tests are the SVM tier (Bochs runs VMX): KVM that
# nests VMX would fail their "SVM usable" lines, so it is taken only if asked.
# shellcheck source=scripts/accel.sh
. "$here/accel.sh"
BULKHEAD_BUILD=$BUILD accel_choose || exit 2
if [ "$ACCEL" = kvm ] && [ "$ACCEL_VIRT" = vmx ] && [ -z "${BULKHEAD_ACCEL:-}" ]; then
	ACCEL=tcg ACCEL_WHY="KVM nests VMX here, and the QEMU tests expect SVM (BULKHEAD_ACCEL=kvm forces it)"
fi
export BULKHEAD_ACCEL=$ACCEL BULKHEAD_ACCEL_WHY=$ACCEL_WHY
echo "integration: QEMU accelerator $ACCEL ($ACCEL_WHY)"
set_now
suite_start=$NOW_MS
declare -A job_name=()
passed=0 failed=0 running=0

collect() {
	local pid n
	wait -n -p pid
	n=${job_name[$pid]}
	unset "job_name[$pid]"
	running=$((running - 1))
	if [ -f "$OUT/$n/report" ]; then cat "$OUT/$n/report"; else echo "FAIL  $n  (runner crashed)"; fi
	if [ "$(cat "$OUT/$n/verdict" 2>/dev/null)" = PASS ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
}

for i in "${!names[@]}"; do
	while [ $running -ge "$JOBS" ]; do collect; done
	(run_one "${names[$i]}" "${tfiles[$i]}") &
	job_name[$!]=${names[$i]}
	running=$((running + 1))
done
while [ $running -gt 0 ]; do collect; done

set_now
for n in "${names[@]}"; do cat "$OUT/$n/summary.tsv" 2>/dev/null; done >"$OUT/summary.tsv"
echo "integration: suite took $(fmt_s $((NOW_MS - suite_start)))"
echo "integration: $passed passed, $failed failed"
[ $failed -eq 0 ]
