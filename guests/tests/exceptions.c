/* SPDX-License-Identifier: BSD-2-Clause */
/* exceptions (64-bit) and exceptions32 (32-bit): exceptions raised in the
 * guest reach the guest's own IDT with the right vector, error code and
 * pushed instruction pointer; the hypervisor must not swallow or alter them
 * (even if it intercepts some to look at them). SDM Vol. 3A §6.15. */
#include "rt.h"

#define SOFT_VECTOR 0x41
/* Selector error codes: index | TI | EXT (SDM Vol. 3A §6.13). */
#define SEL_ERROR(sel) ((sel) & ~3u)
#define RPL3(sel) ((sel) | 3)

static void ud2(const char *name)
{
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "ud2" RT_TRY_END : : : "memory");
	rt_expect_exc(name, VEC_UD, RT_NO_ERROR, RT_FAULT);
}

static void divide_error(void)
{
	unsigned long a = 1, d = 0, zero = 0;

	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "div %2" RT_TRY_END : "+a"(a), "+d"(d) : "r"(zero) : "memory");
	rt_expect_exc("div0_de", VEC_DE, RT_NO_ERROR, RT_FAULT);
}

static void breakpoint(void)
{
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "int3" RT_TRY_END : : : "memory");
	rt_expect_exc("int3_bp", VEC_BP, RT_NO_ERROR, RT_TRAP);
}

static void software_interrupt(void)
{
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "int $0x41" RT_TRY_END : : : "memory");
	rt_expect_exc("int_n_soft", SOFT_VECTOR, RT_NO_ERROR, RT_TRAP);
}

/* Loading a selector past the GDT limit: #GP(selector). */
static void bad_segment_beyond_limit(void)
{
	uint16_t sel = SEL_BEYOND_GDT;

	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "mov %0, %%ds" RT_TRY_END : : "r"(sel) : "memory");
	rt_expect_exc("bad_segment_gp", VEC_GP, SEL_ERROR(SEL_BEYOND_GDT), RT_FAULT);
}

/* Loading SS with RPL != CPL: #GP(selector). */
static void bad_stack_segment_rpl(void)
{
	uint16_t sel = RPL3(SEL_DATA);

	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "mov %0, %%ss" RT_TRY_END : : "r"(sel) : "memory");
	rt_expect_exc("bad_ss_rpl_gp", VEC_GP, SEL_ERROR(SEL_DATA), RT_FAULT);
}

/* A data segment with P = 0: #NP(selector). */
static void segment_not_present(void)
{
	uint16_t sel = SEL_NOT_PRESENT;

	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "mov %0, %%es" RT_TRY_END : : "r"(sel) : "memory");
	rt_expect_exc("segment_not_present_np", VEC_NP, SEL_ERROR(SEL_NOT_PRESENT), RT_FAULT);
}

#ifdef __x86_64__
/* Unmapped in the loader's 4 GiB identity map (PML4 slot 254). */
#define UNMAPPED_VA 0x00007f0000001000ull
#define PF_ERR_WRITE 0x2

static void page_faults(void)
{
	volatile uint64_t *p = (volatile uint64_t *)UNMAPPED_VA;
	uint64_t v = 0;
	struct rt_exc_record r;

	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "mov (%1), %0" RT_TRY_END : "+r"(v) : "r"(p) : "memory");
	r = rt_exc_result();
	if (rt_expect_exc("page_fault_read_pf", VEC_PF, 0, RT_FAULT))
		rt_check_eq("page_fault_read_cr2", "cr2", r.cr2, UNMAPPED_VA);

	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "movq $1, (%0)" RT_TRY_END : : "r"(p) : "memory");
	r = rt_exc_result();
	if (rt_expect_exc("page_fault_write_pf", VEC_PF, PF_ERR_WRITE, RT_FAULT))
		rt_check_eq("page_fault_write_cr2", "cr2", r.cr2, UNMAPPED_VA);
}

/* A non-canonical data address: #GP(0) (SDM Vol. 3A §6.15, #GP). */
static void non_canonical(void)
{
	uint64_t v = 0, addr = 0x8000000000000000ull;

	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "mov (%1), %0" RT_TRY_END : "+r"(v) : "r"(addr) : "memory");
	rt_expect_exc("non_canonical_gp", VEC_GP, 0, RT_FAULT);
}
#endif

/* After all that, the guest's state is intact: segment registers as the
 * runtime set them, and the IDT still ours. */
static void state_intact(void)
{
	uint16_t ds, ss, es;

	asm volatile("mov %%ds, %0; mov %%ss, %1; mov %%es, %2" : "=r"(ds), "=r"(ss), "=r"(es));
	rt_check("segments_intact", ds == SEL_DATA && ss == SEL_DATA && es == SEL_DATA,
		 "ds 0x%x ss 0x%x es 0x%x", ds, ss, es);
}

void guest_main(void)
{
	ud2("ud2_ud");
	divide_error();
	breakpoint();
	software_interrupt();
	bad_segment_beyond_limit();
	bad_stack_segment_rpl();
	segment_not_present();
#ifdef __x86_64__
	page_faults();
	non_canonical();
#endif
	/* The same exception twice in a row: each is delivered. */
	ud2("ud2_ud_again");
	state_intact();
}
