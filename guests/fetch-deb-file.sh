#!/usr/bin/env bash
# Copies one file out of a Debian package, fetched with `apt-get download`
# (never committed), e.g. memtest86+'s boot image for a test partition.
#
#   guests/fetch-deb-file.sh PACKAGE PATH-IN-PACKAGE OUT [CACHE-DIR]
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
pkg=$1 path=$2 out=$3 cache=${4:-build/linux-cache}
mkdir -p "$cache" "$(dirname "$out")"
cache=$(cd "$cache" && pwd)
deb=$(ls "$cache/${pkg}"_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
	echo "fetch-deb-file.sh: downloading $pkg" >&2
	(cd "$cache" && apt-get download -q "$pkg" >&2) ||
		{ echo "fetch-deb-file.sh: apt-get download $pkg failed (apt-get update?)" >&2; exit 1; }
	deb=$(ls "$cache/${pkg}"_*.deb | head -n 1)
fi
dir=$cache/x-$(basename "$deb" .deb)
[ -f "$dir/.done" ] || { rm -rf "$dir"; dpkg -x "$deb" "$dir"; touch "$dir/.done"; }
[ -f "$dir/$path" ] || { echo "fetch-deb-file.sh: $pkg has no $path" >&2; exit 1; }
cp "$dir/$path" "$out"
