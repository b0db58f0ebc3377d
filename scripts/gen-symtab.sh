#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Writes an assembly file holding the text symbols of an ELF (address, name),
# sorted by address, for core/symbols.c. With /dev/null as input it writes an
# empty table (the first link pass).
set -eu
in=$1 out=$2
{
	echo '	.section .ksyms, "a"'
	echo '	.align 8'
	echo '	.global ksym_table, ksym_count, ksym_names'
	echo 'ksym_table:'
	if [ "$in" != /dev/null ]; then
		nm -n -S --defined-only "$in" | awk '
			$0 ~ / [tT] / {
				if (NF == 4) { addr=$1; size=$2; name=$4 } else { addr=$1; size="0"; name=$3 }
				if (name ~ /^\./ || name ~ /^isr_[0-9]/) next
				printf "\t.quad 0x%s\n\t.long %d\n\t.long 0x%s\n", addr, off, size
				names[n++] = name; off += length(name) + 1
			}
			END {
				printf "ksym_count:\n\t.long %d\n", n
				printf "ksym_names:\n"
				for (i = 0; i < n; i++) printf "\t.asciz \"%s\"\n", names[i]
			}'
	else
		echo 'ksym_count:'
		echo '	.long 0'
		echo 'ksym_names:'
		echo '	.byte 0'
	fi
} >"$out"
