/* SPDX-License-Identifier: BSD-2-Clause */
/* The machine's own local APIC, as the hypervisor uses it: a one-shot timer
 * that forces a VM exit when the next emulated-device deadline (a guest's
 * LAPIC timer, PIT, RTC) or the end of a time slice is due. Guests never see
 * this APIC; their LAPIC is emulated (drivers/vdev/lapic.c). */
#ifndef BULKHEAD_DRIVERS_IRQCHIP_LAPIC_H
#define BULKHEAD_DRIVERS_IRQCHIP_LAPIC_H

#include "core/types.h"

/* Vector of the host timer interrupt: high priority class so a guest-bound
 * world never masks it (host TPR stays 0 anyway). */
#define HOST_TIMER_VECTOR 0xec
/* Vector of the cross-CPU kick (host_ipi_send): its handler only
 * acknowledges it. Its purpose is the interruption itself: the target CPU
 * leaves guest mode (an external-interrupt VM exit) or its HLT. */
#define HOST_KICK_VECTOR 0xed
#define HOST_SPURIOUS_VECTOR 0xff

#define HOST_TIMER_OFF UINT64_MAX

/* Enable the APIC, install the timer handler and calibrate the timer against
 * the TSC. False (with a log line) if the CPU has no usable local APIC. */
bool host_lapic_init(void);
/* Per CPU: software-enable and program the LVTs (boot CPU after init;
 * each application processor in its bring-up), timer stopped. */
void host_lapic_cpu_init(void);
/* The APIC registers are reachable (host_lapic_init found and mapped them,
 * even if the timer did not calibrate): IPIs work. */
bool host_lapic_mapped(void);
/* This CPU's APIC ID (ID register bits 31:24, SDM Vol. 3A §10.4.6). */
uint32_t host_lapic_id(void);

/* Inter-processor interrupts through the xAPIC ICR (SDM Vol. 3A §10.6.1),
 * physical destination mode, so apic_id is 0..254. Any CPU may send; each
 * call disables interrupts around its ICR writes. False if the previous IPI
 * was still pending after a millisecond (then nothing is sent) or there is
 * no APIC. */
bool host_ipi_send(uint32_t apic_id, uint8_t vector);  /* fixed, edge */
bool host_ipi_init(uint32_t apic_id);                  /* INIT, level assert */
bool host_ipi_startup(uint32_t apic_id, uint8_t page); /* SIPI: start at page << 12 */
/* HOST_KICK_VECTOR interrupts this CPU has taken since boot. */
uint32_t host_kicks_taken(void);
/* Error status (ESR, SDM Vol. 3A §10.5.3) since the last call; clears it. */
uint32_t host_lapic_take_errors(void);
/* Interrupt (and so exit a guest) at TSC value tsc, or never
 * (HOST_TIMER_OFF). Re-arming replaces the previous deadline. */
void host_timer_arm(uint64_t tsc);
/* The TSC deadline currently armed (HOST_TIMER_OFF if none). */
uint64_t host_timer_armed(void);
/* Timer ticks per second, as calibrated (0 if no APIC). */
uint64_t host_lapic_timer_hz(void);

#endif
