/* SPDX-License-Identifier: BSD-2-Clause */
/* apic-conform: NMI delivery and I/O APIC trigger semantics of issue 14
 * deliverable 5, checked from inside a partition. Runs in long mode.
 *
 *   - An NMI sent to the vCPU (an ICR message to its own APIC ID, an I/O
 *     APIC pin programmed as NMI) is delivered whatever RFLAGS.IF says.
 *   - NMIs are blocked from an NMI's delivery until its handler's IRET has
 *     completed; NMIs raised meanwhile are held, and several collapse into
 *     one, delivered after the IRET (SDM Vol. 3A §6.7.1, APM Vol. 2 §8.2.7).
 *   - I/O APIC (82093AA datasheet §3.2.4): an edge pin interrupts once per
 *     rising edge (a line held high does not again) and an edge while the
 *     pin is masked is lost; a level pin sets Remote IRR on delivery, which
 *     the guest cannot write, and the EOI (the local APIC's broadcast, SDM
 *     Vol. 3A §11.8.5, or the EOI register) clears it and delivers again
 *     while the line is still asserted.
 *
 * The pins are driven through the test device's GSI port 0x528
 * (drivers/vdev/testdev.h). */
#include "rt.h"

#define LAPIC_BASE 0xFEE00000ul
#define LAPIC_ID 0x20
#define LAPIC_EOI 0xB0
#define LAPIC_SVR 0xF0
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_SVR_ENABLE (1u << 8)
#define ICR_DM_NMI (4u << 8)
#define ICR_DEST_SHIFT 24

#define IOAPIC_BASE 0xFEC00000ul
#define IOAPIC_REGSEL 0x00
#define IOAPIC_WIN 0x10
#define IOAPIC_EOI 0x40
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))
#define RTE_DM_NMI (4u << 8)
#define RTE_REMOTE_IRR (1u << 14)
#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)

#define GSI_PORT 0x528
#define GSI_ASSERT 0x80
#define PIN_EDGE 21
#define PIN_LEVEL 22
#define PIN_NMI 20
#define VEC_EDGE 0x60
#define VEC_LEVEL 0x61

#define UNCLAIMED_PORT 0x1234
#define EXITS 100

static volatile uint32_t *lapic_reg(unsigned off)
{
	return (volatile uint32_t *)(LAPIC_BASE + off);
}

static uint32_t apic_id(void)
{
	return *lapic_reg(LAPIC_ID) >> 24;
}

static void lapic_eoi(void)
{
	*lapic_reg(LAPIC_EOI) = 0;
}

static void ioapic_write(unsigned reg, uint32_t val)
{
	*(volatile uint32_t *)(IOAPIC_BASE + IOAPIC_REGSEL) = reg;
	*(volatile uint32_t *)(IOAPIC_BASE + IOAPIC_WIN) = val;
}

static uint32_t ioapic_read(unsigned reg)
{
	*(volatile uint32_t *)(IOAPIC_BASE + IOAPIC_REGSEL) = reg;
	return *(volatile uint32_t *)(IOAPIC_BASE + IOAPIC_WIN);
}

static void set_rte(unsigned pin, uint32_t low)
{
	ioapic_write(IOAPIC_REDTBL(pin) + 1, apic_id() << 24);
	ioapic_write(IOAPIC_REDTBL(pin), low);
}

static void line(unsigned pin, bool asserted)
{
	outb(GSI_PORT, (uint8_t)(pin | (asserted ? GSI_ASSERT : 0)));
}

/* Exits give the hypervisor chances to deliver what is pending. */
static void exits(void)
{
	for (unsigned i = 0; i < EXITS; i++)
		(void)inb(UNCLAIMED_PORT);
}

/* ---- NMI -------------------------------------------------------------- */

static void send_nmi_to_self(void)
{
	*lapic_reg(LAPIC_ICR_HIGH) = apic_id() << ICR_DEST_SHIFT;
	*lapic_reg(LAPIC_ICR_LOW) = ICR_DM_NMI;
}

struct nmi_log {
	unsigned count, depth, max_depth;
	unsigned send_in_handler;
	unsigned count_at_handler_end;
	uintptr_t last_ip;
};
static volatile struct nmi_log nmi;

struct iret_frame {
	uintptr_t rip, cs, rflags, rsp, ss;
};

