#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Installs (or checks for) the Debian 12 packages Bulkhead needs to build, run
# and test. `make deps` calls "install"; other targets call "check" first.
set -eu
PKGS=(
	build-essential clang lld binutils          # hypervisor, host tests, libFuzzer
	clang-format                                # make check-format
	libcriterion-dev                            # host unit tests
	qemu-system-x86 ovmf                        # SVM under TCG, UEFI firmware
	bochs bochs-term bochsbios vgabios          # VT-x under Bochs (bochs-term: the light GUI plugin bochs requires)
	grub-pc-bin grub-efi-amd64-bin grub-common  # the hybrid ISO
	xorriso mtools dosfstools                   # ISO and ESP images
	gnu-efi                                     # the UEFI loader
	cpio python3                                # guest images, scripts
	stress-ng                                   # make test-loaded: tests beside CPU hogs
	spin                                        # make model: the Promela models (tests/model)
)
missing() {
	local m=()
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || m+=("$p")
	done
	echo "${m[@]:-}"
}
case "${1:-check}" in
check)
	m=$(missing)
	if [ -n "$m" ]; then echo "missing packages: $m"; exit 1; fi ;;
install)
	m=$(missing)
	[ -z "$m" ] && exit 0
	echo "installing: $m"
	SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $m ;;
*) echo "usage: $0 check|install" >&2; exit 2 ;;
esac
