# SPDX-License-Identifier: BSD-2-Clause
# Waiting and timing helpers shared by the run scripts of the Linux test
# initramfs (virtio-test.sh, virtio-bench.sh); build-images.sh --lib puts
# this file at /lib/bulkhead/wait.sh. Definitions only.

# uptime_cs: centiseconds since boot (busybox has no date +%N).
uptime_cs() {
	local s
	read -r s _ </proc/uptime
	echo $((${s%.*} * 100 + 1${s#*.} - 100))
}

# wait_for PATH SECONDS: until PATH exists (device nodes appear as drivers
# bind); 1 if it did not within SECONDS.
wait_for() {
	local n=0
	while [ ! -e "$1" ]; do
		[ $n -ge $(($2 * 10)) ] && return 1
		usleep 100000
		n=$((n + 1))
	done
}
