#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Tests of scripts/check-layers.sh against made-up source trees: one that
# follows the layer order passes; each kind of include against it (core ->
# platform, core -> drivers, core -> arch beyond the HAL, drivers -> core
# beyond the base headers, arch -> drivers, a relative include that climbs
# into another layer) fails and is named by file:line. Then the real tree.
# Ends with "check-layers: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
check=$top/scripts/check-layers.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }

# A small tree where every include points down.
good_tree() {
	local t=$1
	mkdir -p "$t"/{platform/pc,arch/x86/cpu,arch/x86/vmx,core/lib,drivers/vdev,guests/runtime}
	echo '#include <stdint.h>' >"$t/core/types.h"
	echo '#include "core/types.h"' >"$t/core/log.h"
	echo '#include "core/types.h"' >"$t/core/lib/string.h"
	echo '#include "core/types.h"' >"$t/arch/x86/cpu/cpu.h"
	printf '#include "core/log.h"\n#include "arch/x86/cpu/cpu.h"\n' >"$t/core/sched.h"
	printf '#include "core/sched.h"\n#include "core/lib/string.h"\n' >"$t/core/sched.c"
	printf '#include "core/sched.h"\n#include "vmx.h"\n' >"$t/arch/x86/vmx/vmx.c"
	echo '#include "core/types.h"' >"$t/arch/x86/vmx/vmx.h"
	printf '#include "core/log.h"\n#include "drivers/vdev/pit.h"\n' >"$t/drivers/vdev/pit.c"
	echo '#include "core/types.h"' >"$t/drivers/vdev/pit.h"
	printf '#include "drivers/vdev/pit.h"\n#include "core/sched.h"\n#include "arch/x86/vmx/vmx.h"\n' \
		>"$t/platform/pc/platform.c"
	echo '#include "rt.h"' >"$t/guests/runtime/rt.c"
	echo 'int x;' >"$t/guests/runtime/rt.h"
}

# expect_fail NAME FILE LINE-CONTENT [FILE:LINE that must be named]
expect_fail() {
	local name=$1 file=$2 text=$3 where=$4 t=$tmp/$1
	good_tree "$t"
	printf '%s\n' "$text" >>"$t/$file"
	if out=$("$check" --root "$t" 2>&1); then
		bad "$name: passed a tree with $file including against the order"
	elif ! grep -q "^$where: " <<<"$out"; then
		bad "$name: did not name $where: $out"
	elif ! grep -q 'against the layer order' <<<"$out"; then
		bad "$name: no summary line: $out"
	else
		ok
	fi
}

good_tree "$tmp/good"
if out=$("$check" --root "$tmp/good" --stats 2>&1); then
	grep -q 'platform -> drivers: *1$' <<<"$out" && grep -q 'core -> hal: *1$' <<<"$out" &&
		grep -q '^  core ' <<<"$out" && ok || bad "good tree: --stats tables wrong: $out"
else
	bad "good tree refused: $out"
fi

expect_fail core-platform core/sched.c '#include "platform/pc/pc.h"' core/sched.c:3
expect_fail core-drivers core/sched.h '#include "drivers/vdev/pit.h"' core/sched.h:3
expect_fail core-arch core/sched.c '#include "arch/x86/vmx/vmx.h"' core/sched.c:3
expect_fail drivers-core drivers/vdev/pit.c '#include "core/sched.h"' drivers/vdev/pit.c:3
expect_fail drivers-hal drivers/vdev/pit.h '#include "arch/x86/cpu/cpu.h"' drivers/vdev/pit.h:2
expect_fail arch-drivers arch/x86/vmx/vmx.c '#include "drivers/vdev/pit.h"' arch/x86/vmx/vmx.c:3
expect_fail arch-platform arch/x86/vmx/vmx.h '#include "platform/pc/platform.c"' arch/x86/vmx/vmx.h:2
expect_fail hal-core arch/x86/cpu/cpu.h '#include "core/sched.h"' arch/x86/cpu/cpu.h:2
expect_fail relative-climb core/sched.c '#include "../drivers/vdev/pit.h"' core/sched.c:3
expect_fail guests-core guests/runtime/rt.c '#include "core/log.h"' guests/runtime/rt.c:2

# An include the compiler would not find in the tree is still judged by
# its path: a core file naming a driver header that was deleted fails.
expect_fail missing-target core/sched.c '#include "drivers/vdev/gone.h"' core/sched.c:3

# The real tree follows the order.
if out=$("$check" --root "$top" 2>&1); then ok; else bad "the tree itself: $out"; fi

echo "check-layers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
