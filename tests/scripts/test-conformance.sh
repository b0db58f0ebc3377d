#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Tests of scripts/conformance.sh against a fake QEMU: the table's columns
# and verdicts, the module and command-line plumbing into both runs, the
# ignore: lines, and skipping a kernel without a Multiboot header. Ends with
# "conformance-script: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
script=$here/../../scripts/conformance.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# The fake QEMU: the kernel (direct: -kernel; Bulkhead: the first word of
# -initrd) names what it prints; it records its arguments in $tmp/argv.*.
cat >"$tmp/qemu" <<'Q'
#!/usr/bin/env bash
serial='' kernel='' initrd='' append='' bulkhead=0
while [ $# -gt 0 ]; do
	case "$1" in
	-serial) serial=${2#file:}; shift ;;
	-kernel) kernel=$2; shift ;;
	-initrd) initrd=$2; shift ;;
	-append) append=$2; shift ;;
	-cpu) bulkhead=1; shift ;;
	esac
	shift
done
if [ $bulkhead = 1 ]; then
	k=$(basename "${initrd%% *}")
	printf '%s\n' "$initrd" >"$FAKE_DIR/argv.bulkhead.$k"
	{
		echo "[k] Multiboot kernel (ELF32): noise"
		echo "[k] vCPUs on host CPU 0, priority 4"
		case $k in
		differs.elf) echo "[k] t: bye" ;;
		*) echo "[k] t: hello"; echo "[k] t: mem 999" ;;
		esac
		case $k in
		status.elf | departs-fails.elf) echo "[k] partition stopped: debug exit: wrote 0x1 to port 0xf4, status 3" ;;
		*) echo "[k] partition stopped: debug exit: wrote 0x0 to port 0xf4, status 1" ;;
		esac
		echo "[k] exits: 3 in all"
	} >"$serial"
	exit 3
fi
k=$(basename "$kernel")
printf '%s|%s\n' "$append" "$initrd" >"$FAKE_DIR/argv.qemu.$k"
printf 't: hello\r\nt: mem 123\r\n' >"$serial"
case $k in fails.elf | departs*.elf) exit 7 ;; esac
exit 1
Q
chmod +x "$tmp/qemu"

mkdir -p "$tmp/build" "$tmp/k"
: >"$tmp/build/bulkhead.elf"
# A Multiboot 1 header at offset 8: magic, flags 0, checksum.
mbk() { printf 'padding!\x02\xb0\xad\x1b\x00\x00\x00\x00\xfe\x4f\x52\xe4rest' >"$tmp/k/$1"; }
mbk ok.elf
mbk differs.elf
mbk status.elf
mbk fails.elf
mbk skipped.elf
mbk departs.elf
mbk departs-fails.elf
printf 'no header here' >"$tmp/k/plain.bin"
echo 'module text' >"$tmp/k/mod.txt"
printf 'args: exit=0 a,b\nmem: 16M\nmodule: mod.txt x,y\nignore: ^t: mem\n' >"$tmp/k/ok.conf"
printf 'ignore: ^t: mem\n' >"$tmp/k/differs.conf"
printf 'ignore: ^t: mem\n' >"$tmp/k/status.conf"
printf 'skip: not today\n' >"$tmp/k/skipped.conf"
printf 'qemu-departs: TCG takes it\n' >"$tmp/k/departs.conf"
printf 'qemu-departs: TCG takes it\n' >"$tmp/k/departs-fails.conf"

FAKE_DIR=$tmp BULKHEAD_QEMU=$tmp/qemu bash "$script" --no-vmx --build "$tmp/build" "$tmp/k" >"$tmp/out" 2>&1
rc=$?

check() { # check NAME CONDITION...
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL conformance-script: $name"
		sed 's/^/    /' "$tmp/out"
	fi
}
row() { grep -E "^$1 " "$tmp/out"; }
row_has() { row "$1" | grep -Eq -- "$2"; }

check "ok.elf agrees: PASS" row_has ok.elf 'pass \(1\) +pass \(1\) +- +same +PASS'
check "output differs: FAIL with a diff" row_has differs.elf '- +differs +FAIL'
check "the diff is shown" grep -q '^    +t: bye' "$tmp/out"
check "status differs: FAIL" row_has status.elf 'pass \(1\) +fail \(3\) +- +same +FAIL'
check "without ignore: the mem lines differ" row_has fails.elf 'fail \(7\) +pass \(1\) +- +differs +FAIL'
check "skip: from the conf" row_has skipped.elf 'SKIP \(not today\)'
check "no header: skipped" row_has plain.bin 'SKIP \(no Multiboot 1 header\)'
check "a module is not a kernel" bash -c "! grep -q '^mod.txt' '$tmp/out'"
check "qemu-departs: Bulkhead's pass decides" row_has departs.elf 'fail \(7\) +pass \(1\) +- +differs +PASS \(QEMU departs: TCG takes it\)'
check "qemu-departs: Bulkhead's failure fails" row_has departs-fails.elf 'fail \(7\) +fail \(3\) +- +differs +FAIL'
check "summary" grep -q '^conformance: 6 ran, 4 failed$' "$tmp/out"
check "exit status 1 with a FAIL" test "$rc" = 1
check "QEMU gets args and modules, commas doubled" grep -qx "exit=0 a,b|$tmp/k/mod.txt x,,y" "$tmp/argv.qemu.ok.elf"
check "Bulkhead gets kind=multiboot, debug-exit and module-for" grep -qx \
	"$tmp/k/ok.elf name=k mem=16M kind=multiboot debug-exit=0xf4 -- exit=0 a,,b,$tmp/k/mod.txt module-for=k -- x,,y" \
	"$tmp/argv.bulkhead.ok.elf"

# Only agreeing kernels: exit status 0.
rm -f "$tmp/k/differs.elf" "$tmp/k/status.elf" "$tmp/k/fails.elf" "$tmp/k/departs-fails.elf"
FAKE_DIR=$tmp BULKHEAD_QEMU=$tmp/qemu bash "$script" --no-vmx --build "$tmp/build" "$tmp/k" >"$tmp/out" 2>&1
check "all agree: exit status 0" test $? = 0

echo "conformance-script: $passed passed, $failed failed"
[ "$failed" = 0 ]
