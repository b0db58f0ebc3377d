#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Checks that every #include in the hypervisor's sources points down the layer
# order of docs/architecture.md ("Layers"), and prints file:line for each one
# that points up or sideways. Exit status 1 when there is one.
#
#   scripts/check-layers.sh [--root DIR] [--stats]
#
# --stats also prints the lines of code per layer and the include edges
# (layer -> layer: N includes), allowed or not, for the docs.
#
# Layers, top to bottom, and what each may include (besides itself):
#   platform  platform/            -> arch hal core drivers base
#   arch      arch/ (but hal)      -> hal core base
#   core      core/ (but base)     -> hal base
#   drivers   drivers/             -> base
#   hal       the arch headers core may use (CPU primitives, host timer,
#             host serial port, boot info; HAL_FILES below) -> base
#   base      core/lib/ and the pure headers every layer uses (BASE_FILES)
#   guests    guests/: separate programs, include nothing of the hypervisor
# Only quoted includes are checked: <stdint.h> and friends are the compiler's.
set -euo pipefail

root=.
stats=0
while [ $# -gt 0 ]; do
	case "$1" in
	--root) root=$2; shift ;;
	--stats) stats=1 ;;
	-h|--help) sed -n '3,21p' "$0"; exit 0 ;;
	*) echo "check-layers: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
cd "$root"

# The arch headers core may include: inline CPU instructions and the
# interfaces arch implements for core (Jailhouse's asm/ headers play this part).
HAL_FILES="arch/x86/cpu/cpu.h arch/x86/cpu/cr4.h arch/x86/cpu/ctlregs.h arch/x86/cpu/tsc.h arch/x86/cpu/features.h
arch/x86/boot/bootinfo.h
arch/x86/hostdev/lapic.h arch/x86/hostdev/uart.h"
# Pure headers below everything: types, logging, locks, the bounds-checked
# guest-memory accessor and the port/MMIO bus the device models plug into.
BASE_FILES="core/types.h core/log.h core/spinlock.h core/gmem.h core/iobus.h"

dirs=()
for d in platform arch core drivers guests; do [ -d "$d" ] && dirs+=("$d"); done
[ ${#dirs[@]} -gt 0 ] || { echo "check-layers: no sources under $(pwd)" >&2; exit 2; }

find "${dirs[@]}" -type f \( -name '*.c' -o -name '*.h' -o -name '*.S' \) | LC_ALL=C sort |
awk -v hal="$HAL_FILES" -v base="$BASE_FILES" -v stats="$stats" '
function layer(p) {
	if (p in HAL) return "hal"
	if (p in BASE || p ~ /^core\/lib\//) return "base"
	if (p ~ /^platform\//) return "platform"
	if (p ~ /^arch\//) return "arch"
	if (p ~ /^core\//) return "core"
	if (p ~ /^drivers\//) return "drivers"
	if (p ~ /^guests\//) return "guests"
	return "other"
}
function exists(p,   line, r) {
	if (p in SEEN) return SEEN[p]
	r = (getline line < p) >= 0
	close(p)
	SEEN[p] = r
	return r
}
# "x.h" is looked up beside the including file first, then from the top
# (-I. in the Makefile), as the compiler does.
function resolve(file, inc,   dir) {
	dir = file
	sub(/[^\/]*$/, "", dir)
	if (exists(dir inc)) return normalise(dir inc)
	if (exists(inc)) return inc
	return ""
}
function normalise(p,   n, parts, out, i, k, stack) {
	n = split(p, parts, "/")
	k = 0
	for (i = 1; i <= n; i++) {
		if (parts[i] == "." || parts[i] == "") continue
		if (parts[i] == ".." && k > 0) { k--; continue }
		stack[++k] = parts[i]
	}
	out = stack[1]
	for (i = 2; i <= k; i++) out = out "/" stack[i]
	return out
}
BEGIN {
	n = split(hal, a, /[ \n]+/); for (i = 1; i <= n; i++) if (a[i] != "") HAL[a[i]] = 1
	n = split(base, a, /[ \n]+/); for (i = 1; i <= n; i++) if (a[i] != "") BASE[a[i]] = 1
	ok["platform"] = " arch hal core drivers base "
	ok["arch"] = " hal core base "
	ok["core"] = " hal base "
	ok["drivers"] = " base "
	ok["hal"] = " base "
	ok["base"] = " "
	ok["guests"] = " "
	nlayers = split("platform arch core drivers hal base guests", order, " ")
	bad = 0
}
{
	file = $0
	from = layer(file)
	lineno = 0
	while ((getline text < file) > 0) {
		lineno++
		LINES[from]++
		if (text !~ /^[ \t]*#[ \t]*include[ \t]*"/) continue
		inc = text
		sub(/^[^"]*"/, "", inc)
		sub(/".*$/, "", inc)
		target = resolve(file, inc)
		if (target == "") {
			# Not a hypervisor file (a guest header from its -I path, a
			# generated file): judged by its path as written.
			if (inc !~ /^(platform|arch|core|drivers)\//) continue
			target = inc
		}
		to = layer(target)
		EDGE[from " -> " to]++
		if (to == from) continue
		if (index(ok[from], " " to " ") == 0) {
			printf "%s:%d: %s includes %s (%s -> %s is not allowed)\n", file, lineno, from, target, from, to
			bad++
		}
	}
	close(file)
}
END {
	if (stats) {
		print "Lines per layer:"
		for (i = 1; i <= nlayers; i++)
			if (order[i] in LINES) printf "  %-9s %6d\n", order[i], LINES[order[i]]
		print "Include edges (layer -> layer: N includes):"
		for (i = 1; i <= nlayers; i++)
			for (j = 1; j <= nlayers; j++) {
				e = order[i] " -> " order[j]
				if (!(e in EDGE)) continue
				flag = (i == j || index(ok[order[i]], " " order[j] " ")) ? "" : "  (not allowed)"
				printf "  %-22s %4d%s\n", e ":", EDGE[e], flag
			}
	}
	if (bad) {
		printf "check-layers: %d include(s) against the layer order (docs/architecture.md)\n", bad
		exit 1
	}
	print "check-layers: every include points down the layer order"
}'
