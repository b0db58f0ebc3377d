#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Copies one file out of a Debian package, fetched with `apt-get download`
# (never committed), e.g. memtest86+'s boot image for a test partition.
#
#   guests/fetch-deb-file.sh PACKAGE PATH-IN-PACKAGE OUT [CACHE-DIR]
set -euo pipefail
[ $# -ge 3 ] || { sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
pkg=$1 path=$2 out=$3 cache=${4:-build/linux-cache}
die() { echo "fetch-deb-file.sh: $*" >&2; exit 1; }
mkdir -p "$cache" "$(dirname "$out")"
cache=$(cd "$cache" && pwd)
# shellcheck source=guests/deb-cache.sh
. "$(dirname "$0")/deb-cache.sh"
dir=$(deb_extract "$(deb_fetch "$pkg")")
[ -f "$dir/$path" ] || die "$pkg has no $path"
cp "$dir/$path" "$out"
