/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-user: a process at CPL 3 inside a partition reaches for the machine
 * (issue 12, "CPL-3 hypercalls" and what goes with them; user-hypercall.c
 * covers the hypercalls). Port I/O with IOPL 0 and no I/O bitmap (also
 * after trying to raise IOPL with POPF, which CPL 3 cannot), RDMSR/WRMSR,
 * MOV to and from CR0/CR3/CR4, LMSW, CLTS, HLT, CLI, INVD, WBINVD, LGDT,
 * MOV to DR7: each must raise #GP in the guest (SDM Vol. 3A §5.9, §19.5.1;
 * Vol. 2 per instruction) and never reach a device, the hypervisor or the
 * partition's real state. */
#include "atk.h"

#define RFLAGS_IOPL3 (3ul << 12)

enum {
	U_IN,
	U_OUT,
	U_OUT_IOPL,
	U_RDMSR,
	U_WRMSR,
	U_CR0,
	U_CR3W,
	U_CR4,
	U_LMSW,
	U_CLTS,
	U_HLT,
	U_CLI,
	U_INVD,
	U_WBINVD,
	U_LGDT,
	U_DR7,
	U_N
};
static const char *const names[U_N] = { "in",         "out",     "out_after_popf_iopl3",
					"rdmsr",      "wrmsr",   "mov_cr0",
					"mov_to_cr3", "mov_cr4", "lmsw",
					"clts",       "hlt",     "cli",
					"invd",       "wbinvd",  "lgdt",
					"mov_to_dr7" };

struct user_out {
	int vec[U_N];
	unsigned long iopl_after_popf;
};

#define U_TRY(i, insn, ...)                                                            \
	do {                                                                           \
		rt_exc_prepare();                                                      \
		asm volatile(RT_TRY_BEGIN insn RT_TRY_END : : __VA_ARGS__ : "memory"); \
		o->vec[i] = atk_vector();                                              \
	} while (0)

static long user_part(void *arg)
{
	struct user_out *o = arg;
	unsigned long zero = 0, flags;
	struct __attribute__((packed)) {
		uint16_t l;
		uint64_t b;
	} dt = { 0, 0 };

	U_TRY(U_IN, "inb $0x21, %%al", "a"(0));
	U_TRY(U_OUT, "outb %%al, %%dx", "a"('X'), "d"(COM1_BASE));
	asm volatile("pushfq; orq %1, (%%rsp); popfq; pushfq; popq %0"
		     : "=r"(flags)
		     : "i"(RFLAGS_IOPL3)
		     : "memory");
	o->iopl_after_popf = flags & RFLAGS_IOPL3;
	U_TRY(U_OUT_IOPL, "outb %%al, %%dx", "a"('Y'), "d"(COM1_BASE));
	U_TRY(U_RDMSR, "rdmsr", "c"(MSR_EFER));
	U_TRY(U_WRMSR, "wrmsr", "c"(MSR_LSTAR), "a"(0), "d"(0));
	U_TRY(U_CR0, "mov %%cr0, %%rax", "a"(0));
	U_TRY(U_CR3W, "mov %0, %%cr3", "r"(zero));
	U_TRY(U_CR4, "mov %%cr4, %%rax", "a"(0));
	U_TRY(U_LMSW, "lmsw %0", "r"((uint16_t)0));
	U_TRY(U_CLTS, "clts", "a"(0));
	U_TRY(U_HLT, "hlt", "a"(0));
	U_TRY(U_CLI, "cli", "a"(0));
	U_TRY(U_INVD, "invd", "a"(0));
	U_TRY(U_WBINVD, "wbinvd", "a"(0));
	U_TRY(U_LGDT, "lgdt %0", "m"(dt));
	U_TRY(U_DR7, "mov %0, %%dr7", "r"(~0ul));
	return 0;
}

void guest_main(void)
{
	static struct user_out o;
	long r;
	uintptr_t cr0 = read_cr0(), cr3 = read_cr3();

	if (!rt_user_call(user_part, &o, &r))
		return;
	unsigned bad = 0;
	for (unsigned i = 0; i < U_N; i++) {
		if (o.vec[i] != VEC_GP) {
			rt_printf("atk-user: CPL 3 %s: vector %d, want #GP\n", names[i], o.vec[i]);
			bad++;
		}
	}
	rt_check_eq("cpl3_port_io", "IOPL after POPF at CPL 3", o.iopl_after_popf, 0);
	rt_check("cpl3_privileged_insns", bad == 0, "%u instructions did not raise #GP", bad);
	rt_check("cpl3_state_unchanged", read_cr0() == cr0 && read_cr3() == cr3, "cr0 %lx cr3 %lx",
		 (unsigned long)read_cr0(), (unsigned long)read_cr3());
}
