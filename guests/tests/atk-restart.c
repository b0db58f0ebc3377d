/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-restart: restarts its own partition as fast as it can (issue 12:
 * with mem=256M each restart zeroes and reloads 256 MiB). The hypervisor
 * must do that work in bounded steps charged to this partition, and
 * rate-limit the restarts, so a bystander on the same host CPU keeps its
 * share (docs/architecture.md, "Isolation"). */
#include "rt.h"

void guest_main(void)
{
	rt_hypercall(HC_PARTITION_RESTART, 0, 0, 0, 0);
	rt_fail("restart", "HC_PARTITION_RESTART returned");
}
