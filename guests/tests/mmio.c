/* SPDX-License-Identifier: BSD-2-Clause */
/* mmio: loads and stores that trap to the hypervisor's test MMIO device at
 * guest-physical 0xFEB00000 (guests/README.md, "Test devices"): bytes 0-3 are
 * a scratch register, bytes 4-7 read "MMIO" (0x4D4D494F) and ignore writes;
 * any naturally aligned access of 1, 2, 4 or 8 bytes inside 0-7 reads or
 * writes those bytes, little-endian. The loader's identity map covers the
 * page. Every instruction form here is one the hypervisor's MMIO decoder
 * must handle: MOV loads/stores of 1/2/4/8 bytes (register and immediate),
 * MOVZX, MOVSX, OR to memory, and REX-extended registers. */
#include "rt.h"

#define MMIO_BASE 0xfeb00000ul
#define MMIO_SCRATCH 0
#define MMIO_ID 4
#define MMIO_ID_VALUE 0x4d4d494full

static volatile void *reg(unsigned off)
{
	return (volatile void *)(MMIO_BASE + off);
}

static void check_plain_access(void)
{
	volatile uint32_t *scratch = reg(MMIO_SCRATCH);
	volatile uint32_t *id = reg(MMIO_ID);

	rt_check_eq("id_read32", "movl from +4", *id, MMIO_ID_VALUE);
	*scratch = 0xcafebabe;
	rt_check_eq("scratch_rw32", "movl back from +0", *scratch, 0xcafebabe);
	*(volatile uint8_t *)reg(1) = 0x5a;
	rt_check("scratch_store8", *scratch == 0xcafe5abe && *(volatile uint8_t *)reg(1) == 0x5a,
		 "after movb 0x5a to +1: scratch 0x%x", *scratch);
	*(volatile uint16_t *)reg(2) = 0x1234;
	rt_check("scratch_store16", *scratch == 0x12345abe && *(volatile uint16_t *)reg(2) == 0x1234,
		 "after movw 0x1234 to +2: scratch 0x%x", *scratch);
	*id = 0;
	rt_check_eq("id_read_only", "+4 after a write of 0", *id, MMIO_ID_VALUE);
}

static void check_64bit(void)
{
	volatile uint64_t *q = reg(MMIO_SCRATCH);
	uint64_t v;

	*q = 0xffffffff87654321ull; /* the upper half lands on the read-only ID */
	v = *q;
	rt_check_eq("rw64", "movq back from +0", v, (MMIO_ID_VALUE << 32) | 0x87654321ull);
}

static void check_extend(void)
{
	uint64_t v;
	uint32_t w;
	int64_t s;

	/* Preload the destination with garbage: the upper bits must be cleared. */
	v = ~0ull;
	asm volatile("movzbl (%1), %k0" : "+r"(v) : "r"(reg(MMIO_ID)) : "memory");
	rt_check_eq("movzx_byte", "movzbl of +4", v, 0x4f);
	v = ~0ull;
	asm volatile("movzwq (%1), %0" : "+r"(v) : "r"(reg(MMIO_ID)) : "memory");
	rt_check_eq("movzx_word", "movzwq of +4", v, 0x494f);
	w = 0;
	*(volatile uint32_t *)reg(MMIO_SCRATCH) = 0x000080f0;
	asm volatile("movsbl (%1), %0" : "=r"(w) : "r"(reg(MMIO_SCRATCH)) : "memory");
	rt_check_eq("movsx_byte", "movsbl of 0xf0", w, 0xfffffff0u);
	s = 0;
	asm volatile("movswq (%1), %0" : "=r"(s) : "r"(reg(MMIO_SCRATCH)) : "memory");
	rt_check_eq("movsx_word", "movswq of 0x80f0", (uint64_t)s, 0xffffffffffff80f0ull);
}

static void check_or_and_forms(void)
{
	volatile uint32_t *scratch = reg(MMIO_SCRATCH);
	uint32_t bits = 0x00ff0000;

	*scratch = 0x11000001;
	asm volatile("orl $0xf0, (%0)" : : "r"(scratch) : "memory");
	rt_check_eq("or_imm_to_mem", "scratch after orl $0xf0", *scratch, 0x110000f1);
	asm volatile("orl %1, (%0)" : : "r"(scratch), "r"(bits) : "memory");
	rt_check_eq("or_reg_to_mem", "scratch after orl %reg", *scratch, 0x11ff00f1);
	asm volatile("movl $0x600df00d, (%0)" : : "r"(scratch) : "memory");
	rt_check_eq("mov_imm_to_mem", "scratch after movl $imm", *scratch, 0x600df00d);
}

/* R8-R15 need REX.R / REX.B; a base + index * scale + displacement form
 * needs the SIB byte. */
static void check_rex_and_sib(void)
{
	uint64_t out = 0;

	asm volatile("mov %[base], %%r10\n\t"
		     "mov $0x13579bdf, %%r9d\n\t"
		     "mov %%r9d, (%%r10)\n\t"
		     "xor %%r11d, %%r11d\n\t"
		     "mov $1, %%r12\n\t"
		     "mov -4(%%r10,%%r12,4), %%r11d\n\t"
		     "mov %%r11, %[out]"
		     : [out] "=r"(out)
		     : [base] "r"(MMIO_BASE)
		     : "r9", "r10", "r11", "r12", "memory");
	rt_check_eq("rex_sib_forms", "r11 after store via r10, load via SIB", out, 0x13579bdf);
	asm volatile("mov %[base], %%r13\n\t"
		     "movl 4(%%r13), %%r14d\n\t"
		     "mov %%r14, %[out]"
		     : [out] "=r"(out)
		     : [base] "r"(MMIO_BASE)
		     : "r13", "r14", "memory");
	rt_check_eq("rex_disp8_load", "r14d from 4(%r13)", out, MMIO_ID_VALUE);
}

void guest_main(void)
{
	check_plain_access();
	check_64bit();
	check_extend();
	check_or_and_forms();
	check_rex_and_sib();
}
