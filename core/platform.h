/* SPDX-License-Identifier: BSD-2-Clause */
/* The emulated machine around a partition's vCPUs: which device models it
 * has, how they are wired (port I/O and MMIO ranges on its iobus, interrupt
 * lines, the reset and power-off inputs) and how their timers are driven.
 *
 * Time: every model reads the partition's vclock (nanoseconds since the
 * partition started) and exposes its next deadline. The platform keeps the
 * earliest one in p->next_deadline_ns (PIT, RTC, PM timer) and each vCPU's
 * local APIC timer in v->timer_deadline_ns; the scheduler makes sure the
 * right CPU is back in the hypervisor by then (host timer) and calls
 * platform_tick() or platform_tick_vcpu().
 *
 * Core does not know which machine that is: the board above it (platform/pc,
 * docs/architecture.md "Layers") registers its struct board_ops once at boot,
 * before any partition exists, and the platform_*() calls below go through
 * it. So core includes no device model and calls none. */
#ifndef BULKHEAD_CORE_PLATFORM_H
#define BULKHEAD_CORE_PLATFORM_H

#include "core/exits.h"
#include "core/partition.h"

struct console_source;

/* What core asks of the board; every member is set. The comments on the
 * platform_*() wrappers below say what each one does. */
struct board_ops {
	bool (*attach)(struct partition *p);
	void (*reset)(struct partition *p);
	void (*tick)(struct partition *p);
	void (*tick_vcpu)(struct vcpu *v);
	bool (*has_interrupt)(struct vcpu *v);
	bool (*next_interrupt)(struct vcpu *v, bool take, int *vec, bool *more);
	bool (*nmi)(struct vcpu *v, bool take);
	int (*take_startup)(struct vcpu *v, bool *init);
	bool (*startup_pending)(const struct vcpu *v);
	bool (*msr)(struct vcpu *v, uint32_t index, bool write, uint64_t *val, bool *gp);
	gpa_t (*install_acpi)(struct partition *p, gpa_t base, uint64_t *size);
	enum exit_action (*power_action)(struct vcpu *v);
	struct console_source *(*console)(struct partition *p);
	void (*print_stats)(const struct partition *p);
};

/* The registered board (NULL before board_register). */
extern const struct board_ops *board;
/* Called once by the board on the boot CPU before partitions are created. */
void board_register(const struct board_ops *ops);

/* Wire the partition's devices onto its iobus (after its RAM exists). */
static inline bool platform_attach(struct partition *p)
{
	return board->attach(p);
}
/* Put every device back to its power-on state (a guest reset). */
static inline void platform_reset(struct partition *p)
{
	board->reset(p);
}

/* Fire the partition's due device timers (PIT, RTC, PM timer) and
 * recompute p->next_deadline_ns. */
static inline void platform_tick(struct partition *p)
{
	board->tick(p);
}
/* Fire v's local APIC timer if due and recompute v->timer_deadline_ns. */
static inline void platform_tick_vcpu(struct vcpu *v)
{
	board->tick_vcpu(v);
}

/* Interrupt controllers, asked before each VM entry: is an external interrupt
 * waiting for this vCPU (from the PIC via ExtINT or from its local APIC)? */
static inline bool platform_has_interrupt(struct vcpu *v)
{
	return board->has_interrupt(v);
}
/* That and acknowledging it in one hold of the partition lock (the path before every entry
 * that has something to look at): true if an interrupt waits for v; if
 * take, it is acknowledged into *vec (-1 if it went away) and *more says
 * whether another waits behind it. */
static inline bool platform_next_interrupt(struct vcpu *v, bool take, int *vec, bool *more)
{
	return board->next_interrupt(v, take, vec, more);
}

/* An NMI for v (LAPIC NMI message, LINT1 as NMI): true if one is pending;
 * take consumes it. The LAPIC keeps one: NMIs that arrive while one is
 * pending collapse into it (SDM Vol. 3A §6.7.1). */
static inline bool platform_nmi(struct vcpu *v, bool take)
{
	return board->nmi(v, take);
}

/* INIT and start-up IPIs that reached v's local APIC since the last call
 * (SDM Vol. 3A §8.4.4): *init says whether an INIT arrived; the return value
 * is the start-up vector, or -1 if no SIPI came. */
static inline int platform_take_startup(struct vcpu *v, bool *init)
{
	return board->take_startup(v, init);
}
/* Without the lock: may an INIT or SIPI be waiting (worth the call
 * above)? The sender sets the flag before it kicks v, and v reads it after
 * clearing irq_any, so a flag whose kick v has consumed is seen. */
static inline bool platform_startup_pending(const struct vcpu *v)
{
	return board->startup_pending(v);
}

/* MSRs of the local APIC (IA32_APIC_BASE, TSC_DEADLINE, x2APIC): false if
 * index is not one of them; otherwise *gp says whether to inject #GP. */
static inline bool platform_msr(struct vcpu *v, uint32_t index, bool write, uint64_t *val, bool *gp)
{
	return board->msr(v, index, write, val, gp);
}

/* Build the partition's ACPI tables into its RAM at base (inside the BIOS
 * area 0xE0000-0xFFFFF, where the kernel scans for the RSDP). Returns the
 * RSDP's address and the tables' size, or 0 after logging why. */
static inline gpa_t platform_install_acpi(struct partition *p, gpa_t base, uint64_t *size)
{
	return board->install_acpi(p, base, size);
}

/* A device asked for a reset or a power-off while the vCPU was in an exit
 * handler; the I/O and MMIO handlers call this once the access is done.
 * Returns what the run loop should do next. */
enum power_request { POWER_NONE, POWER_RESET, POWER_OFF, POWER_DEBUG_EXIT };
static inline enum exit_action platform_power_action(struct vcpu *v)
{
	return board->power_action(v);
}

/* The console of the partition's virtio-console device (what the console
 * focus switches to), or NULL when it has none. */
static inline struct console_source *platform_console(struct partition *p)
{
	return board->console(p);
}
/* Log the partition's device counters (virtio queues, switch ports). */
static inline void platform_print_stats(const struct partition *p)
{
	board->print_stats(p);
}

#endif
