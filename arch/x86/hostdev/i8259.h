/* SPDX-License-Identifier: BSD-2-Clause */
/* The machine's legacy 8259A PIC pair: Bulkhead does not use it, but the
 * BIOS leaves it delivering the PIT's IRQ0 at vector 8, which would look
 * like a double fault the moment the hypervisor enables interrupts. */
#ifndef BULKHEAD_DRIVERS_IRQCHIP_I8259_H
#define BULKHEAD_DRIVERS_IRQCHIP_I8259_H

#define I8259_VECTOR_BASE 0x20 /* master 0x20-0x27, slave 0x28-0x2f */

/* Remap both PICs above the exception vectors and mask every line. */
void i8259_disable(void);

#endif
