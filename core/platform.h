/* The emulated machine around a partition's vCPUs: which device models it
 * has, how they are wired (port I/O and MMIO ranges on its iobus, interrupt
 * lines, the reset and power-off inputs) and how their timers are driven.
 *
 * Time: every model reads the partition's vclock (nanoseconds since the
 * partition started) and exposes its next deadline. The platform keeps the
 * earliest one in p->next_deadline_ns (PIT, RTC, PM timer) and each vCPU's
 * local APIC timer in v->timer_deadline_ns; the scheduler makes sure the
 * right CPU is back in the hypervisor by then (host timer) and calls
 * platform_tick() or platform_tick_vcpu(). */
#ifndef BULKHEAD_CORE_PLATFORM_H
#define BULKHEAD_CORE_PLATFORM_H

#include "core/exits.h"
#include "core/partition.h"

#define GUEST_COM1 0x3f8

bool platform_attach(struct partition *p);
void platform_reset(struct partition *p);
/* Host memory the platform and its devices take for p (beyond guest RAM). */
uint64_t platform_bytes(const struct partition *p);

/* Fire the partition's due device timers (PIT, RTC, PM timer) and
 * recompute p->next_deadline_ns. */
void platform_tick(struct partition *p);
/* Fire v's local APIC timer if due and recompute v->timer_deadline_ns. */
void platform_tick_vcpu(struct vcpu *v);

/* Interrupt controllers, asked before each VM entry: is an external interrupt
 * waiting for this vCPU (from the PIC via ExtINT or from its local APIC)? */
bool platform_has_interrupt(struct vcpu *v);
/* The guest is about to take it: acknowledge it at the controller (PIC INTA
 * cycle, LAPIC IRR -> ISR) and return the vector, or -1 if it went away. */
int platform_acknowledge(struct vcpu *v);
/* Both in one hold of the partition lock (the path before every entry
 * that has something to look at): true if an interrupt waits for v; if
 * take, it is acknowledged into *vec (-1 if it went away) and *more says
 * whether another waits behind it. */
bool platform_next_interrupt(struct vcpu *v, bool take, int *vec, bool *more);

/* INIT and start-up IPIs that reached v's local APIC since the last call
 * (SDM Vol. 3A §8.4.4): *init says whether an INIT arrived; the return value
 * is the start-up vector, or -1 if no SIPI came. */
int platform_take_startup(struct vcpu *v, bool *init);
/* Without the lock: may an INIT or SIPI be waiting (worth the call
 * above)? The sender sets the flag before it kicks v, and v reads it after
 * clearing irq_any, so a flag whose kick v has consumed is seen. */
bool platform_startup_pending(const struct vcpu *v);

/* MSRs of the local APIC (IA32_APIC_BASE, TSC_DEADLINE, x2APIC): false if
 * index is not one of them; otherwise *gp says whether to inject #GP. */
bool platform_msr(struct vcpu *v, uint32_t index, bool write, uint64_t *val, bool *gp);

/* Build the partition's ACPI tables into its RAM at base (inside the BIOS
 * area 0xE0000-0xFFFFF, where the kernel scans for the RSDP). Returns the
 * RSDP's address and the tables' size, or 0 after logging why. */
gpa_t platform_install_acpi(struct partition *p, gpa_t base, uint64_t *size);

/* A device asked for a reset or a power-off while the vCPU was in an exit
 * handler; the I/O and MMIO handlers call this once the access is done.
 * Returns what the run loop should do next. */
enum power_request { POWER_NONE, POWER_RESET, POWER_OFF, POWER_DEBUG_EXIT };
enum exit_action platform_power_action(struct vcpu *v);

#endif
