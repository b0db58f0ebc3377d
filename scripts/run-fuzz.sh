#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs each libFuzzer target for SECONDS with a corpus under build/fuzz/corpus,
# prints the executions it reached and merges them into build/bench.json as
# fuzz_execs_<target> (the reference is the run time in seconds, so the ratio
# is executions per second). Exits non-zero if any target crashed.
#
#   scripts/run-fuzz.sh SECONDS BINARY...
# With FUZZ_RUNS=N in the environment each target runs until N executions
# instead (SECONDS is then only a cap; 0: none): issue 12 asks for 10 M per
# parser, `FUZZ_RUNS=10000000 make fuzz`.
set -uo pipefail
cap=$1; shift
runs=${FUZZ_RUNS:-}
failed=0
for bin in "$@"; do
	name=$(basename "$bin")
	dir=$(dirname "$bin")
	corpus=$dir/corpus/$name
	mkdir -p "$corpus"
	log=$dir/$name.log
	limit=(-max_total_time="$cap")
	if [ -n "$runs" ]; then limit=(-runs="$runs" -max_total_time="$cap"); fi
	start=$(date +%s)
	"$bin" "${limit[@]}" -print_final_stats=1 -artifact_prefix="$dir/$name-" "$corpus" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	[ "$secs" -gt 0 ] || secs=1
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	execs=${execs:-0}
	if [ $rc -ne 0 ]; then
		failed=1
		echo "fuzz: $name CRASHED after $execs executions (log: $log)"
		grep -m5 -E "ERROR|SUMMARY" "$log"
	else
		echo "fuzz: $name $execs executions in ${secs}s, no crash"
	fi
	python3 - "$dir/../bench.json" "$name" "$execs" "$secs" <<'PY'
import json, os, sys
out, name, execs, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
figs = json.load(open(out)) if os.path.exists(out) else {}
figs["fuzz_execs_" + name.removeprefix("fuzz_")] = {"value": execs, "unit": "executions",
    "reference": secs, "ratio": round(execs / secs, 1)}
json.dump(figs, open(out, "w"), indent=2, sort_keys=True)
PY
done
exit $failed
