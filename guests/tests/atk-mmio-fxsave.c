/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-mmio-fxsave: FXSAVE of 512 bytes onto the test device's MMIO page
 * (issue 12): an instruction the MMIO emulator does not know must stop
 * the partition with the emulator's reason, never be half done. */
#include "atk.h"

void guest_main(void)
{
	atk_announce("FXSAVE onto MMIO");
	asm volatile("fxsave (%0)" : : "r"(TESTDEV_MMIO) : "memory");
	atk_survived("fxsave_to_mmio");
}
