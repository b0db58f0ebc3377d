#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Tests of scripts/add-spdx.sh on a made-up tree (outside git): the line
# goes first in each kind of source file, after a #! line and a Python
# coding line, files already tagged and other files are left alone, modes
# are kept, and a second run changes nothing. Ends with
# "add-spdx: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
script=$here/../../scripts/add-spdx.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
C_TAG='/* SPDX-License-Identifier: BSD-2-Clause */'
H_TAG='# SPDX-License-Identifier: BSD-2-Clause'

check() { # name, condition (a command)
	local name=$1; shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL add-spdx: $name"
	fi
}
line_is() { [ "$(sed -n "$2p" "$1")" = "$3" ]; }

t=$tmp/tree
mkdir -p "$t/sub"
printf '/* a file */\nint x;\n' >"$t/a.c"
printf '#ifndef A_H\n#define A_H\n#endif\n' >"$t/sub/a.h"
printf '\t.text\n' >"$t/e.S"
printf 'SECTIONS { }\n' >"$t/l.ld"
printf 'all:\n\ttrue\n' >"$t/Makefile"
printf 'X := 1\n' >"$t/f.mk"
printf '#!/usr/bin/env bash\necho hi\n' >"$t/s.sh"
chmod 755 "$t/s.sh"
printf '#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(1)\n' >"$t/p.py"
printf '# SPDX-License-Identifier: MIT\necho kept\n' >"$t/tagged.sh"
printf 'just text\n' >"$t/notes.txt"
: >"$t/empty.c"

out=$("$script" --check "$t" 2>/dev/null); rc=$?
check "--check fails on untagged files" [ "$rc" = 1 ]
check "--check lists 9 files" [ "$(printf '%s\n' "$out" | grep -c .)" = 9 ]
check "--check changes nothing" line_is "$t/a.c" 1 '/* a file */'

"$script" "$t" 2>/dev/null
check ".c: first line" line_is "$t/a.c" 1 "$C_TAG"
check ".c: rest kept" line_is "$t/a.c" 2 '/* a file */'
check ".h in a subdirectory" line_is "$t/sub/a.h" 1 "$C_TAG"
check ".S" line_is "$t/e.S" 1 "$C_TAG"
check ".ld" line_is "$t/l.ld" 1 "$C_TAG"
check "Makefile" line_is "$t/Makefile" 1 "$H_TAG"
check ".mk" line_is "$t/f.mk" 1 "$H_TAG"
check ".sh: #! stays first" line_is "$t/s.sh" 1 '#!/usr/bin/env bash'
check ".sh: tag second" line_is "$t/s.sh" 2 "$H_TAG"
check ".sh: mode kept" [ -x "$t/s.sh" ]
check ".sh still runs" [ "$(bash "$t/s.sh")" = hi ]
check ".py: coding line stays second" line_is "$t/p.py" 2 '# -*- coding: utf-8 -*-'
check ".py: tag third" line_is "$t/p.py" 3 "$H_TAG"
check "already tagged: untouched" [ "$(cat "$t/tagged.sh")" = "$(printf '# SPDX-License-Identifier: MIT\necho kept')" ]
check "not a source file: untouched" [ "$(cat "$t/notes.txt")" = 'just text' ]
check "empty file: just the tag" [ "$(cat "$t/empty.c")" = "$C_TAG" ]

sum1=$(find "$t" -type f -exec md5sum {} + | sort)
"$script" "$t" 2>/dev/null
sum2=$(find "$t" -type f -exec md5sum {} + | sort)
check "second run changes nothing" [ "$sum1" = "$sum2" ]
"$script" --check "$t" >/dev/null 2>&1
check "--check passes afterwards" [ $? = 0 ]

echo "add-spdx: $passed passed, $failed failed"
[ "$failed" = 0 ]
