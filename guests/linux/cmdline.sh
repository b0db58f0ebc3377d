# SPDX-License-Identifier: BSD-2-Clause
# The bulkhead.NAME=value settings of the kernel command line, shared by the
# run scripts of the Linux test initramfs (virtio-test.sh, virtio-bench.sh).
# build-images.sh --lib puts this file at /lib/bulkhead/cmdline.sh; a script
# sources it:
#
#   . /lib/bulkhead/cmdline.sh
#   read_cmdline 180                # sets role ip peer wait_s
#   netmib=$(param netmib 10)       # a setting only this script has
#
# Definitions only: sourcing it runs nothing.

# param NAME DEFAULT: bulkhead.NAME=value from the kernel command line (the
# last one wins, as for the kernel's own parameters), else DEFAULT.
param() {
	local w v=''
	for w in $(cat /proc/cmdline); do
		case "$w" in "bulkhead.$1="*) v=${w#*=} ;; esac
	done
	echo "${v:-$2}"
}

# read_cmdline WAIT_DEFAULT: sets the settings every script shares:
#   role    bulkhead.role= (empty if absent)
#   ip      bulkhead.ip=A.B.C.D[/N], given /24 when it has no prefix
#   peer    bulkhead.peer=A.B.C.D, the other side's address
#   wait_s  bulkhead.wait=SECONDS to wait for the other side, else WAIT_DEFAULT
read_cmdline() {
	role=$(param role '')
	ip=$(param ip '')
	peer=$(param peer '')
	wait_s=$(param wait "$1")
	case "$ip" in */*) ;; ?*) ip=$ip/24 ;; esac
}
