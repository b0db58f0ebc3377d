/* SPDX-License-Identifier: BSD-2-Clause */
/* Running code at CPL 3 inside a test guest (64-bit guests only), so a
 * guest can test what the hypervisor lets a user-mode process do.
 *
 * rt_user_call() sets up, once: a GDT with user code and data segments and
 * a 64-bit TSS whose RSP0 is the stack the CPU switches to when user mode
 * is interrupted (SDM Vol. 3A §7.7, §6.14.5); a DPL 3 interrupt gate through
 * which user mode returns (user_entry.S); and the U/S bit in every present
 * entry of the loader's page tables (SDM Vol. 3A §4.6), so the whole image,
 * runtime included, is reachable from CPL 3. Code at CPL 3 must not print:
 * IOPL is 0 and the TSS has no I/O bitmap, so IN/OUT raise #GP there. */
#include "rt.h"

#ifdef __x86_64__

#define PTE_P (1ull << 0)
#define PTE_US (1ull << 2)
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull
#define PT_ENTRIES 512
#define PAGING_LEVELS 4
#define CR4_SMEP (1u << 20)
#define CR4_SMAP (1u << 21)

/* GDT descriptors (SDM Vol. 3A §3.4.5): flat, DPL 3. */
#define DESC_USER_DATA 0x00cff2000000ffffull   /* read/write data */
#define DESC_USER_CODE64 0x00affa000000ffffull /* execute/read, L = 1 */
/* 64-bit TSS descriptor (SDM Vol. 3A §8.2.3, Figure 8-4): type 9 (available),
 * P = 1, DPL 0; base in bits 16-39 and 56-63, then 63:32 in the next slot. */
#define TSS_TYPE_AVAILABLE_P 0x89ull
#define TSS_ACCESS_SHIFT 40

#define USER_STACK_SIZE 16384
#define KERNEL_STACK_SIZE 16384

/* The 64-bit TSS (SDM Vol. 3A §8.7, Figure 8-11). */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern const uint64_t rt_gdt[GDT_ENTRIES];
extern char rt_user_return[];
long rt_user_enter(long (*fn)(void *), void *arg, uintptr_t user_sp);

static uint64_t user_gdt[USER_GDT_ENTRIES] __attribute__((aligned(16)));
static struct tss64 user_tss __attribute__((aligned(16)));
static uint8_t user_stack[USER_STACK_SIZE] __attribute__((aligned(16)));
static uint8_t kernel_stack[KERNEL_STACK_SIZE] __attribute__((aligned(16)));
static bool user_ready;

/* Sets U/S in every present entry of the table at pa and below. */
static void mark_user(uint64_t pa, unsigned level)
{
	uint64_t *t = (uint64_t *)(uintptr_t)pa;

	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		if (!(t[i] & PTE_P))
			continue;
		t[i] |= PTE_US;
		if (level > 1 && !(t[i] & PTE_PS))
			mark_user(t[i] & PTE_ADDR, level - 1);
	}
}

static void build_gdt(void)
{
	uint64_t base = (uintptr_t)&user_tss, limit = sizeof(user_tss) - 1;

	for (unsigned i = 0; i < GDT_ENTRIES; i++)
		user_gdt[i] = rt_gdt[i];
	user_gdt[SEL_USER_DATA / 8] = DESC_USER_DATA;
	user_gdt[SEL_USER_CODE64 / 8] = DESC_USER_CODE64;
	user_gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
				(TSS_TYPE_AVAILABLE_P << TSS_ACCESS_SHIFT) |
				((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	user_gdt[SEL_TSS / 8 + 1] = base >> 32;
}

/* False (and a FAIL line) if user mode cannot be set up. */
static bool user_setup(void)
{
	struct gdt_ptr p = { sizeof(user_gdt) - 1, (uintptr_t)user_gdt };

	if (user_ready)
		return true;
	if (read_cr4() & (CR4_SMEP | CR4_SMAP)) {
		rt_fail("user_setup",
			"CR4.SMEP/SMAP set: the runtime cannot share its pages with CPL 3");
		return false;
	}
	memset(&user_tss, 0, sizeof(user_tss));
	user_tss.rsp[0] = (uintptr_t)kernel_stack + sizeof(kernel_stack);
	user_tss.iomap_base = sizeof(user_tss); /* no I/O bitmap */
	build_gdt();
	/* The runtime's selectors keep their meaning: CS and SS stay valid. */
	asm volatile("lgdt %0" : : "m"(p) : "memory");
	asm volatile("ltr %w0" : : "r"((uint16_t)SEL_TSS) : "memory");
	rt_idt_set_gate(RT_USER_RETURN_VECTOR, (uintptr_t)rt_user_return, 3);
	mark_user(read_cr3() & PTE_ADDR, PAGING_LEVELS);
	asm volatile("mov %0, %%cr3" : : "r"(read_cr3()) : "memory"); /* flush the TLB */
	user_ready = true;
	return true;
}

bool rt_user_call(long (*fn)(void *), void *arg, long *result)
{
	if (!user_setup())
		return false;
	*result = rt_user_enter(fn, arg, (uintptr_t)user_stack + sizeof(user_stack));
	return true;
}

#endif

unsigned rt_cpl(void)
{
	uint16_t cs;
	asm volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}
