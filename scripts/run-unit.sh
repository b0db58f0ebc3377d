#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs every host unit-test binary given, prints one summary line that CI reads
# ("N passed, N failed"), exits non-zero if any failed.
set -u
pass=0 fail=0 failed=()
for t in "$@"; do
	out=$("$t" --jobs=1 2>&1)
	rc=$?
	line=$(printf '%s\n' "$out" | grep -E '^\[====\] Synthesis' | tail -1)
	tests=$(printf '%s' "$line" | sed -n 's/.*Tested: *\([0-9]*\).*/\1/p')
	passing=$(printf '%s' "$line" | sed -n 's/.*Passing: *\([0-9]*\).*/\1/p')
	tests=${tests:-0}; passing=${passing:-0}
	pass=$((pass + passing))
	fail=$((fail + tests - passing))
	if [ $rc -ne 0 ]; then
		[ "$tests" = "$passing" ] && fail=$((fail + 1))
		failed+=("$(basename "$t")")
		printf '%s\n' "$out" | tail -40
	fi
	printf '  %-28s %s\n' "$(basename "$t")" "${line#\[====\] }"
done
echo "unit: $pass passed, $fail failed"
if [ ${#failed[@]} -gt 0 ]; then
	echo "failing suites: ${failed[*]}"
	exit 1
fi
