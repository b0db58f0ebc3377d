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
#define HOST_SPURIOUS_VECTOR 0xff

#define HOST_TIMER_OFF UINT64_MAX

/* Enable the APIC, install the timer handler and calibrate the timer against
 * the TSC. False (with a log line) if the CPU has no usable local APIC. */
bool host_lapic_init(void);
/* Per CPU: software-enable and program the LVTs (boot CPU after init). */
void host_lapic_cpu_init(void);
/* Interrupt (and so exit a guest) at TSC value tsc, or never
 * (HOST_TIMER_OFF). Re-arming replaces the previous deadline. */
void host_timer_arm(uint64_t tsc);
/* The TSC deadline currently armed (HOST_TIMER_OFF if none). */
uint64_t host_timer_armed(void);
/* Timer ticks per second, as calibrated (0 if no APIC). */
uint64_t host_lapic_timer_hz(void);

#endif
