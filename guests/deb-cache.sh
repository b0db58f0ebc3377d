# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Debian packages fetched with `apt-get download` into a cache directory and
# extracted there once (never committed). Sourced by guests/linux/build-images.sh
# and guests/fetch-deb-file.sh; both set $cache (an absolute directory) and a
# die() that prints and exits.

deb_fetch() { # package -> path of its .deb in the cache
	local pkg=$1 deb
	deb=$(ls "$cache"/"${pkg}"_*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		echo "${0##*/}: downloading $pkg" >&2
		(cd "$cache" && apt-get download -q "$pkg" >&2) ||
			die "apt-get download $pkg failed (run 'apt-get update' first?)"
		deb=$(ls "$cache"/"${pkg}"_*.deb | head -n 1)
	fi
	echo "$deb"
}

deb_extract() { # .deb -> directory it is extracted to (once)
	local deb=$1 dir
	dir=$cache/x-$(basename "$deb" .deb)
	if [ ! -f "$dir/.done" ]; then
		rm -rf "$dir"
		dpkg -x "$deb" "$dir"
		touch "$dir/.done"
	fi
	echo "$dir"
}
