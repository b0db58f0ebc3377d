#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `make test` on a busy host (issue 11): runs the integration tests ROUNDS
# times in a row (default 3) while stress-ng keeps HOGS CPU hogs (default 2,
# one per core of a CI machine) running beside them, and stops at the first
# failing round. The tests must assert what is true of Bulkhead, not of the
# host's load: this is how that is checked.
#
#   scripts/test-loaded.sh [--rounds N] [--hogs N] [-- ITEST_ARGS...]
set -uo pipefail
cd "$(dirname "$0")/.."
rounds=3 hogs=2
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds=$2; shift 2 ;;
	--hogs) hogs=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "test-loaded.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
command -v stress-ng >/dev/null || { echo "test-loaded.sh: stress-ng missing (make deps)" >&2; exit 2; }
stress-ng --cpu "$hogs" --quiet &
hog=$!
trap 'kill $hog 2>/dev/null; wait $hog 2>/dev/null' EXIT
echo "test-loaded: $hogs CPU hogs (stress-ng, pid $hog) beside $rounds rounds of the integration tests"
passed=0
for r in $(seq "$rounds"); do
	start=$SECONDS
	if make test-integration ITEST_ARGS="$*" >"build/test-loaded-$r.log" 2>&1; then
		passed=$((passed + 1))
		echo "round $r: $(grep "^integration: [0-9]* passed" "build/test-loaded-$r.log" | tail -n 1) in $((SECONDS - start)) s"
	else
		echo "round $r: FAILED in $((SECONDS - start)) s (build/test-loaded-$r.log):"
		grep -E '^FAIL|^      [a-z]' "build/test-loaded-$r.log" | head -n 30
		echo "loaded: $passed passed, 1 failed"
		exit 1
	fi
done
echo "loaded: $passed passed, 0 failed"
