/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-mmio-odd: odd-size and misaligned MMIO (issue 12). Only aligned
 * dwords exist in the local APIC (SDM Vol. 3A §11.4.1) and the I/O APIC
 * (82093AA §3.1); the test device takes naturally aligned 1-8 bytes in its
 * first 8 bytes. Here: 1-, 2- and 8-byte loads and stores to LAPIC and I/O
 * APIC registers, dwords that straddle two registers, an I/O APIC window
 * access with the select register pointing past the table, and test-device
 * accesses past its registers. Each must be ignored (reads give all ones
 * or zero: nothing that is not this partition's) with at most one warning
 * per device, and the devices must still work afterwards. Accesses that
 * straddle a page are the stop cases atk-straddle-*. */
#include "atk.h"

static bool neutral(uint64_t v, unsigned size)
{
	uint64_t ones = size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
	return v == 0 || v == ones;
}

static unsigned odd_reads(uintptr_t base, const unsigned *offs, unsigned n)
{
	unsigned foreign = 0;
	for (unsigned i = 0; i < n; i++) {
		uintptr_t a = base + offs[i];
		uint8_t b = *(volatile uint8_t *)a;
		uint16_t w = *(volatile uint16_t *)a;
		uint64_t q = *(volatile uint64_t *)a;
		foreign += !neutral(b, 1) + !neutral(w, 2) + !neutral(q, 8);
	}
	return foreign;
}

static void odd_writes(uintptr_t base, const unsigned *offs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uintptr_t a = base + offs[i];
		*(volatile uint8_t *)a = 0xA5;
		*(volatile uint16_t *)a = 0xA5A5;
		*(volatile uint64_t *)a = 0xA5A5A5A5A5A5A5A5ull;
	}
}

static void lapic_odd(void)
{
	static const unsigned offs[] = { 0x20, 0x80, 0xF0, 0x300, 0x310, 0x320, 0x380, 0x3F0 };
	uint32_t id = lapic_rd(LAPIC_ID), svr = lapic_rd(LAPIC_SVR);
	unsigned foreign = odd_reads(LAPIC_BASE, offs, ARRAY_SIZE(offs));
	odd_writes(LAPIC_BASE, offs, ARRAY_SIZE(offs));
	/* Dwords across two registers (+0x22 spans ID and the next). */
	uint32_t x = mmio_rd32(LAPIC_BASE + 0x22) | mmio_rd32(LAPIC_BASE + 0x2FE);
	mmio_wr32(LAPIC_BASE + 0x302, 0xFFFFFFFF);
	mmio_wr32(LAPIC_BASE + 0xF2, 0);
	rt_check("lapic_odd_sizes",
		 foreign == 0 && lapic_rd(LAPIC_ID) == id && lapic_rd(LAPIC_SVR) == svr,
		 "%u non-neutral reads; ID %x SVR %x (were %x %x)", foreign, lapic_rd(LAPIC_ID),
		 lapic_rd(LAPIC_SVR), id, svr);
	rt_check("lapic_misaligned_dwords", neutral(x, 4), "read %x", x);
}

static void ioapic_odd(void)
{
	static const unsigned offs[] = { 0x0, 0x4, 0x10, 0x13, 0x20, 0x40 };
	uint32_t ver = ioapic_rd(1);
	unsigned foreign = odd_reads(IOAPIC_BASE, offs, ARRAY_SIZE(offs));
	odd_writes(IOAPIC_BASE, offs, ARRAY_SIZE(offs));
	/* Register indices past the redirection table. */
	unsigned bad = 0;
	for (unsigned r = 0x40; r < 0x100; r += 7)
		bad += !neutral(ioapic_rd(r), 4);
	for (unsigned r = 0x40; r < 0x100; r += 7)
		ioapic_wr(r, 0xFFFFFFFF);
	rt_check("ioapic_odd_sizes", foreign == 0 && ioapic_rd(1) == ver,
		 "%u non-neutral reads; version %x (was %x)", foreign, ioapic_rd(1), ver);
	rt_check_eq("ioapic_index_past_table", "non-neutral reads", bad, 0);
}

static void testdev_odd(void)
{
	unsigned foreign = 0;
	for (unsigned off = 8; off < 0x1000; off += 0x1F8) {
		uintptr_t a = TESTDEV_MMIO + off;
		foreign += !neutral(*(volatile uint32_t *)a, 4);
		*(volatile uint32_t *)a = 0x12345678;
	}
	/* A quadword across the scratch and ID registers at offset 2. */
	uint32_t unaligned = *(volatile uint32_t *)(TESTDEV_MMIO + 2);
	rt_check("testdev_past_and_misaligned",
		 foreign == 0 && mmio_rd32(TESTDEV_MMIO + 4) == 0x4D4D494F,
		 "%u non-neutral reads, ID %x (unaligned read %x)", foreign,
		 mmio_rd32(TESTDEV_MMIO + 4), unaligned);
}

void guest_main(void)
{
	lapic_enable();
	lapic_odd();
	ioapic_odd();
	testdev_odd();
}