void nmi_c(const struct iret_frame *f);
void nmi_c(const struct iret_frame *f)
{
	nmi.count++;
	if (++nmi.depth > nmi.max_depth)
		nmi.max_depth = nmi.depth;
	nmi.last_ip = f->rip;
	if (nmi.send_in_handler) {
		nmi.send_in_handler = 0;
		send_nmi_to_self();
		send_nmi_to_self();
		exits();
		nmi.count_at_handler_end = nmi.count;
	}
	nmi.depth--;
}

/* Caller-saved registers around the C half; 9 pushes keep the call
 * 16-byte aligned after the 5-word frame. nmi_iret labels the IRET. */
extern char nmi_stub[], nmi_iret[];
asm(".text\n"
    ".globl nmi_stub\n"
    "nmi_stub:\n\t"
    "push %rax\n\tpush %rcx\n\tpush %rdx\n\tpush %rsi\n\tpush %rdi\n\t"
    "push %r8\n\tpush %r9\n\tpush %r10\n\tpush %r11\n\t"
    "lea 72(%rsp), %rdi\n\t"
    "cld\n\t"
    "call nmi_c\n\t"
    "pop %r11\n\tpop %r10\n\tpop %r9\n\tpop %r8\n\tpop %rdi\n\t"
    "pop %rsi\n\tpop %rdx\n\tpop %rcx\n\tpop %rax\n"
    ".globl nmi_iret\n"
    "nmi_iret:\n\t"
    "iretq\n");

static void nmi_icr_delivered(void)
{
	unsigned before = nmi.count;

	irq_disable(); /* NMIs ignore RFLAGS.IF */
	send_nmi_to_self();
	exits();
	rt_check_eq("nmi_icr_self_delivered", "NMIs", nmi.count - before, 1);
}

static void nmi_blocked_until_iret(void)
{
	unsigned before = nmi.count;

	irq_disable();
	nmi.max_depth = 0;
	nmi.send_in_handler = 1;
	send_nmi_to_self();
	exits();
	rt_check_eq("nmi_held_while_handler_runs", "NMIs when the handler ended",
		    nmi.count_at_handler_end - before, 1);
	rt_check_eq("nmi_pending_collapse_to_one", "NMIs in all", nmi.count - before, 2);
	rt_check_eq("nmi_not_nested", "deepest nesting", nmi.max_depth, 1);
	rt_check("nmi_delivered_after_iret", nmi.last_ip != (uintptr_t)nmi_iret,
		 "the second NMI interrupted the first handler's IRET at %p", (void *)nmi.last_ip);
}

static void nmi_from_ioapic_pin(void)
{
	unsigned before = nmi.count;

	irq_disable();
	line(PIN_NMI, false);
	set_rte(PIN_NMI, RTE_DM_NMI);
	line(PIN_NMI, true);
	exits();
	line(PIN_NMI, false);
	set_rte(PIN_NMI, RTE_MASKED);
	rt_check_eq("nmi_ioapic_pin_delivered", "NMIs", nmi.count - before, 1);
}

/* ---- I/O APIC --------------------------------------------------------- */

static volatile unsigned irq_count[256];
static volatile bool auto_eoi;

static void on_irq(uint8_t vector, uintptr_t ip)
{
	(void)ip;
	irq_count[vector]++;
	if (auto_eoi)
		lapic_eoi();
}

/* IF=1 for a while, so whatever is pending gets delivered. */
static void open_window(void)
{
	irq_enable();
	exits();
	irq_disable();
}

static void edge_pin(void)
{
	auto_eoi = true;
	line(PIN_EDGE, false);
	set_rte(PIN_EDGE, VEC_EDGE);
	line(PIN_EDGE, true);
	open_window();
	rt_check_eq("ioapic_edge_delivered", "interrupts", irq_count[VEC_EDGE], 1);
	line(PIN_EDGE, true); /* still high: no edge */
	open_window();
	rt_check_eq("ioapic_edge_level_held_not_redelivered", "interrupts", irq_count[VEC_EDGE], 1);
	line(PIN_EDGE, false);
	line(PIN_EDGE, true);
	open_window();
	rt_check_eq("ioapic_edge_one_per_rising_edge", "interrupts", irq_count[VEC_EDGE], 2);

	line(PIN_EDGE, false);
	set_rte(PIN_EDGE, VEC_EDGE | RTE_MASKED);
	line(PIN_EDGE, true);
	line(PIN_EDGE, false);
	set_rte(PIN_EDGE, VEC_EDGE);
	open_window();
	rt_check_eq("ioapic_masked_edge_lost", "interrupts", irq_count[VEC_EDGE], 2);
	set_rte(PIN_EDGE, RTE_MASKED);
}

