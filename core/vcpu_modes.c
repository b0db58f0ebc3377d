/* SPDX-License-Identifier: BSD-2-Clause */
/* Architectural start states for a flat guest in each mode. The descriptor
 * layout matches the GDT core/loader/image.c writes into guest memory:
 * 0x08 64-bit code, 0x10 flat data, 0x18 32-bit flat code. */
#include "arch/x86/cpu/ctlregs.h"
#include "core/lib/string.h"
#include "core/vcpu.h"

#define SEL_CODE64 0x08
#define SEL_DATA 0x10
#define SEL_CODE32 0x18

static struct segment seg(uint16_t sel, uint64_t base, uint32_t limit, uint16_t attr)
{
	return (struct segment){ sel, attr, limit, base };
}

void vcpu_sregs_for_mode(struct vcpu_sregs *s, enum vcpu_mode mode, uint64_t cr3)
{
	const uint16_t data = SEG_ATTR_TYPE(SEG_TYPE_DATA_RW_A) | SEG_ATTR_S | SEG_ATTR_P;
	const uint16_t code = SEG_ATTR_TYPE(SEG_TYPE_CODE_RX_A) | SEG_ATTR_S | SEG_ATTR_P;

	bh_memset(s, 0, sizeof(*s));
	/* TR must be a usable busy TSS even if the guest never uses it (SDM
	 * Vol. 3C §26.3.1.2); LDTR is unusable (attr 0). */
	s->seg[SEG_TR] = seg(0, 0, 0x67, SEG_ATTR_TYPE(SEG_TYPE_TSS64_BUSY) | SEG_ATTR_P);
	s->gdtr.limit = 0xffff;
	s->idtr.limit = 0xffff;
	s->dr7 = 0x400;

	switch (mode) {
	case VCPU_MODE_REAL:
		for (unsigned int i = 0; i < SEG_LDTR; i++)
			s->seg[i] = seg(0, 0, 0xffff, i == SEG_CS ? code : data);
		s->cr0 = CR0_ET | CR0_NE;
		/* After RESET or INIT, TR is a present busy TSS with limit
		 * FFFFH (SDM Vol. 3A Table 9-1): a 32-bit one, as KVM and
		 * QEMU load it. A 16-bit busy TSS would do for real mode, but
		 * not for a guest that enables long mode straight from here
		 * (an AP's trampoline setting CR0.PE and CR0.PG in one MOV):
		 * IA-32e mode needs TR of type 11 (SDM Vol. 3C §27.3.1.2),
		 * and Bochs refuses the CR0 write itself with #GP ("attempt
		 * to enter x86-64 long mode with TSS286 in TR"), which made
		 * such an AP triple-fault on VMX (issue 14). */
		s->seg[SEG_TR] = seg(0, 0, 0xffff, SEG_ATTR_TYPE(SEG_TYPE_TSS64_BUSY) | SEG_ATTR_P);
		break;
	case VCPU_MODE_PROT32:
		for (unsigned int i = 0; i < SEG_LDTR; i++)
			s->seg[i] = seg(SEL_DATA, 0, 0xffffffff, data | SEG_ATTR_DB | SEG_ATTR_G);
		s->seg[SEG_CS] = seg(SEL_CODE32, 0, 0xffffffff, code | SEG_ATTR_DB | SEG_ATTR_G);
		s->cr0 = CR0_PE | CR0_ET | CR0_NE;
		break;
	case VCPU_MODE_LONG64:
		for (unsigned int i = 0; i < SEG_LDTR; i++)
			s->seg[i] = seg(SEL_DATA, 0, 0xffffffff, data | SEG_ATTR_DB | SEG_ATTR_G);
		s->seg[SEG_CS] = seg(SEL_CODE64, 0, 0xffffffff, code | SEG_ATTR_L | SEG_ATTR_G);
		s->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
		s->cr4 = CR4_PAE;
		s->cr3 = cr3;
		s->efer = EFER_LME | EFER_LMA;
		break;
	}
}
