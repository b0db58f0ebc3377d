#!/usr/bin/env bash
# Puts the license identifier (LICENSE: BSD-2-Clause) at the top of every
# source file, as its first comment line:
#
#   .c .h .S .ld          /* SPDX-License-Identifier: BSD-2-Clause */
#   Makefile .mk .sh .py  # SPDX-License-Identifier: BSD-2-Clause
#
# A "#!" line stays first (the identifier goes right after it), and so does
# a Python coding line ("# -*- coding: ... -*-") on line 1 or 2. A file
# that already has an SPDX-License-Identifier line among its first 5 lines
# is left alone, so running the script twice changes nothing.
#
#   scripts/add-spdx.sh [--check] [--dry-run] [PATH...]
#
#   --check     change nothing; list the files without the line, exit 1 if any
#   --dry-run   change nothing; list the files that would change
#   PATH...     files or directories (default: the whole repository). Inside
#               a git work tree only files git knows are taken; elsewhere,
#               every file.
#
# File modes and everything after the inserted line are kept byte for byte.
set -euo pipefail
LICENSE_ID=BSD-2-Clause
TAG="SPDX-License-Identifier: $LICENSE_ID"
SCAN_LINES=5

mode=apply
paths=()
while [ $# -gt 0 ]; do
	case "$1" in
	--check) mode=check; shift ;;
	--dry-run) mode=dry-run; shift ;;
	-h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 && !/SPDX-License-Identifier/' "$0"; exit 0 ;;
	-*) echo "add-spdx.sh: unknown option '$1'" >&2; exit 2 ;;
	*) paths+=("$1"); shift ;;
	esac
done
if [ ${#paths[@]} -eq 0 ]; then
	cd "$(dirname "$0")/.."
	paths=(.)
fi

# The comment syntax for a file name, or nothing if it is not a source file.
comment_for() {
	case "$(basename "$1")" in
	*.c|*.h|*.S|*.ld) echo "/* $TAG */" ;;
	Makefile|*.mk|*.sh|*.py) echo "# $TAG" ;;
	*) ;;
	esac
}

# Files git knows for a path inside this git work tree, every file for a
# path outside one.
list_files() {
	local top p abs
	top=$(git rev-parse --show-toplevel 2>/dev/null) || top=
	for p in "${paths[@]}"; do
		abs=$(realpath -m -- "$p")
		if [ -n "$top" ] && { [ "$abs" = "$top" ] || [[ "$abs" == "$top"/* ]]; }; then
			git ls-files -z -- "$p"
		else
			find "$p" -type f -print0
		fi
	done
}

# How many leading lines must stay above the identifier (0, 1 or 2).
keep_above() {
	local f=$1 first second n=0
	IFS= read -r first <"$f" || true
	case "$first" in
	'#!'*) n=1 ;;
	esac
	case "$f" in
	*.py)
		second=$(sed -n "$((n + 1))p" "$f")
		if [[ "$second" =~ ^[[:space:]]*#.*coding[:=] ]]; then
			n=$((n + 1))
		fi
		;;
	esac
	echo "$n"
}

insert_line() {
	local f=$1 line=$2 above tmp
	above=$(keep_above "$f")
	tmp=$(mktemp)
	{
		head -n "$above" "$f"
		printf '%s\n' "$line"
		tail -n +"$((above + 1))" "$f"
	} >"$tmp"
	# Write through the existing file: keeps its mode, owner and links.
	cat "$tmp" >"$f"
	rm -f "$tmp"
}

changed=0
while IFS= read -r -d '' f; do
	[ -f "$f" ] || continue
	line=$(comment_for "$f")
	[ -n "$line" ] || continue
	if head -n "$SCAN_LINES" "$f" | grep -q 'SPDX-License-Identifier:'; then
		continue
	fi
	changed=$((changed + 1))
	case "$mode" in
	check|dry-run) echo "$f" ;;
	apply) insert_line "$f" "$line" ;;
	esac
done < <(list_files)

case "$mode" in
check)
	if [ "$changed" -gt 0 ]; then
		echo "add-spdx.sh: $changed file(s) without '$TAG'" >&2
		exit 1
	fi
	;;
dry-run) echo "add-spdx.sh: $changed file(s) would change" >&2 ;;
apply) echo "add-spdx.sh: $changed file(s) changed" >&2 ;;
esac
