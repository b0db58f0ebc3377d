/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86/cpu/cpu.h"
#include "core/log.h"
#include "arch/x86/cpu/platform_exit.h"
#include "arch/x86/hostdev/uart.h"

/* QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4): a write
 * of v ends QEMU with status (v << 1) | 1. */
#define QEMU_DEBUG_EXIT_PORT 0xf4

/* Set from the command line (on_idle=exit) by the boot CPU. */
bool platform_exit_enabled;

__noreturn void platform_exit(int status)
{
	uart_flush();
	if (platform_exit_enabled) {
		outb(QEMU_DEBUG_EXIT_PORT, (uint8_t)status);
		/* Bochs: the magic breakpoint stops the emulator into its
		 * debugger, whose script then quits (see scripts/run-bochs.sh). */
		__asm__ volatile("xchg %%bx, %%bx" ::: "memory");
	}
	cpu_halt_forever();
}