static void level_pin(void)
{
	uint32_t rte;

	auto_eoi = false; /* the test sends the EOIs */
	line(PIN_LEVEL, false);
	set_rte(PIN_LEVEL, VEC_LEVEL | RTE_LEVEL);
	line(PIN_LEVEL, true);
	open_window();
	rte = ioapic_read(IOAPIC_REDTBL(PIN_LEVEL));
	rt_check("ioapic_level_sets_remote_irr", irq_count[VEC_LEVEL] == 1 && (rte & RTE_REMOTE_IRR),
		 "%u interrupts, RTE 0x%x", irq_count[VEC_LEVEL], rte);

	/* The guest cannot clear Remote IRR by writing the entry. */
	ioapic_write(IOAPIC_REDTBL(PIN_LEVEL), VEC_LEVEL | RTE_LEVEL);
	rte = ioapic_read(IOAPIC_REDTBL(PIN_LEVEL));
	rt_check("ioapic_remote_irr_read_only", rte & RTE_REMOTE_IRR, "RTE 0x%x", rte);
	open_window();
	rt_check_eq("ioapic_level_waits_for_eoi", "interrupts", irq_count[VEC_LEVEL], 1);

	/* EOI with the line still high: Remote IRR clears, and it comes again. */
	lapic_eoi();
	open_window();
	rte = ioapic_read(IOAPIC_REDTBL(PIN_LEVEL));
	rt_check("ioapic_level_eoi_redelivers", irq_count[VEC_LEVEL] == 2 && (rte & RTE_REMOTE_IRR),
		 "%u interrupts, RTE 0x%x", irq_count[VEC_LEVEL], rte);

	/* Line low, then EOI: Remote IRR clears and nothing comes. */
	line(PIN_LEVEL, false);
	lapic_eoi();
	open_window();
	rte = ioapic_read(IOAPIC_REDTBL(PIN_LEVEL));
	rt_check("ioapic_level_eoi_after_deassert",
		 irq_count[VEC_LEVEL] == 2 && !(rte & RTE_REMOTE_IRR), "%u interrupts, RTE 0x%x",
		 irq_count[VEC_LEVEL], rte);
	ioapic_write(IOAPIC_REDTBL(PIN_LEVEL), VEC_LEVEL | RTE_LEVEL | RTE_REMOTE_IRR);
	rte = ioapic_read(IOAPIC_REDTBL(PIN_LEVEL));
	rt_check("ioapic_remote_irr_not_settable", !(rte & RTE_REMOTE_IRR), "RTE 0x%x", rte);

	/* The EOI register (version 0x20) clears Remote IRR too. */
	line(PIN_LEVEL, true);
	open_window();
	line(PIN_LEVEL, false);
	*(volatile uint32_t *)(IOAPIC_BASE + IOAPIC_EOI) = VEC_LEVEL;
	rte = ioapic_read(IOAPIC_REDTBL(PIN_LEVEL));
	rt_check("ioapic_eoi_register_clears_remote_irr",
		 irq_count[VEC_LEVEL] == 3 && !(rte & RTE_REMOTE_IRR), "%u interrupts, RTE 0x%x",
		 irq_count[VEC_LEVEL], rte);
	lapic_eoi();
	open_window();
	rt_check_eq("ioapic_level_no_more", "interrupts", irq_count[VEC_LEVEL], 3);
	set_rte(PIN_LEVEL, RTE_MASKED);
}

void guest_main(void)
{
	rt_idt_set_gate(2, (uintptr_t)nmi_stub, 0);
	rt_set_irq_handler(VEC_EDGE, on_irq);
	rt_set_irq_handler(VEC_LEVEL, on_irq);
	*lapic_reg(LAPIC_SVR) = LAPIC_SVR_ENABLE | 0xff;

	nmi_icr_delivered();
	nmi_blocked_until_iret();
	nmi_from_ioapic_pin();
	edge_pin();
	level_pin();
	rt_done();
}
