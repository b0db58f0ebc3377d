/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-fetch-mmio: jumps into the test device's MMIO page (issue 12): code
 * cannot run from a device, so the partition is stopped. */
#include "atk.h"

void guest_main(void)
{
	atk_announce("instruction fetch from MMIO");
	((void (*)(void))TESTDEV_MMIO)();
	atk_survived("fetch_from_mmio");
}
