# SPDX-License-Identifier: BSD-2-Clause
# The demo partition's script (make run): a few facts, then an interactive
# busybox shell on the partition's console. Ctrl-A three times switches the
# console focus between partitions (docs/console.md); leaving the shell (exit)
# powers the partition off.
echo "BULKHEAD-RUN: $(grep -c ^processor /proc/cpuinfo) CPU(s), $(grep MemTotal /proc/meminfo | tr -s ' ')"
echo "BULKHEAD-RUN: a shell on this partition's console; 'exit' powers it off"
setsid cttyhack sh -i
