/* SPDX-License-Identifier: BSD-2-Clause */
/* Host exceptions and interrupts (the hypervisor's own, not the guests'). */
#ifndef BULKHEAD_ARCH_X86_CPU_TRAP_H
#define BULKHEAD_ARCH_X86_CPU_TRAP_H

#include "core/types.h"

/* Layout pushed by isr.S, lowest address first. */
struct trap_frame {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

#define IRQ_VECTOR_BASE 32
#define EXC_VECTOR_DB 1
#define EXC_VECTOR_NMI 2
#define EXC_VECTOR_DF 8
#define EXC_VECTOR_GP 13
#define EXC_VECTOR_MC 18

typedef void (*irq_handler_fn)(struct trap_frame *f);

void idt_init(void); /* build the IDT once (boot CPU) */
void idt_load(void); /* load it on the calling CPU */
void irq_register(uint8_t vector, irq_handler_fn fn);
void trap_dispatch(struct trap_frame *f);

/* Print a stack trace from frame pointer rbp (one line per frame). */
void print_stack_trace(uint64_t rip, uint64_t rbp);

/* Set when a fatal exception should end the emulator (on_idle=exit). */
extern bool trap_exit_on_fatal;

#endif
