/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz core/emul/guest_walk.c: random page tables in a small guest RAM.
 * Input: a 24-byte header (control registers, CPL, access, linear address)
 * then the contents of 32 KiB of RAM at GPA 0 (the body repeated). The
 * walker must never touch memory outside the region (ASan), and results
 * must be self-consistent:
 *  - the page offset survives translation;
 *  - a write that is allowed is also allowed as a read, to the same GPA;
 *  - setting A/D bits does not change the outcome of the same walk (PAE
 *    excepted, see below);
 *  - error codes only use P/WR/US/RSVD/ID, and RSVD implies P. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/emul/guest_walk.h"
#include "core/gmem.h"

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)
#define RAM_SIZE 0x8000u
#define HDR 24

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static bool same(const struct gw_result *a, enum gw_status sa, const struct gw_result *b,
		 enum gw_status sb)
{
	if (sa != sb)
		return false;
	if (sa == GW_OK)
		return a->gpa == b->gpa && a->page_size == b->page_size;
	if (sa == GW_PAGE_FAULT)
		return a->error_code == b->error_code;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	struct gmem mem = { 0 };

	if (size < HDR)
		return 0;
	if (!ram)
		ram = malloc(RAM_SIZE);
	/* Tile the input over all of RAM so every table the walk reaches has
	 * fuzzer-controlled entries. */
	size_t body = size - HDR;
	if (body == 0)
		memset(ram, 0, RAM_SIZE);
	for (size_t off = 0; body && off < RAM_SIZE; off += body)
		memcpy(ram + off, data + HDR, MIN(body, RAM_SIZE - off));
	gmem_add_region(&mem, 0, RAM_SIZE, ram);

	uint8_t sel = data[0], bits = data[1];
	struct guest_walk_ctx c = { 0 };
	c.cr0 = GW_CR0_PE | ((sel & 1) ? GW_CR0_PG : 0) | ((sel & 2) ? GW_CR0_WP : 0);
	c.cr4 = ((sel & 4) ? GW_CR4_PAE : 0) | ((sel & 8) ? GW_CR4_PSE : 0) |
		((sel & 16) ? GW_CR4_LA57 : 0) | ((bits & 1) ? GW_CR4_SMEP : 0) |
		((bits & 2) ? GW_CR4_SMAP : 0);
	c.efer = ((sel & 32) ? GW_EFER_LMA : 0) | ((sel & 64) ? GW_EFER_NXE : 0);
	c.rflags = (bits & 4) ? GW_RFLAGS_AC : 0;
	c.cpl = (bits >> 3) & 3;
	c.maxphyaddr = (bits & 0x20) ? 36 + (data[2] % 17) : 0;
	/* mostly keep CR3 inside RAM so walks go deep */
	c.cr3 = (sel & 128) ? le64(data + 8) : (le64(data + 8) & (RAM_SIZE - 1));
	uint64_t gla = le64(data + 16);
	unsigned int acc = data[3] & (GW_ACC_WRITE | GW_ACC_FETCH);

	struct gw_result r, r2;
	enum gw_status st = guest_walk(&c, &mem, gla, acc, &r);
	CHECK(st <= GW_BAD_TABLE);
	enum gw_mode mode = guest_walk_mode(&c);
	uint64_t lin = (mode == GW_MODE_LONG4 || mode == GW_MODE_LONG5) ? gla : (gla & 0xffffffffULL);

	if (st == GW_OK) {
		CHECK(r.page_size == 0x1000 || r.page_size == 0x200000 || r.page_size == 0x400000 ||
		      r.page_size == 0x40000000);
		CHECK((r.gpa & (r.page_size - 1)) == (lin & (r.page_size - 1)));
		CHECK(r.gpa < (1ULL << 52));
	} else if (st == GW_PAGE_FAULT) {
		CHECK((r.error_code & ~0x1fu) == 0);
		CHECK(!(r.error_code & GW_PFEC_RSVD) || (r.error_code & GW_PFEC_P));
		CHECK(!!(r.error_code & GW_PFEC_WR) == !!(acc & GW_ACC_WRITE));
		CHECK(!!(r.error_code & GW_PFEC_US) == (c.cpl == 3));
		CHECK(r.fault_addr == lin);
	} else if (st == GW_NONCANONICAL) {
		CHECK(mode == GW_MODE_LONG4 || mode == GW_MODE_LONG5);
	}

	if (st == GW_OK && (acc & GW_ACC_WRITE) && !(acc & GW_ACC_FETCH)) {
		enum gw_status s2 = guest_walk(&c, &mem, gla, 0, &r2);
		CHECK(s2 == GW_OK && r2.gpa == r.gpa);
	}

	/* The same walk with A/D updates gives the same answer; and again
	 * afterwards, since A and D are never reserved bits - except in a PAE
	 * PDPTE, which a self-referencing table can alias with a PD entry. */
	enum gw_status s3 = guest_walk(&c, &mem, gla, acc | GW_ACC_SET_AD, &r2);
	CHECK(same(&r, st, &r2, s3));
	if (mode != GW_MODE_PAE) {
		s3 = guest_walk(&c, &mem, gla, acc, &r2);
		CHECK(same(&r, st, &r2, s3));
	}
	return 0;
}
