/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-straddle-mmio: a quadword store that starts in the last dword of the
 * local APIC page and runs into the next, unmapped, page (issue 12, "odd-
 * size and page-straddling MMIO"): it cannot be one device access, so the
 * partition is stopped with the emulator's reason. */
#include "atk.h"

void guest_main(void)
{
	atk_announce("quadword across the end of the LAPIC page");
	*(volatile uint64_t *)(LAPIC_BASE + 0xFFC) = 0x4141414141414141ull;
	atk_survived("straddle_mmio_page");
}
