#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Checks the built guest images and the suite module lists:
#  - ELF guests: ELF32 (i386) or ELF64 (x86-64) executables, entry and every
#    PT_LOAD inside [1 MiB, 1 MiB + 2 MiB), no PT_INTERP or PT_DYNAMIC, no
#    undefined symbols, a Multiboot header only in smoke builds;
#  - flat real-mode guests: non-empty, starting with CLI, ending below 64 KiB
#    from the 0x7c00 load address;
#  - every suite line names an existing image and a valid manifest name
#    (docs/manifest.md: 1-15 of a-z 0-9 - _), unique within the suite.
#
#   guests/check-images.sh BUILD/guests [SUITE.modules...]
set -uo pipefail
out=${1:?usage: check-images.sh BUILD/guests [SUITE.modules...]}
shift
LOAD_MIN=$((0x100000))
LOAD_MAX=$((0x300000))
errors=0
err() {
	echo "check-images: $*" >&2
	errors=$((errors + 1))
}

check_elf() {
	local f=$1 hdr class machine entry
	hdr=$(readelf -h "$f" 2>/dev/null) || { err "$f: not an ELF file"; return; }
	class=$(awk '/Class:/ {print $2}' <<<"$hdr")
	machine=$(awk -F: '/Machine:/ {gsub(/^ +/, "", $2); print $2}' <<<"$hdr")
	entry=$(awk '/Entry point address:/ {print $4}' <<<"$hdr")
	case "$class/$machine" in
	ELF32/"Intel 80386" | ELF64/"Advanced Micro Devices X86-64") ;;
	*) err "$f: $class $machine, want ELF32 i386 or ELF64 x86-64" ;;
	esac
	grep -q 'Type:.*EXEC' <<<"$hdr" || err "$f: not an executable (ET_EXEC)"
	(( entry >= LOAD_MIN && entry < LOAD_MAX )) || err "$f: entry $entry outside the 1 MiB image"
	readelf -lW "$f" | grep -qE '^\s+(INTERP|DYNAMIC)' && err "$f: has PT_INTERP or PT_DYNAMIC"
	while read -r vaddr memsz; do
		(( vaddr >= LOAD_MIN && vaddr + memsz <= LOAD_MAX )) ||
			err "$f: PT_LOAD $vaddr+$memsz outside [1 MiB, 3 MiB)"
	done < <(readelf -lW "$f" | awk '$1 == "LOAD" {print $3, $6}')
	[ -z "$(nm -u "$f" 2>/dev/null)" ] || err "$f: undefined symbols: $(nm -u "$f" | tr '\n' ' ')"
	# 0x1BADB002 little-endian: the Multiboot magic belongs to smoke builds only.
	if od -An -tx1 -N 8192 -v "$f" | tr -d ' \n' | grep -q '02b0ad1b'; then
		err "$f: carries a Multiboot header (a smoke build?)"
	fi
}

check_flat() {
	local f=$1 size first
	size=$(stat -c %s "$f")
	(( size > 0 && 0x7c00 + size <= 0x10000 )) || err "$f: size $size does not fit 0x7c00..64 KiB"
	first=$(od -An -tx1 -N1 "$f" | tr -d ' ')
	[ "$first" = fa ] || err "$f: first byte 0x$first, want 0xfa (CLI)"
}

n=0
for f in "$out"/*.elf; do
	[ -f "$f" ] || continue
	check_elf "$f"
	n=$((n + 1))
done
for f in "$out"/*.bin; do
	[ -f "$f" ] || continue
	check_flat "$f"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || err "no images in $out"

for suite in "$@"; do
	declare -A seen=()
	lineno=0
	while IFS= read -r line || [ -n "$line" ]; do
		lineno=$((lineno + 1))
		line=${line%%#*}
		[[ "$line" =~ ^[[:space:]]*$ ]] && continue
		read -r image cmdline <<<"$line"
		[ -f "$out/$image" ] || err "$suite:$lineno: no image $out/$image"
		name=$(grep -oE '(^| )name=[^ ]*' <<<" $cmdline" | head -n 1 | sed 's/.*name=//')
		[[ "$name" =~ ^[a-z0-9_-]{1,15}$ ]] || err "$suite:$lineno: bad or missing name '$name'"
		[ -z "${seen[$name]:-}" ] || err "$suite:$lineno: name '$name' used twice"
		seen[$name]=1
	done <"$suite"
	unset seen
done

if [ "$errors" -eq 0 ]; then
	echo "check-images: $n images and $# suites OK"
fi
[ "$errors" -eq 0 ]
