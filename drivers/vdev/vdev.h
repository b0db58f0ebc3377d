/* SPDX-License-Identifier: BSD-2-Clause */
/* Conventions shared by the emulated platform devices (drivers/vdev/) and the
 * virtio devices (drivers/virtio/).
 *
 * A device model is a plain C state machine:
 *  - guests reach it through io_read_fn/io_write_fn callbacks on the
 *    partition's iobus (core/iobus.h);
 *  - it raises interrupts only through a struct irq_sink the platform wires in;
 *  - it reads time only through a struct vclock and never sleeps: a device
 *    that needs a timer exposes "next deadline" and a tick function the
 *    scheduler calls;
 *  - it touches guest RAM only through core/gmem.h;
 *  - it never calls the VMX/SVM backend.
 * So every model compiles and runs in the host unit tests and fuzzers. */
#ifndef BULKHEAD_DRIVERS_VDEV_VDEV_H
#define BULKHEAD_DRIVERS_VDEV_VDEV_H

#include "core/types.h"

/* An interrupt line into an interrupt controller (PIC/IOAPIC input, or a
 * LAPIC's LINT). level=true asserts. Edge-triggered sources pulse: assert,
 * then deassert. */
struct irq_sink {
	void (*set_level)(void *ctx, unsigned int line, bool level);
	void *ctx;
};

static inline void irq_set(const struct irq_sink *s, unsigned int line, bool level)
{
	if (s && s->set_level)
		s->set_level(s->ctx, line, level);
}

static inline void irq_pulse(const struct irq_sink *s, unsigned int line)
{
	irq_set(s, line, true);
	irq_set(s, line, false);
}

/* A message-signalled interrupt (PCI MSI/MSI-X, IOAPIC redirection): an
 * address in the 0xFEE0_0000 window and a data word, Intel SDM Vol. 3A
 * §11.11. The platform decodes destination, delivery mode and vector and
 * hands it to the right vCPU's local APIC. */
struct msi_sink {
	void (*send)(void *ctx, uint64_t addr, uint32_t data);
	void *ctx;
};

static inline void msi_send(const struct msi_sink *s, uint64_t addr, uint32_t data)
{
	if (s && s->send)
		s->send(s->ctx, addr, data);
}

/* Guest-visible time. now_ns is monotonic nanoseconds since the partition
 * started; wall_ns is the host RTC's Unix time in nanoseconds at boot (for
 * the CMOS clock). Tests pass a fake clock they advance by hand. */
struct vclock {
	uint64_t (*now_ns)(void *ctx);
	void *ctx;
	uint64_t wall_ns_at_zero;
	uint64_t tsc_hz; /* guest TSC frequency, for the LAPIC TSC-deadline mode */
	/* The guest's TSC now (what RDTSC returns in the guest); may be NULL
	 * when no model of this partition needs it. */
	uint64_t (*now_tsc)(void *ctx);
};

static inline uint64_t vclock_tsc(const struct vclock *c)
{
	return c->now_tsc ? c->now_tsc(c->ctx) : 0;
}

static inline uint64_t vclock_now(const struct vclock *c)
{
	return c->now_ns(c->ctx);
}

#define VDEV_NO_DEADLINE UINT64_MAX

#endif
