/* SPDX-License-Identifier: BSD-2-Clause */
/* interrupts: external interrupts injected by the hypervisor. Writing a
 * vector (32-255) to the test device's port 0x524 raises that interrupt on
 * vCPU 0 (drivers/vdev/testdev.h). Checked: delivery through the guest IDT,
 * no delivery while EFLAGS.IF = 0, delivery once STI's one-instruction
 * shadow has passed (SDM Vol. 3A §6.8.3), the higher vector first when two
 * are pending, vectors 0-31 refused, and a pending interrupt waking
 * "sti; hlt" (the idle loop of every OS). Runs in long mode. */
#include "rt.h"

#define IRQ_PORT 0x524
#define UNCLAIMED_PORT 0x1234
#define VEC_A 0x40
#define VEC_B 0x41
#define VEC_LOW 0x42
#define VEC_HIGH 0x50
#define VEC_HLT 0x43
#define SPIN_LIMIT 1000000u
#define HOLD_EXITS 200
#define ORDER_MAX 8

struct irq_log {
	unsigned count[256];
	uint8_t order[ORDER_MAX];
	unsigned n;
	uintptr_t last_ip;
};

static volatile struct irq_log irq_log;

static void on_irq(uint8_t vector, uintptr_t ip)
{
	irq_log.count[vector]++;
	if (irq_log.n < ORDER_MAX)
		irq_log.order[irq_log.n] = vector;
	irq_log.n++;
	irq_log.last_ip = ip;
}

static unsigned total(void)
{
	return irq_log.n;
}

static void raise(uint8_t vector)
{
	outb(IRQ_PORT, vector);
}

/* Spins with IF=1 until the vector's count reaches want (or gives up). */
static bool wait_for(uint8_t vector, unsigned want)
{
	for (unsigned i = 0; i < SPIN_LIMIT; i++) {
		if (irq_log.count[vector] >= want)
			return true;
		cpu_relax();
	}
	return irq_log.count[vector] >= want;
}

static void delivered(void)
{
	irq_enable();
	raise(VEC_A);
	wait_for(VEC_A, 1);
	irq_disable();
	rt_check_eq("irq_delivered", "deliveries of vector 0x40", irq_log.count[VEC_A], 1);
}

/* Raised with IF=0: held through many exits, delivered right after the STI
 * shadow, i.e. before the CLI that follows "sti; nop". */
static void held_then_window(void)
{
	uintptr_t cli_ip;

	irq_disable();
	raise(VEC_B);
	for (unsigned i = 0; i < HOLD_EXITS; i++)
		(void)inb(UNCLAIMED_PORT);
	rt_check_eq("irq_held_while_if_clear", "deliveries with IF=0", irq_log.count[VEC_B], 0);
	asm volatile("lea 1f(%%rip), %0\n\t"
		     "sti\n\t"
		     "nop\n"
		     "1:\tcli"
		     : "=r"(cli_ip)
		     :
		     : "memory");
	rt_check("irq_after_sti_shadow", irq_log.count[VEC_B] == 1 && irq_log.last_ip == cli_ip,
		 "%u deliveries, interrupted ip %p, want 1 at the CLI (%p)", irq_log.count[VEC_B],
		 (void *)irq_log.last_ip, (void *)cli_ip);
}

/* Gives the hypervisor exits with IF=1 to deliver whatever is still
 * pending, so one case's leftovers do not show up in the next. */
static void drain(void)
{
	irq_enable();
	for (unsigned i = 0; i < HOLD_EXITS; i++)
		(void)inb(UNCLAIMED_PORT);
	irq_disable();
}

/* Both pending when IF becomes 1: the higher vector first, and the lower one
 * as soon as the first handler returns, without waiting for an exit (the
 * spin has none). */
static void priority(void)
{
	unsigned first = total();

	irq_disable();
	raise(VEC_LOW);
	raise(VEC_HIGH);
	irq_enable();
	wait_for(VEC_LOW, 1);
	irq_disable();
	rt_check("irq_two_pending_high_first",
		 total() == first + 2 && first + 1 < ORDER_MAX && irq_log.order[first] == VEC_HIGH &&
				 irq_log.order[first + 1] == VEC_LOW,
		 "%u deliveries, order 0x%x 0x%x, want 0x50 then 0x42", total() - first,
		 irq_log.order[first], irq_log.order[first + 1]);
}

/* Vectors 0-31 are exceptions, not interrupts: the device ignores them (a
 * delivery would show as an unexpected exception and end the guest). */
static void exception_vectors_refused(void)
{
	unsigned before = total();

	irq_enable();
	raise(VEC_UD);
	raise(VEC_DF);
	raise(31);
	for (unsigned i = 0; i < HOLD_EXITS; i++)
		(void)inb(UNCLAIMED_PORT);
	irq_disable();
	rt_check_eq("irq_exception_vectors_ignored", "deliveries", total() - before, 0);
}

/* Pending before "sti; hlt": HLT must not sleep (SDM Vol. 3A §6.8.3: the
 * interrupt is taken after HLT, which then completes). If the hypervisor
 * parks the vCPU anyway, nothing wakes it and the partition ends without a
 * GUEST DONE line. */
static void hlt_wakeup(void)
{
	if (!rt_hv_present()) {
		rt_puts("interrupts: no hypervisor, nothing raises vector 0x43: hlt test skipped\n");
		return;
	}
	irq_disable();
	raise(VEC_HLT);
	rt_puts("interrupts: sti; hlt with vector 0x43 pending\n");
	asm volatile("sti; hlt; cli" : : : "memory");
	rt_check_eq("irq_wakes_hlt", "deliveries of vector 0x43", irq_log.count[VEC_HLT], 1);
}

void guest_main(void)
{
	static const uint8_t vectors[] = { VEC_A, VEC_B, VEC_LOW, VEC_HIGH, VEC_HLT };

	for (unsigned i = 0; i < ARRAY_SIZE(vectors); i++)
		rt_set_irq_handler(vectors[i], on_irq);
	delivered();
	held_then_window();
	priority();
	drain();
	exception_vectors_refused();
	hlt_wakeup();
}
