/* SPDX-License-Identifier: BSD-2-Clause */
/* ap-longmode: an application processor goes from real mode straight to
 * long mode, setting CR0.PE and CR0.PG in one MOV (issue 14: this
 * triple-faulted on VMX under Bochs, and ran on SVM).
 *
 * vCPU 0 copies a trampoline below 1 MiB and starts vCPU 1 with INIT and a
 * start-up IPI (SDM Vol. 3A §8.4.4.1). vCPU 1, in real mode, loads a GDT,
 * sets CR4.PAE, CR3 (vCPU 0's page tables, which map the low 4 MiB 1:1)
 * and EFER.LME, then writes CR0 with PE and PG both set from both clear:
 * that activates IA-32e mode (EFER.LMA = 1) in compatibility mode at once
 * (SDM Vol. 3A §10.8.5: PG may be set with PE in the same instruction; AMD
 * APM Vol. 2 §14.6.1). A far jump to a 64-bit code segment follows, and
 * there vCPU 1 stores EFER and CR0 as it sees them and halts. vCPU 0 checks
 * what it stored: LMA and LME set, PE and PG set. */
#include "ap_start.h"
#include "rt.h"

/* Where the trampoline goes (below 1 MiB, page-aligned: SIPI vector 9). */
#define TRAMP_PA 0x9000UL
#define SIPI_VECTOR (TRAMP_PA >> 12)

/* Its data, at TRAMP_PA + 0x100 (DS = CS = TRAMP_PA >> 4 in real mode;
 * the 64-bit code addresses it absolutely). Offsets are the asm's. */
struct tramp_data {
	volatile uint32_t stage; /* +0x00: 1 in real mode, 2 in 64-bit mode */
	uint32_t cr3;            /* +0x04: vCPU 0's CR3 (below 4 GiB) */
	uint16_t gdt_limit;      /* +0x08: the GDT pseudo-descriptor */
	uint32_t gdt_base;       /* +0x0a */
	uint16_t pad;            /* +0x0e */
	volatile uint64_t efer;  /* +0x10: EFER as vCPU 1 reads it in 64-bit mode */
	volatile uint64_t cr0;   /* +0x18: CR0 likewise */
	uint64_t gdt[3];         /* +0x20: null, 64-bit code, data */
} __attribute__((packed));
#define TRAMP_DATA ((struct tramp_data *)(TRAMP_PA + 0x100))
#define TRAMP_GDT_OFF 0x120 /* offsetof(struct tramp_data, gdt) + 0x100 */

#define GDT_CODE64 0x00af9b000000ffffULL /* L=1, P, DPL 0, execute/read, accessed */
#define GDT_DATA 0x00cf93000000ffffULL   /* 4 GiB read/write, accessed */
/* The trampoline's own selectors (its GDT, not the runtime's). */
#define TRAMP_SEL_CODE64 0x08
#define TRAMP_SEL_DATA 0x10

#ifndef EFER_LME
#define EFER_LME (1u << 8)
#endif
#ifndef EFER_LMA
#define EFER_LMA (1u << 10)
#endif
#define CR0_PE_PG 0x80000001u

/* Real mode at CS:IP = 0x900:0. The far jump's target is patched in by
 * start_vcpu1 (tramp_long64 moves with the copy). */
extern const uint8_t tramp_start[], tramp_ljmp[], tramp_long64[], tramp_end[];
asm(".pushsection .rodata\n"
    ".code16\n"
    "tramp_start:\n"
    "	cli\n"
    "	mov %cs, %ax\n"
    "	mov %ax, %ds\n"
    "	movl $1, 0x100\n"
    "	lgdtl 0x108\n"
    "	mov %cr4, %eax\n"
    "	or $0x20, %eax\n" /* CR4.PAE */
    "	mov %eax, %cr4\n"
    "	movl 0x104, %eax\n"
    "	mov %eax, %cr3\n"
    "	mov $0xc0000080, %ecx\n"
    "	rdmsr\n"
    "	or $0x100, %eax\n" /* EFER.LME */
    "	wrmsr\n"
    "	mov %cr0, %eax\n"
    "	or $0x80000001, %eax\n" /* PE and PG in one MOV */
    "	mov %eax, %cr0\n"
    "tramp_ljmp:\n"
    "	.byte 0x66, 0xea\n" /* ljmpl $TRAMP_SEL_CODE64, $target */
    "	.long 0\n"
    "	.word 0x08\n"
    ".code64\n"
    "tramp_long64:\n"
    "	mov $0x10, %eax\n" /* TRAMP_SEL_DATA */
    "	mov %eax, %ds\n"
    "	mov %eax, %ss\n"
    "	mov $0xc0000080, %ecx\n"
    "	rdmsr\n"
    "	shl $32, %rdx\n"
    "	or %rdx, %rax\n"
    "	mov %rax, 0x9110\n"
    "	mov %cr0, %rax\n"
    "	mov %rax, 0x9118\n"
    "	movl $2, 0x9100\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "tramp_end:\n"
    ".popsection\n");

static void start_vcpu1(void)
{
	uint8_t *t = (uint8_t *)TRAMP_PA;
	struct tramp_data *d = TRAMP_DATA;
	uint32_t target = (uint32_t)(TRAMP_PA + (tramp_long64 - tramp_start));

	for (const uint8_t *s = tramp_start; s < tramp_end; s++)
		*t++ = *s;
	memcpy((uint8_t *)TRAMP_PA + (tramp_ljmp - tramp_start) + 2, &target, sizeof(target));
	*d = (struct tramp_data){ 0 };
	d->cr3 = (uint32_t)read_cr3();
	d->gdt[1] = GDT_CODE64;
	d->gdt[2] = GDT_DATA;
	d->gdt_limit = sizeof(d->gdt) - 1;
	d->gdt_base = (uint32_t)(TRAMP_PA + TRAMP_GDT_OFF);
	ap_start(1, SIPI_VECTOR); /* vCPU 1: APIC ID 1 */
}

void guest_main(void)
{
	struct tramp_data *d = TRAMP_DATA;

	if (read_cr3() >> 32) {
		rt_fail("ap_cr3", "CR3 0x%lx is above 4 GiB", (unsigned long)read_cr3());
		rt_done();
	}
	start_vcpu1();
	unsigned long until = rt_hc_time_ns() + 20000000000UL; /* 20 s: a busy host */
	while (d->stage != 2 && rt_hc_time_ns() < until)
		cpu_relax();
	rt_check("ap_reached_long_mode", d->stage == 2, "vCPU 1 at stage %u", d->stage);
	rt_check("ap_efer_lma", (d->efer & (EFER_LMA | EFER_LME)) == (EFER_LMA | EFER_LME),
		 "EFER 0x%lx", (unsigned long)d->efer);
	rt_check("ap_cr0_pe_pg", (d->cr0 & CR0_PE_PG) == CR0_PE_PG, "CR0 0x%lx",
		 (unsigned long)d->cr0);
	rt_done();
}
