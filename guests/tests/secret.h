/* SPDX-License-Identifier: BSD-2-Clause */
/* What the isolation pair secret-writer / secret-scanner share (issue 5,
 * tests/integration/isolation-secret-svm.test).
 *
 * The secret is 64 bytes: a fixed 16-byte marker, so a scanner that cannot
 * know the random part can still recognise a copy, then 48 random bytes
 * the writer draws at run time. The writer prints an FNV-1a hash of the
 * random part; a scanner that finds the marker prints the hash of the 48
 * bytes after it, so a leak can be matched to the writer's secret.
 *
 * The scanner must never hold the marker in its own memory (it would find
 * itself), so its image carries only the marker XOR SECRET_MASK; it keeps
 * the mask and the masked words apart and compares (word ^ mask) against
 * the masked word. Only the writer may use SECRET_MARKER_LO/HI directly. */
#ifndef BULKHEAD_GUEST_SECRET_H
#define BULKHEAD_GUEST_SECRET_H

#include "rt.h"

#define SECRET_LEN 64
#define SECRET_MARKER_LEN 16
#define SECRET_RANDOM_LEN (SECRET_LEN - SECRET_MARKER_LEN)

/* The marker as two little-endian words (bytes 0-7, 8-15): random bytes,
 * none 0x00 or 0xFF, so no register or counter value of a device is likely
 * to look like any of its dwords by chance. */
#define SECRET_MARKER_LO 0xc37e516ab0c3a0efull
#define SECRET_MARKER_HI 0x919ad20420a44164ull
#define SECRET_MASK 0x843d24cd47896480ull
#define SECRET_MASKED_LO (SECRET_MARKER_LO ^ SECRET_MASK)
#define SECRET_MASKED_HI (SECRET_MARKER_HI ^ SECRET_MASK)

/* Where the writer also leaves marker dwords in its own devices; the
 * scanner reads the same registers of its own devices. */
#define SECRET_CMOS_FIRST 0x40 /* 16 NVRAM bytes, beyond the BIOS bytes */

/* FNV-1a, 64-bit (Fowler/Noll/Vo; offset basis and prime from the
 * reference description). */
#define FNV64_OFFSET_BASIS 0xcbf29ce484222325ull
#define FNV64_PRIME 0x100000001b3ull

static inline uint64_t fnv1a64(const volatile uint8_t *p, size_t len)
{
	uint64_t h = FNV64_OFFSET_BASIS;

	while (len--) {
		h ^= *p++;
		h *= FNV64_PRIME;
	}
	return h;
}

/* ---- the partition's PC devices (docs/platform.md, guests/README.md) ---- */

/* MC146818 RTC/CMOS: index at 0x70 (bit 7 would mask NMI), data at 0x71. */
#define CMOS_INDEX_PORT 0x70
#define CMOS_DATA_PORT 0x71
#define CMOS_NR_BYTES 128
/* IBM AT BIOS memory-size bytes, as Bulkhead fills them: KiB above 1 MiB
 * (at most 0xFFFF), and 64 KiB blocks above 16 MiB. */
#define CMOS_EXT_MEM_LO 0x17
#define CMOS_EXT_MEM_HI 0x18
#define CMOS_MEM_ABOVE_16M_LO 0x34
#define CMOS_MEM_ABOVE_16M_HI 0x35

static inline uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX_PORT, reg);
	return inb(CMOS_DATA_PORT);
}

static inline void cmos_write(uint8_t reg, uint8_t val)
{
	outb(CMOS_INDEX_PORT, reg);
	outb(CMOS_DATA_PORT, val);
}

/* Guest RAM below 4 GiB in bytes, from the CMOS memory-size bytes (what a
 * BIOS-less PC guest has; the partition's RAM starts at 0). */
static inline uint64_t cmos_ram_size(void)
{
	uint64_t above16 = cmos_read(CMOS_MEM_ABOVE_16M_LO) |
			   (uint64_t)cmos_read(CMOS_MEM_ABOVE_16M_HI) << 8;
	uint64_t ext_kib = cmos_read(CMOS_EXT_MEM_LO) | (uint64_t)cmos_read(CMOS_EXT_MEM_HI) << 8;

	if (above16)
		return (16ull << 20) + (above16 << 16);
	return (1ull << 20) + (ext_kib << 10);
}

/* The loader's area at the top of RAM (guests/README.md, "Startup state"):
 * page tables (CR3), GDT and, below them, the initial stack. */
#define LOADER_TOP_AREA (64u << 10)

/* Test devices (guests/README.md, "Test devices"). */
#define TESTDEV_ECHO_PORT 0x520
#define TESTDEV_MMIO_BASE 0xFEB00000ul
#define TESTDEV_MMIO_SIZE 0x1000u

/* Local APIC, xAPIC page (SDM Vol. 3A §11.4.1, Table 11-1). */
#define LAPIC_BASE 0xFEE00000ul
#define LAPIC_TIMER_INITIAL 0x380

static inline uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

#endif
