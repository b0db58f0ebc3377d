/* SPDX-License-Identifier: BSD-2-Clause */
/* Initialisation sequence from the Intel 8259A datasheet (ICW1-ICW4). */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/hostdev/i8259.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define ICW1_INIT_ICW4 0x11 /* edge triggered, cascade, ICW4 follows */
#define ICW3_MASTER_SLAVE_ON_IR2 0x04
#define ICW3_SLAVE_ID 0x02
#define ICW4_8086 0x01
#define OCW1_MASK_ALL 0xff

void i8259_disable(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	outb(PIC1_DATA, I8259_VECTOR_BASE);
	outb(PIC2_DATA, I8259_VECTOR_BASE + 8);
	outb(PIC1_DATA, ICW3_MASTER_SLAVE_ON_IR2);
	outb(PIC2_DATA, ICW3_SLAVE_ID);
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, OCW1_MASK_ALL);
	outb(PIC2_DATA, OCW1_MASK_ALL);
}
