#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# How far the C sources are from .clang-format. Never changes a file: each
# file is run through clang-format --dry-run (does it differ at all?) and
# through clang-format to stdout, diffed against the file (how many of its
# lines would change).
#
#   scripts/check-format.sh [--style FILE] [--report] [--list] [--diff] [PATH...]
#
#   --style FILE  use FILE instead of the tree's .clang-format
#   --report      print the figures and exit 0 even when files differ
#                 (for measuring a style; the default exits 1 then)
#   --list        also print each differing file with its changed lines
#   --diff        also print the unified diff clang-format would apply
#   PATH...       files or directories (default: core arch drivers platform guests tests)
#
# Only files git knows (*.c, *.h) are checked; outside a git tree, find.
# The last line is machine-readable:
#   check-format: files=<checked> differing=<n> lines=<changed lines> style=<file>
# where "changed lines" counts the lines of the files as they are that the
# formatted version replaces or deletes (diff's '-' lines).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 2

style=$repo/.clang-format report=0 list=0 show_diff=0
paths=()
while [ $# -gt 0 ]; do
	case "$1" in
	--style) style=$2; shift 2 ;;
	--report) report=1; shift ;;
	--list) list=1; shift ;;
	--diff) show_diff=1; shift ;;
	-h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 && !/SPDX-License-Identifier/' "$0"; exit 0 ;;
	-*) echo "check-format.sh: unknown option '$1'" >&2; exit 2 ;;
	*) paths+=("$1"); shift ;;
	esac
done
[ ${#paths[@]} -gt 0 ] || paths=(core arch drivers platform guests tests)

CF=${CLANG_FORMAT:-clang-format}
if ! command -v "$CF" >/dev/null 2>&1; then
	echo "check-format.sh: $CF not found (Debian package clang-format; make deps installs it)" >&2
	exit 2
fi
if [ ! -r "$style" ]; then
	echo "check-format.sh: no style file '$style'" >&2
	exit 2
fi
case "$style" in /*) ;; *) style=$PWD/$style ;; esac

if git rev-parse --git-dir >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files -- "${paths[@]}" | grep -E '\.[ch]$')
else
	mapfile -t files < <(find "${paths[@]}" -type f \( -name '*.c' -o -name '*.h' \) | sort)
fi
if [ ${#files[@]} -eq 0 ]; then
	echo "check-format.sh: no C files under ${paths[*]}" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One line per file: "<changed lines> <path>" (0 when it is already formatted).
# Two at a time: the machines are small and shared.
export CF style show_diff tmp
check_one() {
	local f=$1 n=0 out
	if ! "$CF" --style="file:$style" --dry-run -Werror "$f" >/dev/null 2>&1; then
		out=$(mktemp "$tmp/out.XXXXXX")
		"$CF" --style="file:$style" "$f" >"$out" 2>/dev/null
		n=$(diff -U0 "$f" "$out" | grep -c '^-[^-]\|^-$')
		[ "$n" -gt 0 ] || n=1 # dry-run saw a difference diff does not show (trailing newline)
		if [ "$show_diff" = 1 ]; then
			diff -u --label "a/$f" --label "b/$f" "$f" "$out" >"$tmp/diff.$(echo "$f" | tr / _)"
		fi
		rm -f "$out"
	fi
	echo "$n $f"
}
export -f check_one
printf '%s\0' "${files[@]}" | xargs -0 -n 1 -P 2 bash -c 'check_one "$0"' >"$tmp/results"

sort -k2 "$tmp/results" -o "$tmp/results"
total=${#files[@]}
differing=$(awk '$1 > 0' "$tmp/results" | wc -l)
lines=$(awk '{ s += $1 } END { print s + 0 }' "$tmp/results")

if [ "$list" = 1 ]; then
	awk '$1 > 0 { printf "%6d  %s\n", $1, $2 }' "$tmp/results"
fi
if [ "$show_diff" = 1 ]; then
	cat "$tmp"/diff.* 2>/dev/null
fi
echo "check-format: $($CF --version | head -1)"
echo "check-format: files=$total differing=$differing lines=$lines style=${style#"$repo"/}"
if [ "$differing" -gt 0 ] && [ "$report" = 0 ]; then
	exit 1
fi
exit 0
