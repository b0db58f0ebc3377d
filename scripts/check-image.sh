#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Checks the linked hypervisor image:
#  - code did not move between the two link passes (the symbol table is right);
#  - the Multiboot1 header is in the first 8 KiB of the file and the loadable
#    segments are laid out in the file exactly as in memory (QEMU -kernel loads
#    the file flat using the header's address fields);
#  - no segment is both writable and executable (W^X).
set -eu
pass1=$1 final=$2
t1=$(nm -n "$pass1" | awk '$2 ~ /[tT]/ {print $1, $3}' | md5sum)
t2=$(nm -n "$final" | awk '$2 ~ /[tT]/ {print $1, $3}' | md5sum)
if [ "$t1" != "$t2" ]; then echo "check-image: code moved between link passes" >&2; exit 1; fi
readelf -lW "$final" | python3 -c '
import sys
img = open(sys.argv[1], "rb").read()
off = img[:65536].find(bytes.fromhex("02b0ad1b"))
bad = []
if off < 0 or off >= 8192:
    bad.append("Multiboot1 header not in the first 8 KiB")
delta = None
for line in sys.stdin:
    f = line.split()
    if not f or f[0] != "LOAD":
        continue
    o, va, filesz, flags = int(f[1], 16), int(f[2], 16), int(f[4], 16), " ".join(f[6:-1])
    if delta is None:
        delta = va - o
    elif filesz and va - o != delta:
        bad.append("segment at %#x is not file-contiguous" % va)
    if "W" in flags and "E" in flags:
        bad.append("segment at %#x is writable and executable" % va)
for b in bad:
    print("check-image: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
' "$final"
