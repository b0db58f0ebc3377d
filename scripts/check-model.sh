#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Checks the Promela models in tests/model/ with Spin (make model, part of
# make test): every ltl property of each model under weak fairness, with
# its assertions; then that each seeded bug (a -DBUG_... variant listed in
# the model's "// mutants:" line) is caught, so the model keeps its teeth.
# Skips with a message when spin is not installed (make deps installs it).
#
#   scripts/check-model.sh [--build DIR] [MODEL.pml...]
set -uo pipefail
build=build
if [ "${1:-}" = --build ]; then build=$2; shift 2; fi
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(tests/model/*.pml)
if ! command -v spin >/dev/null 2>&1; then
	echo "model: spin is not installed (Debian package spin; make deps installs it): skipped"
	exit 0
fi
cc=${CC_HOST:-cc}
passed=0 failed=0

# verify MODEL NAME DEFINE: 0 when every property holds, 1 when one fails
verify() {
	local model=$1 dir=$2 define=$3 props p out
	rm -rf "$dir" && mkdir -p "$dir"
	(cd "$dir" && spin ${define:+-D$define} -a "$model" >spin.log 2>&1) || { echo "model: spin -a failed: $dir/spin.log"; return 2; }
	"$cc" -O2 -DNFAIR=4 -o "$dir/pan" "$dir/pan.c" 2>"$dir/cc.log" || { echo "model: cc failed: $dir/cc.log"; return 2; }
	mapfile -t props < <(sed -n 's/^ltl \([a-z_0-9]*\).*/\1/p' "$model")
	for p in "${props[@]}"; do
		out=$(cd "$dir" && timeout 600 ./pan -a -f -N "$p" -m200000 2>&1)
		printf '%s\n' "$out" >"$dir/$p.log"
		if ! grep -q 'errors: 0' <<<"$out"; then
			VIOLATED="$p: $(grep -m1 -E 'assertion violated|acceptance cycle|error' <<<"$out")"
			return 1
		fi
		STATES="$STATES $p=$(sed -n 's/^ *\([0-9e.+]*\) states, stored.*/\1/p' <<<"$out")"
	done
	return 0
}

for m in "${models[@]}"; do
	name=$(basename "$m" .pml)
	abs=$(cd "$(dirname "$m")" && pwd)/$(basename "$m")
	start=$(date +%s)
	STATES=
	if verify "$abs" "$build/model/$name" ""; then
		echo "model: $name: every property holds (states:$STATES) in $(($(date +%s) - start)) s"
		passed=$((passed + 1))
	else
		echo "model: $name: FAILED: $VIOLATED (trail: cd $build/model/$name && ./pan -r)"
		failed=$((failed + 1))
	fi
	for bug in $(sed -n 's|^// mutants: *||p' "$m"); do
		if verify "$abs" "$build/model/$name-$bug" "$bug"; then
			echo "model: $name: the seeded bug $bug went unnoticed: FAILED"
			failed=$((failed + 1))
		else
			echo "model: $name: seeded bug $bug caught ($VIOLATED)"
			passed=$((passed + 1))
		fi
	done
done
echo "model: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
